"""CSV export of the filtered donation list, streamed in chunks.

The database writes each line (``csv_lines``); Python only moves chunks of them,
read ``LINES_PER_CHUNK`` at a time from one cursor (server-side on PostgreSQL), so
memory stays flat however many rows there are. Not ``COPY ... TO STDOUT``: psycopg
hands COPY data over one row per Python call, several times slower than fetching
rows in batches (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import tzinfo
from typing import Any

from flask import Response, request, stream_with_context
from sqlalchemy import Connection, Select, func, select

from ...extensions import db
from ...models import Donation, Drive, utcnow
from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import choose_drive
from .csv_lines import HEADER, line_expression, offset_segments
from .query import DonationFilters, matching, parse_filters

LINES_PER_CHUNK = 5000
# A byte-order mark so Excel reads the names as UTF-8.
HEADER_LINE = ("\ufeff" + ",".join(HEADER) + "\r\n").encode()


def export_statement(connection: Connection, filters: DonationFilters, tz: tzinfo) -> Select:
    """The filtered list as one column of CSV lines, in the list's order."""
    drive: Drive = filters.drive
    first, last = connection.execute(
        select(func.min(Donation.received_at), func.max(Donation.received_at)).where(
            Donation.drive_id == drive.id
        )
    ).one()
    segments = offset_segments(tz, first or utcnow(), last or utcnow())
    line = line_expression(connection.dialect.name, segments, drive.currency, drive.locale)
    return matching(filters, line)


def _driver_query(connection: Connection, statement: Select) -> tuple[str, Any]:
    """The statement as its driver takes it: SQL text and parameters, each through
    its type's bind processor (a UTC datetime is naive text on SQLite)."""
    dialect = connection.dialect
    # No expanding IN lists here (they are rendered at execution); the export's
    # statement has none.
    compiled = statement.compile(dialect=dialect)
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for bind, name in compiled.bind_names.items()
    }
    values = {}
    for name, value in compiled.construct_params().items():
        processor = processors.get(name)
        values[name] = processor(value) if processor else value
    if compiled.positiontup:
        return str(compiled), [values[name] for name in compiled.positiontup]
    return str(compiled), values


def line_chunks(connection: Connection, statement: Select) -> Iterator[bytes]:
    """The statement's lines, CRLF-terminated, ``LINES_PER_CHUNK`` at a time, read
    from the driver's own cursor: rows of one string need nothing of SQLAlchemy's
    row processing, which would cost more than the database's work. On PostgreSQL a
    server-side cursor (the server keeps the rest, not this process); sqlite3's
    cursor reads as it goes."""
    sql, parameters = _driver_query(connection, statement)
    driver = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        cursor = driver.cursor(name="donations_export")
    else:
        cursor = driver.cursor()
    try:
        cursor.execute(sql, parameters)
        while lines := cursor.fetchmany(LINES_PER_CHUNK):
            yield ("\r\n".join([line for (line,) in lines]) + "\r\n").encode()
    finally:
        cursor.close()


def csv_chunks(filters: DonationFilters, tz: tzinfo) -> Iterator[bytes]:
    """The header, then every matching donation's line, in chunks."""
    connection = db.session.connection()
    statement = export_statement(connection, filters, tz)
    yield HEADER_LINE
    yield from line_chunks(connection, statement)


@bp.get("/donations.csv")
def export_donations():
    choice = choose_drive(request.args.get("drive"))
    if choice.drive is None:
        return Response(HEADER_LINE, mimetype="text/csv")
    tz = admin_timezone()
    # Bad filters raise InvalidInput before the first byte: a 400, not a broken file.
    filters = parse_filters(request.args, choice.drive, tz)
    filename = f"donations-{choice.drive.slug}-{utcnow():%Y%m%d-%H%M}.csv"
    response = Response(stream_with_context(csv_chunks(filters, tz)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
