"""What the CSV export must write, computed the slow, obvious way: ORM rows through
Python's csv module, one cell at a time. The database-written export is compared
with it byte for byte."""

from __future__ import annotations

import csv
import io
from datetime import tzinfo

from sqlalchemy import select, update

from donation_drive.admin.donations.csv_lines import FORMULA_TRIGGERS, HEADER
from donation_drive.amount_text import format_amount_input
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    apply_provider_refund,
    record_offline_donation,
    void_donation,
)
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Donation, Drive

from .dashboard_data import card, offline


def spreadsheet_safe(value: str | None) -> str | None:
    return f"'{value}" if value and value.startswith(FORMULA_TRIGGERS) else value


def expected_csv(donations: list[Donation], tz: tzinfo) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for d in donations:
        drive = d.drive

        def money(minor: int, drive: Drive = drive) -> str:
            return format_amount_input(minor, drive.currency, drive.locale)

        writer.writerow(
            (
                d.receipt_number,
                d.id,
                d.received_at.astimezone(tz).date().isoformat(),
                d.received_at.isoformat(),
                *(spreadsheet_safe(v) for v in (d.method, d.status)),
                *(money(v) for v in (d.amount, d.refunded_amount, d.disputed_amount)),
                money(d.counted_amount),
                *(spreadsheet_safe(v) for v in (d.currency, d.donor_name, d.donor_email)),
                spreadsheet_safe(d.display_name),
                "yes" if d.is_anonymous else "no",
                *(spreadsheet_safe(v) for v in (d.message, d.reference, d.note, d.provider)),
                *(spreadsheet_safe(v) for v in (d.provider_ref, d.entered_by, d.void_reason)),
                d.donor_id,
            )
        )
    return ("\ufeff" + buffer.getvalue()).encode()


def all_donations(drive: Drive, *order) -> list[Donation]:
    statement = select(Donation).where(Donation.drive_id == drive.id).order_by(*order)
    return list(db.session.scalars(statement))


HOSTILE_NAMES = [
    '=HYPERLINK("http://evil.example","click")',
    "+1 555 0100",
    "-2+3",
    "@SUM(A1)",
    'Dwayne "The Rock", Johnson',
    "Zoë Ångström",
    "李小龙",
    "Ada 🚀 Lovelace",
    "back\\slash \\n not a newline",
    "O'Brien",
]


def hostile_gifts(drive: Drive) -> None:
    """Gifts whose cells test every rule: formulas, quotes, commas, line breaks,
    backslashes, unicode, refunds, a void, anonymity, microseconds, and local days
    on both sides of a daylight-saving change (1 Nov 2026 in New York)."""
    for i, name in enumerate(HOSTILE_NAMES):
        offline(
            drive,
            1_000 + i * 1_001,
            ("check", "cash", "bitcoin")[i % 3],
            f"2026-11-{16 + i % 5}",
            name=name,
            email=f"donor{i}@example.org" if i % 2 else None,
            reference=("=cmd|' /C calc'!A0", "tab\there", None, "a,b")[i % 4],
            message=("line one\nline two", "CR\r\nLF", "\ttabbed", '"quoted"', None)[i % 5],
            note=("-1+1", "plain", None)[i % 3],
        )
    card(drive, 12_345, "pi_hostile_refund", "2026-11-20", name="Refunded, Partly")
    apply_provider_refund("stripe", "pi_hostile_refund", refunded_total=2_345, actor="webhook")
    card(drive, 5_000, "pi_full_refund", "2026-11-21", email="REFUND@Example.org")
    apply_provider_refund("stripe", "pi_full_refund", refunded_total=5_000, actor="webhook")
    voided = offline(drive, 9_999, "check", "2026-11-18", name="Typo Entry")
    void_donation(voided.id, reason="@entered twice, sorry", actor="admin@example.org")
    for moment in (
        "2026-10-31T04:30:00",  # 00:30 EDT, 31 Oct
        "2026-11-01T05:30:00.250000",  # 01:30 EDT, before the change
        "2026-11-01T06:30:00",  # 01:30 EST, after it
        "2026-11-02T04:30:00",  # 23:30 EST, 1 Nov (00:30 2 Nov at the old offset)
    ):
        record_offline_donation(
            drive,
            amount=4_200,
            method="other",
            received_at=parse_datetime(moment + "+00:00", "received"),
            entered_by="=admin@example.org",
            donor=DonorDetails(name="Anon", display_name="-A friend", is_anonymous=True),
            send_receipt=False,
        )
    # The ledger drops control characters, but a row from before it did may hold any.
    legacy = offline(drive, 3_000, "cash", "2026-11-23", name="Legacy Row")
    db.session.execute(
        update(Donation)
        .where(Donation.id == legacy.id)
        .values(note="\rlegacy\r\nnote\twith tab", message="\\N \\. \\\\ \x0b\x0c")
    )
    db.session.commit()
