"""What a statement says: the period, the donors who gave in it, and each donor's
gifts (net of refunds and disputes) with the organisation's details."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import db
from ..formatting import organisation_timezone
from ..models import Donation, Donor, Status, normalize_email

MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, slots=True)
class Period:
    """The span a statement covers, in the organisation's time zone: [start, end)."""

    year: int
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        """The outbox's name for it: "2026", or "FY2026" for a fiscal year."""
        return str(self.year) if self.start.month == 1 else f"FY{self.year}"

    @property
    def title(self) -> str:
        if self.start.month == 1:
            return f"calendar year {self.year}"
        last = self.end - timedelta(days=1)
        return f"fiscal year {self.year} ({self.start:%B %Y} to {last:%B %Y})"


def statement_period(year: int) -> Period:
    """The calendar year ``year``, or fiscal year ``year`` when FISCAL_YEAR_START_MONTH
    is not 1 (it ends in ``year``)."""
    if isinstance(year, bool) or not isinstance(year, int) or not MIN_YEAR <= year <= MAX_YEAR:
        raise InvalidInput(f"year must be between {MIN_YEAR} and {MAX_YEAR}", "year")
    month = int(current_app.config.get("FISCAL_YEAR_START_MONTH") or 1)
    if not 1 <= month <= 12:
        raise InvalidInput("FISCAL_YEAR_START_MONTH must be 1 to 12", "FISCAL_YEAR_START_MONTH")
    tz = organisation_timezone()
    if month == 1:
        return Period(year, datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz))
    return Period(
        year, datetime(year - 1, month, 1, tzinfo=tz), datetime(year, month, 1, tzinfo=tz)
    )


@dataclass(frozen=True, slots=True)
class StatementLine:
    receipt_number: str
    received_at: datetime  # in the organisation's time zone
    method: str
    drive_title: str
    amount: int
    refunded: int  # refunded or held by a dispute
    net: int
    currency: str


@dataclass(frozen=True, slots=True)
class Statement:
    donor_id: int
    name: str | None
    email: str | None
    address: str | None
    period: Period
    lines: tuple[StatementLine, ...]

    @property
    def totals(self) -> dict[str, int]:
        """Net giving per currency."""
        sums: dict[str, int] = defaultdict(int)
        for line in self.lines:
            sums[line.currency] += line.net
        return dict(sorted(sums.items()))


def _counted_in(period: Period):
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    return (
        Donation.status == Status.SUCCEEDED,
        net > 0,
        Donation.received_at >= period.start.astimezone(ZoneInfo("UTC")),
        Donation.received_at < period.end.astimezone(ZoneInfo("UTC")),
    )


def donors_with_giving(period: Period, *, email: str | None = None) -> list[Donor]:
    """Live donors with at least one gift that counts in ``period`` (one donor when
    ``email`` is given), by id."""
    statement = (
        select(Donor)
        .where(
            Donor.id.in_(select(Donation.donor_id).where(*_counted_in(period)).distinct()),
            Donor.merged_into_id.is_(None),
        )
        .order_by(Donor.id)
    )
    if email is not None:
        statement = statement.where(Donor.email_key == normalize_email(email))
    return list(db.session.scalars(statement))


def build_statement(donor: Donor, period: Period) -> Statement:
    tz = organisation_timezone()
    gifts = db.session.scalars(
        select(Donation)
        .where(Donation.donor_id == donor.id, *_counted_in(period))
        .order_by(Donation.received_at, Donation.id)
    ).all()
    lines = tuple(
        StatementLine(
            receipt_number=g.receipt_number,
            received_at=g.received_at.astimezone(tz),
            method=g.method,
            drive_title=g.drive.title,
            amount=g.amount,
            refunded=g.amount - g.counted_amount,
            net=g.counted_amount,
            currency=g.currency,
        )
        for g in gifts
    )
    name = donor.name or next((g.donor_name for g in reversed(gifts) if g.donor_name), None)
    return Statement(donor.id, name, donor.email, donor.address, period, lines)
