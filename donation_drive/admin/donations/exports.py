"""CSV export of the filtered donation list, streamed in chunks.

The database writes each line (``csv_lines``); Python only moves chunks of them:
PostgreSQL sends them by ``COPY (SELECT ...) TO STDOUT``, SQLite through one cursor
read ``LINES_PER_CHUNK`` at a time. Memory stays flat however many rows there are.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import tzinfo

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
# What COPY's text format escapes in a value (a line holds no tab or NUL of its own
# making, but a donor's message may hold anything).
_COPY_ESCAPES = {b"\\": b"\\", b"b": b"\b", b"f": b"\f", b"n": b"\n", b"r": b"\r"}
_COPY_ESCAPES |= {b"t": b"\t", b"v": b"\v"}
_COPY_ESCAPE = re.compile(rb"\\([\\bfnrtv])")


def _unescaped(match: re.Match[bytes]) -> bytes:
    return _COPY_ESCAPES[match.group(1)]


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


def copied_chunks(connection: Connection, statement: Select) -> Iterator[bytes]:
    """PostgreSQL: the statement's lines through ``COPY ... TO STDOUT`` (text format,
    one column), CRLF-terminated as Python's csv writes them."""
    # IN lists expanded into plain parameters: COPY has no execute-time expansion.
    compiled = statement.compile(
        dialect=connection.dialect, compile_kwargs={"render_postcompile": True}
    )
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(f"COPY ({compiled}) TO STDOUT", compiled.params) as copy:
        rows: list[memoryview] = []
        for row in copy:
            rows.append(row)
            if len(rows) == LINES_PER_CHUNK:
                yield _crlf(b"".join(rows))
                rows.clear()
        if rows:
            yield _crlf(b"".join(rows))


def _crlf(copied: bytes) -> bytes:
    # Every raw LF in COPY's text output ends a row (a value's own are escaped).
    lines = copied.replace(b"\n", b"\r\n")
    return _COPY_ESCAPE.sub(_unescaped, lines) if b"\\" in lines else lines


def fetched_chunks(connection: Connection, statement: Select) -> Iterator[bytes]:
    """SQLite (or any other database): the statement's lines read in chunks."""
    result = connection.execution_options(yield_per=LINES_PER_CHUNK).execute(statement)
    for lines in result.scalars().partitions():
        yield ("\r\n".join(lines) + "\r\n").encode()


def csv_chunks(filters: DonationFilters, tz: tzinfo) -> Iterator[bytes]:
    """The header, then every matching donation's line, in chunks."""
    connection = db.session.connection()
    statement = export_statement(connection, filters, tz)
    yield HEADER_LINE
    if connection.dialect.name == "postgresql":
        yield from copied_chunks(connection, statement)
    else:
        yield from fetched_chunks(connection, statement)


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
