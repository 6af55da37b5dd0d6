"""Reading a CSV of donations (a generic sheet, or a PayPal activity export) into rows
the ledger can record, and recording each of them once (``import_values`` parses the
cells).

Every row gets the key the ledger's once-only guarantee works on: a PayPal row its
Transaction ID (``provider="paypal"``); a generic row its ``transaction id`` column when
it has one (``provider`` = its method), else a fingerprint of what it says
(``provider="import"``). Importing a file twice, or two exports that overlap, records
each payment once. Lines are numbered as a spreadsheet numbers them: the header is 1.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import select, tuple_

from ...amount_text import parse_amount
from ...errors import DonationDriveError, InvalidInput
from ...extensions import db
from ...ledger import DonorDetails, ProviderPayment, record_provider_payment
from ...ledger.validation import clean_text, validate_currency
from ...models import Donation, Drive, Method
from .values import (
    TRUE_WORDS,
    column_key,
    decode_csv,
    detect_date_order,
    fingerprint,
    local_moment,
    map_columns,
    parse_day,
    parse_method,
    parse_time,
    parse_when,
    parse_zone,
    read_records,
)

T = TypeVar("T")

GENERIC, PAYPAL = "generic", "paypal"
IMPORT_PROVIDER = "import"


class RowStatus(StrEnum):
    NEW = "new"
    ALREADY = "already imported"
    REPEATED = "repeated"
    SKIPPED = "skipped"
    ERROR = "error"


# Column names as people write them, normalised by ``column_key``.
GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "date received", "received", "received at"),
    "amount": ("amount", "gross"),
    "method": ("method", "payment method"),
    "name": ("name", "donor", "donor name"),
    "email": ("email", "e-mail", "email address", "donor email"),
    "reference": ("reference", "ref", "check number", "check no"),
    "note": ("note", "notes"),
    "currency": ("currency",),
    "display_name": ("display name", "public name"),
    "anonymous": ("anonymous",),
    "message": ("message",),
    "transaction_id": ("transaction id", "provider ref"),
}
GENERIC_REQUIRED = ("date", "amount", "method")

PAYPAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date",),
    "time": ("time",),
    "timezone": ("timezone", "time zone"),
    "name": ("name",),
    "type": ("type",),
    "status": ("status",),
    "currency": ("currency",),
    "gross": ("gross",),
    "email": ("from email address",),
    "transaction_id": ("transaction id",),
    "balance_impact": ("balance impact",),
    "note": ("note",),
}
PAYPAL_REQUIRED = ("date", "type", "status", "currency", "gross", "transaction_id")
# Types of PayPal activity that are never money a donor gave, even when positive.
_PAYPAL_NOT_GIFTS = ("refund", "reversal", "hold", "withdraw", "transfer", "conversion", "fee")


@dataclass
class ImportRow:
    line: int
    status: RowStatus = RowStatus.NEW
    problems: list[str] = field(default_factory=list)
    reason: str | None = None  # why skipped, repeated or already imported
    received_at: datetime | None = None
    amount: int | None = None
    currency: str | None = None
    method: str | None = None
    donor: DonorDetails = field(default_factory=DonorDetails)
    reference: str | None = None
    note: str | None = None
    provider: str | None = None
    provider_ref: str | None = None
    existing_id: int | None = None

    def check(self, parse: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``parse(...)``, or None with the problem noted on this row."""
        try:
            return parse(*args, **kwargs)
        except DonationDriveError as exc:
            self.problems.append(str(exc))
            self.status = RowStatus.ERROR
            return None


@dataclass
class ImportPlan:
    """What a file would import into a drive, row by row, before anything is written."""

    format: str
    currency: str
    rows: list[ImportRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # about the file as a whole
    ignored_columns: list[str] = field(default_factory=list)
    date_order: str = "mdy"

    def with_status(self, status: RowStatus) -> list[ImportRow]:
        return [row for row in self.rows if row.status == status]

    @property
    def new_rows(self) -> list[ImportRow]:
        return [] if self.problems else self.with_status(RowStatus.NEW)

    @property
    def new_total(self) -> int:
        return sum(row.amount or 0 for row in self.new_rows)


@dataclass
class ImportOutcome:
    imported: list[tuple[int, int]] = field(default_factory=list)  # (line, donation id)
    already: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)  # (line, message)
    total: int = 0  # minor units newly counted


def detect_format(header: list[str]) -> str:
    keys = {column_key(name) for name in header}
    return PAYPAL if {"transaction id", "gross", "status"} <= keys else GENERIC


def _currency_of(row: ImportRow, text: str, drive_currency: str, column: str) -> str | None:
    if not text.strip():
        return drive_currency
    currency = row.check(validate_currency, text, column)
    if currency is not None and currency != drive_currency:
        message = f"{currency} does not match the drive's currency, {drive_currency}"
        row.check(_refuse, message, column)
        return None
    return currency


def _refuse(message: str, column: str) -> None:
    raise InvalidInput(message, column)


# --- rows -------------------------------------------------------------------------------


class _Cells:
    def __init__(self, cells: list[str], columns: dict[str, tuple[int, str]]) -> None:
        self.cells, self.columns = cells, columns

    def __getitem__(self, key: str) -> str:
        index = self.columns.get(key, (None, ""))[0]
        if index is None or index >= len(self.cells):
            return ""
        return self.cells[index].strip()

    def name(self, key: str) -> str:
        return self.columns.get(key, (0, key))[1]


def _parse_generic_row(
    row: ImportRow, cells: _Cells, drive: Drive, order: str, zone: tzinfo
) -> str | None:
    """Fill ``row`` from a generic sheet; returns the wall-clock date for the key."""
    when = row.check(parse_when, cells["date"], order, zone, cells.name("date"))
    if when is not None:
        row.received_at = when[1]
    row.currency = _currency_of(row, cells["currency"], drive.currency, cells.name("currency"))
    row.amount = row.check(
        parse_amount,
        cells["amount"],
        drive.currency,
        locale=drive.locale,
        field=cells.name("amount"),
    )
    row.method = row.check(parse_method, cells["method"], cells.name("method"))
    row.donor = (
        row.check(
            lambda: DonorDetails(
                name=cells["name"] or None,
                email=cells["email"] or None,
                display_name=cells["display_name"] or None,
                is_anonymous=cells["anonymous"].lower() in TRUE_WORDS,
                message=cells["message"] or None,
            ).cleaned()
        )
        or DonorDetails()
    )
    row.reference = row.check(clean_text, cells["reference"], "reference", max_length=200)
    row.note = row.check(clean_text, cells["note"], "note", max_length=2000, multiline=True)
    transaction = row.check(clean_text, cells["transaction_id"], "transaction id", max_length=200)
    if transaction and row.method:
        row.provider, row.provider_ref = row.method, transaction
    else:
        row.provider = IMPORT_PROVIDER
    return when[0] if when is not None else None


def _parse_paypal_row(row: ImportRow, cells: _Cells, drive: Drive, order: str) -> None:
    """Fill ``row`` from a PayPal activity export, or mark it skipped when it is not a
    completed payment received (pending, refunds, money sent, transfers...)."""
    status, kind = cells["status"], cells["type"]
    gross = cells["gross"]
    impact = cells["balance_impact"].lower()
    skip = None
    if status.lower() != "completed":
        skip = f"{status or 'no status'}, not completed"
    elif gross.startswith("-") or impact == "debit":
        skip = f"money sent, not received ({kind})"
    elif any(word in kind.lower() for word in _PAYPAL_NOT_GIFTS):
        skip = f"{kind} is not a payment received"
    if skip is not None:
        row.status, row.reason = RowStatus.SKIPPED, skip
        return
    zone = row.check(parse_zone, cells["timezone"], UTC, cells.name("timezone"))
    day = row.check(parse_day, cells["date"], order, cells.name("date"))
    at = row.check(parse_time, cells["time"], cells.name("time")) if cells["time"] else None
    if day is not None and zone is not None:
        moment = row.check(local_moment, day, at, zone)
        row.received_at = moment[1] if moment is not None else None
    row.currency = _currency_of(row, cells["currency"], drive.currency, cells.name("currency"))
    row.amount = row.check(
        parse_amount, gross, drive.currency, locale=drive.locale, field=cells.name("gross")
    )
    row.method = Method.PAYPAL
    row.donor = (
        row.check(
            lambda: DonorDetails(
                name=cells["name"] or None,
                email=cells["email"] or None,
                message=cells["note"] or None,
            ).cleaned()
        )
        or DonorDetails()
    )
    row.provider = PAYPAL
    row.provider_ref = row.check(
        clean_text,
        cells["transaction_id"],
        cells.name("transaction_id"),
        max_length=200,
        required=True,
    )
    row.reference = row.provider_ref


def plan_import(
    content: bytes,
    drive: Drive,
    *,
    format: str = "auto",
    date_order: str = "auto",
    zone: tzinfo = UTC,
    max_rows: int = 5000,
) -> ImportPlan:
    """Read ``content`` into an ``ImportPlan`` for ``drive``; writes nothing.

    Problems with the file as a whole (not text, missing columns, too many rows) are
    in ``plan.problems`` and leave nothing to import; a bad row is an ``error`` row with
    its problems, and the other rows still import. ``zone`` is where times written
    without one were taken (the admin's time zone).
    """
    plan = ImportPlan(format=GENERIC, currency=drive.currency)
    try:
        records = list(read_records(decode_csv(content)))
    except DonationDriveError as exc:
        plan.problems.append(exc.message)
        return plan
    if not records:
        plan.problems.append("the file is empty")
        return plan
    (_, header), body = records[0], records[1:]
    plan.format = detect_format(header) if format == "auto" else format
    columns, plan.ignored_columns = map_columns(
        header, PAYPAL_COLUMNS if plan.format == PAYPAL else GENERIC_COLUMNS
    )
    required = PAYPAL_REQUIRED if plan.format == PAYPAL else GENERIC_REQUIRED
    missing = [key.replace("_", " ") for key in required if key not in columns]
    if missing:
        plan.problems.append(f"the header has no column for: {', '.join(missing)}")
        return plan
    if len(body) > max_rows:
        plan.problems.append(f"the file has {len(body)} rows; import at most {max_rows} at once")
        return plan
    date_index = columns["date"][0]
    plan.date_order = (
        detect_date_order([c[date_index] for _, c in body if date_index < len(c)])
        if date_order == "auto"
        else date_order
    )
    seen: dict[tuple[str, str], int] = {}
    occurrences: dict[str, int] = {}
    for line, raw in body:
        row = ImportRow(line=line)
        cells = _Cells(raw, columns)
        if plan.format == PAYPAL:
            _parse_paypal_row(row, cells, drive, plan.date_order)
        else:
            when = _parse_generic_row(row, cells, drive, plan.date_order, zone)
            if row.status == RowStatus.NEW and row.provider == IMPORT_PROVIDER:
                who = row.donor.email or row.donor.name or ""
                base = fingerprint(
                    drive.id,
                    when or "",
                    row.amount or 0,
                    row.method or "",
                    row.reference or "",
                    who,
                )
                # Two identical rows in one sheet are two gifts (two $20 bills on one
                # day); numbering them keeps both, and keeps a re-import idempotent.
                occurrences[base] = occurrences.get(base, 0) + 1
                count = occurrences[base]
                row.provider_ref = base if count == 1 else f"{base}:{count}"
        _note_repeats(row, seen)
        plan.rows.append(row)
    _mark_already_imported(plan.rows)
    return plan


def _note_repeats(row: ImportRow, seen: dict[tuple[str, str], int]) -> None:
    """A provider id twice in one file (overlapping exports pasted together) is one
    payment: the first line imports it, the others say so."""
    if row.status != RowStatus.NEW or row.provider == IMPORT_PROVIDER:
        return
    key = (row.provider or "", row.provider_ref or "")
    if key in seen:
        row.status, row.reason = RowStatus.REPEATED, f"the same payment as line {seen[key]}"
    else:
        seen[key] = row.line


def _mark_already_imported(rows: list[ImportRow]) -> None:
    pending = {(r.provider, r.provider_ref): r for r in rows if r.status == RowStatus.NEW}
    keys = list(pending)
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        found = db.session.execute(
            select(Donation.id, Donation.provider, Donation.provider_ref).where(
                tuple_(Donation.provider, Donation.provider_ref).in_(chunk)
            )
        )
        for donation_id, provider, provider_ref in found:
            row = pending[(provider, provider_ref)]
            row.status, row.existing_id = RowStatus.ALREADY, donation_id
            row.reason = f"already recorded as donation {donation_id}"


def apply_import(
    plan: ImportPlan, drive: Drive, *, actor: str, send_receipts: bool
) -> ImportOutcome:
    """Record the plan's new rows, each in its own ledger transaction, keyed so a row
    recorded before (by an earlier import, or concurrently) is not counted again."""
    outcome = ImportOutcome(already=len(plan.with_status(RowStatus.ALREADY)))
    for row in plan.new_rows:
        assert row.provider and row.provider_ref and row.amount and row.received_at
        try:
            payment = ProviderPayment(
                provider=row.provider,
                provider_ref=row.provider_ref,
                drive=drive,
                amount=row.amount,
                currency=row.currency or drive.currency,
                received_at=row.received_at,
                donor=row.donor,
                method=row.method or Method.OTHER,
                reference=row.reference,
                note=row.note,
                send_receipt=send_receipts,
            )
            result = record_provider_payment(payment, actor=actor)
        except DonationDriveError as exc:
            outcome.failed.append((row.line, str(exc)))
            continue
        if result.created:
            outcome.imported.append((row.line, result.donation_id))
            outcome.total += row.amount
        else:
            outcome.already += 1
    return outcome
