"""Reading donors: search, one donor's record, the privacy export."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select

from ..errors import InvalidInput, NotFound
from ..extensions import db
from ..formatting import organisation_timezone
from ..models import (
    Donation,
    DonationEvent,
    Donor,
    DonorEvent,
    Drive,
    DriveDonor,
    OutboxEmail,
    normalize_email,
)

SEARCH_LIMIT = 50


@dataclass(frozen=True, slots=True)
class DonorRow:
    """One line of the donor list."""

    id: int
    name: str | None
    email: str | None
    giving: tuple[tuple[str, int], ...]  # (currency, counted minor units), all drives
    erased: bool


def search_donors(query: str = "", *, limit: int = SEARCH_LIMIT) -> list[DonorRow]:
    """Live donors (not merged away) matching ``query``: an email prefix when it has
    an @ (normalized, on the email index), else part of a name or email. Newest
    first; no query lists the newest donors."""
    text = (query or "").strip()
    if len(text) > 320:
        raise InvalidInput("search text is too long", "q")
    statement = select(Donor).where(Donor.merged_into_id.is_(None))
    if "@" in text:
        key = normalize_email(text) or ""
        statement = statement.where(Donor.email_key.startswith(key, autoescape=True))
    elif text:
        pattern = f"%{text.casefold()}%"
        statement = statement.where(
            or_(
                func.lower(Donor.name).like(pattern, escape="\\"),
                Donor.email_key.like(pattern, escape="\\"),
            )
        )
    donors = db.session.scalars(statement.order_by(Donor.id.desc()).limit(limit)).all()
    giving: dict[int, list[tuple[str, int]]] = defaultdict(list)
    if donors:
        rows = db.session.execute(
            select(DriveDonor.donor_id, Drive.currency, func.sum(DriveDonor.counted_amount))
            .join(Drive, Drive.id == DriveDonor.drive_id)
            .where(DriveDonor.donor_id.in_([d.id for d in donors]))
            .group_by(DriveDonor.donor_id, Drive.currency)
            .order_by(Drive.currency)
        ).all()
        for donor_id, currency, amount in rows:
            giving[donor_id].append((currency, int(amount or 0)))
    return [
        DonorRow(d.id, d.name, d.email, tuple(giving[d.id]), d.erased_at is not None)
        for d in donors
    ]


@dataclass
class DriveGiving:
    drive: Drive
    counted: int  # what the donor's gifts count toward the drive (ledger's running sum)
    gifts: int  # gifts that count


@dataclass
class DonorRecord:
    """Everything the donor page shows about one donor."""

    donor: Donor
    gifts: list[Donation]  # newest first, every channel and status
    merged: list[Donor]  # donors merged into this one
    emails: list[OutboxEmail]  # receipts and statements, newest first
    events: list[DonorEvent]  # merges, exports, erasure, statements
    per_drive: list[DriveGiving] = field(default_factory=list)
    # {(year, currency): counted}, the year in the organisation's time zone
    per_year: dict[tuple[int, str], int] = field(default_factory=dict)
    lifetime: dict[str, int] = field(default_factory=dict)  # {currency: counted}

    @property
    def names(self) -> list[str]:
        """Every name the donor gave on a gift, newest first, once each."""
        seen: dict[str, None] = {}
        for gift in self.gifts:
            if gift.donor_name:
                seen.setdefault(gift.donor_name, None)
        return list(seen)


def get_donor(donor_id: int) -> Donor:
    donor = db.session.get(Donor, donor_id)
    if donor is None:
        raise NotFound(f"no donor {donor_id}", "donor")
    return donor


def donor_by_email(email: str) -> Donor:
    """The live donor of ``email``; ``NotFound`` naming the email when none."""
    key = normalize_email(email)
    donor = (
        db.session.scalar(select(Donor).where(Donor.email_key == key)) if key is not None else None
    )
    if donor is None:
        raise NotFound(f"no donor with the email {email.strip()[:320]!r}", "email")
    return donor


def donor_record(donor_id: int) -> DonorRecord:
    donor = get_donor(donor_id)
    gifts = list(
        db.session.scalars(
            select(Donation)
            .where(Donation.donor_id == donor.id)
            .order_by(Donation.received_at.desc(), Donation.id.desc())
        )
    )
    gift_ids = [g.id for g in gifts]
    emails = list(
        db.session.scalars(
            select(OutboxEmail)
            .where(
                or_(
                    OutboxEmail.donor_id == donor.id,
                    OutboxEmail.donation_id.in_(gift_ids) if gift_ids else False,
                )
            )
            .order_by(OutboxEmail.created_at.desc(), OutboxEmail.id.desc())
        )
    )
    record = DonorRecord(
        donor=donor,
        gifts=gifts,
        merged=list(db.session.scalars(select(Donor).where(Donor.merged_into_id == donor.id))),
        emails=emails,
        events=list(
            db.session.scalars(
                select(DonorEvent)
                .where(DonorEvent.donor_id == donor.id)
                .order_by(DonorEvent.id.desc())
            )
        ),
    )
    sums = db.session.execute(
        select(Drive, DriveDonor.counted_amount)
        .join(DriveDonor, DriveDonor.drive_id == Drive.id)
        .where(DriveDonor.donor_id == donor.id)
        .order_by(Drive.starts_at.desc())
    ).all()
    counting: dict[int, int] = defaultdict(int)
    tz = organisation_timezone()
    for gift in gifts:
        counted = gift.counted_amount
        if counted > 0:
            counting[gift.drive_id] += 1
            year = gift.received_at.astimezone(tz).year
            key = (year, gift.currency)
            record.per_year[key] = record.per_year.get(key, 0) + counted
    for drive, counted in sums:
        if counted or counting[drive.id]:
            record.per_drive.append(DriveGiving(drive, int(counted), counting[drive.id]))
            record.lifetime[drive.currency] = record.lifetime.get(drive.currency, 0) + counted
    record.per_year = dict(sorted(record.per_year.items(), reverse=True))
    return record


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def export_donor(donor_id: int) -> dict[str, object]:
    """Everything held about a donor, as JSON-able data (a privacy request's answer):
    the donor, donors merged into them, every gift with its audit trail, every email
    (statement PDFs named, not included), and what was done to the donor record."""
    record = donor_record(donor_id)
    donor = record.donor
    gift_ids = [g.id for g in record.gifts]
    history: dict[int, list[DonationEvent]] = defaultdict(list)
    if gift_ids:
        for event in db.session.scalars(
            select(DonationEvent)
            .where(DonationEvent.donation_id.in_(gift_ids))
            .order_by(DonationEvent.id)
        ):
            history[event.donation_id].append(event)

    def person(d: Donor) -> dict[str, object]:
        return {
            "id": d.id,
            "name": d.name,
            "email": d.email,
            "address": d.address,
            "created_at": _iso(d.created_at),
            "erased_at": _iso(d.erased_at),
            "merged_into": d.merged_into_id,
        }

    return {
        "donor": person(donor),
        "merged_donors": [person(d) for d in record.merged],
        "lifetime_giving": [
            {"currency": currency, "amount": amount}
            for currency, amount in sorted(record.lifetime.items())
        ],
        "gifts": [
            {
                "receipt_number": g.receipt_number,
                "drive": g.drive.slug,
                "received_at": _iso(g.received_at),
                "method": g.method,
                "status": g.status,
                "amount": g.amount,
                "refunded_amount": g.refunded_amount,
                "disputed_amount": g.disputed_amount,
                "counted_amount": g.counted_amount,
                "fee_covered_amount": g.fee_covered_amount,
                "currency": g.currency,
                "donor_name": g.donor_name,
                "donor_email": g.donor_email,
                "display_name": g.display_name,
                "is_anonymous": g.is_anonymous,
                "message": g.message,
                "reference": g.reference,
                "provider": g.provider,
                "provider_ref": g.provider_ref,
                "send_receipt": g.send_receipt,
                "history": [
                    {
                        "at": _iso(e.created_at),
                        "action": e.action,
                        "actor": e.actor,
                        "amount_delta": e.amount_delta,
                        "details": e.details,
                    }
                    for e in history[g.id]
                ],
            }
            for g in record.gifts
        ],
        "emails": [
            {
                "kind": e.kind,
                "to": e.to_address,
                "status": e.status,
                "receipt_number": e.donation.receipt_number if e.donation_id else None,
                "period": e.period,
                "attachment": e.attachment_name,
                "created_at": _iso(e.created_at),
                "sent_at": _iso(e.sent_at),
            }
            for e in record.emails
        ],
        "donor_events": [
            {"at": _iso(e.created_at), "action": e.action, "actor": e.actor, "details": e.details}
            for e in reversed(record.events)
        ],
    }
