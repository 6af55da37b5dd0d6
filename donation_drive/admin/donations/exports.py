"""CSV export of the filtered donation list, streamed row by row.

Safe to open in a spreadsheet: a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is prefixed with ``'`` so it is read as text, never as a
formula. Amounts are decimal strings of major units ("25.00"), never floats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Response, request, stream_with_context

from ...amount_text import amount_input_formatter
from ...models import Donation, counted_amount, utcnow
from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import choose_drive
from .query import iter_matching, parse_filters

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

COLUMNS = (
    Donation.id,
    Donation.received_at,
    Donation.method,
    Donation.status,
    Donation.amount,
    Donation.refunded_amount,
    Donation.disputed_amount,
    Donation.currency,
    Donation.donor_name,
    Donation.donor_email,
    Donation.display_name,
    Donation.is_anonymous,
    Donation.message,
    Donation.reference,
    Donation.note,
    Donation.provider,
    Donation.provider_ref,
    Donation.entered_by,
    Donation.void_reason,
    Donation.donor_id,
)

HEADER = (
    "receipt",
    "id",
    "received_date",
    "received_at_utc",
    "method",
    "status",
    "amount",
    "refunded",
    "disputed",
    "counted",
    "currency",
    "donor_name",
    "donor_email",
    "display_name",
    "anonymous",
    "message",
    "reference",
    "note",
    "provider",
    "provider_ref",
    "entered_by",
    "void_reason",
    # One row per gift; rows with the same donor_id are one donor (count distinct
    # donor ids for donors, rows for gifts).
    "donor_id",
)


def spreadsheet_safe(value: object) -> str:
    """The cell as text that no spreadsheet will run as a formula."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


LINES_PER_CHUNK = 1000


def _safe(value: str | None) -> str | None:
    """``spreadsheet_safe`` for a text column that may be empty (csv writes None as
    an empty cell)."""
    if value and value.startswith(FORMULA_TRIGGERS):
        return f"'{value}"
    return value


def _row_writer(tz, amount: Callable[[int], str]) -> Callable[[Any], tuple]:
    """The cells of one row. A million rows go through here, so the per-row work is
    what cannot be looked up: the local day is computed once per UTC hour and each
    distinct amount is formatted once. Only free text (what a donor, an admin or a
    provider typed) can start like a formula and is made safe; the other cells are
    numbers, dates and fixed words."""
    days: dict[tuple, str] = {}
    amounts: dict[int, str] = {}

    def money(minor: int) -> str:
        text = amounts.get(minor)
        if text is None:
            text = amounts[minor] = amount(minor)
        return text

    def cells(row) -> tuple:
        received = row.received_at
        hour = (received.year, received.month, received.day, received.hour)
        day = days.get(hour)
        if day is None:
            day = days[hour] = received.astimezone(tz).date().isoformat()
        counted = counted_amount(row.status, row.amount, row.refunded_amount, row.disputed_amount)
        return (
            f"DD-{row.id:08d}",
            row.id,
            day,
            received.isoformat(),
            _safe(row.method),
            _safe(row.status),
            money(row.amount),
            money(row.refunded_amount),
            money(row.disputed_amount),
            money(counted),
            _safe(row.currency),
            _safe(row.donor_name),
            _safe(row.donor_email),
            _safe(row.display_name),
            "yes" if row.is_anonymous else "no",
            _safe(row.message),
            _safe(row.reference),
            _safe(row.note),
            _safe(row.provider),
            _safe(row.provider_ref),
            _safe(row.entered_by),
            _safe(row.void_reason),
            row.donor_id,
        )

    return cells


def csv_lines(rows: Iterable, tz, currency: str, locale: str) -> Iterator[str]:
    """The header, then the CSV lines of the rows in chunks of ``LINES_PER_CHUNK``
    (one write per chunk, not per line), every cell spreadsheet-safe. Amounts are in
    the drive's number format, ungrouped: the CSV import reads them back."""
    cells = _row_writer(tz, amount_input_formatter(currency, locale))
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def drained() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(HEADER)
    # A byte-order mark so Excel reads the names as UTF-8.
    yield "\ufeff" + drained()
    batch = []
    for row in rows:
        batch.append(cells(row))
        if len(batch) == LINES_PER_CHUNK:
            writer.writerows(batch)
            batch.clear()
            yield drained()
    if batch:
        writer.writerows(batch)
        yield drained()


@bp.get("/donations.csv")
def export_donations():
    choice = choose_drive(request.args.get("drive"))
    if choice.drive is None:
        return Response("\ufeff" + ",".join(HEADER) + "\r\n", mimetype="text/csv")
    tz = admin_timezone()
    # Bad filters raise InvalidInput before the first byte: a 400, not a broken file.
    filters = parse_filters(request.args, choice.drive, tz)
    filename = f"donations-{choice.drive.slug}-{utcnow():%Y%m%d-%H%M}.csv"
    rows = iter_matching(filters, COLUMNS)
    body = stream_with_context(csv_lines(rows, tz, choice.drive.currency, choice.drive.locale))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
