"""CSV export of the filtered donation list, streamed row by row.

Safe to open in a spreadsheet: a cell that starts with ``=``, ``+``, ``-``, ``@``, a
tab or a carriage return is prefixed with ``'`` so it is read as text, never as a
formula. Amounts are decimal strings of major units ("25.00"), never floats.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from flask import Response, request, stream_with_context

from ...amount_text import format_amount_input
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
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def _cells(row, tz, locale: str) -> list[object]:
    def amount(minor: int) -> str:
        # In the drive's number format, ungrouped: the CSV import reads it back.
        return format_amount_input(minor, row.currency, locale)

    return [
        f"DD-{row.id:08d}",
        row.id,
        row.received_at.astimezone(tz).date().isoformat(),
        row.received_at.isoformat(),
        row.method,
        row.status,
        amount(row.amount),
        amount(row.refunded_amount),
        amount(row.disputed_amount),
        amount(counted_amount(row.status, row.amount, row.refunded_amount, row.disputed_amount)),
        row.currency,
        row.donor_name,
        row.donor_email,
        row.display_name,
        "yes" if row.is_anonymous else "no",
        row.message,
        row.reference,
        row.note,
        row.provider,
        row.provider_ref,
        row.entered_by,
        row.void_reason,
        row.donor_id,
    ]


def csv_lines(rows: Iterable, tz, locale: str) -> Iterator[str]:
    """The header and one CSV line per row, every cell spreadsheet-safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(cells: Iterable[object]) -> str:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([spreadsheet_safe(cell) for cell in cells])
        return buffer.getvalue()

    # A byte-order mark so Excel reads the names as UTF-8.
    yield "\ufeff" + line(HEADER)
    for row in rows:
        yield line(_cells(row, tz, locale))


@bp.get("/donations.csv")
def export_donations():
    choice = choose_drive(request.args.get("drive"))
    if choice.drive is None:
        return Response("\ufeff" + ",".join(HEADER) + "\r\n", mimetype="text/csv")
    tz = admin_timezone()
    # Bad filters raise InvalidInput before the first byte: a 400, not a broken file.
    filters = parse_filters(request.args, choice.drive, tz)
    filename = f"donations-{choice.drive.slug}-{utcnow():%Y%m%d-%H%M}.csv"
    body = stream_with_context(csv_lines(iter_matching(filters, COLUMNS), tz, choice.drive.locale))
    response = Response(body, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
