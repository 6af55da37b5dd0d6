"""The dashboard's figures for one drive.

The headline (raised, donor count) is the ledger's ``drive_progress``:
the figure the widget shows. Everything else here breaks that figure down with the
ledger's own rule for what counts (succeeded, less refunds and held disputes; see
``counted_amount``), so the parts add up to the whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy import func, select

from ...extensions import db
from ...ledger import Progress, drive_progress
from ...ledger.breakdown import counted_by_method
from ...ledger.schedule import whole_days_until
from ...models import Donation, Drive, DriveAmountCount, DriveHourTotal, Method, Status, utcnow

# What a donation adds to its drive, in SQL; the same rule as ``counted_amount``.
NET_AMOUNT = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
IS_COUNTED = (Donation.status == Status.SUCCEEDED) & (NET_AMOUNT > 0)

TOP_GIFTS = 10
LATEST_GIFTS = 10


@dataclass(frozen=True, slots=True)
class MethodTotal:
    method: str
    amount: int  # counted minor units
    count: int

    def share_of(self, total: int) -> float:
        return round(self.amount * 100 / total, 1) if total else 0.0


@dataclass(frozen=True, slots=True)
class DriveOverview:
    drive: Drive
    progress: Progress
    average_gift: int  # minor units, rounded half up
    median_gift: int  # minor units, rounded half up
    by_method: list[MethodTotal]
    daily: list[tuple[date, int]]  # (local day, counted minor units), days with gifts only
    largest: list[Donation]
    latest: list[Donation]
    now: datetime

    @property
    def days_left(self) -> int:
        """Whole days until the drive ends, counting a part day as one; 0 once ended."""
        return whole_days_until(self.drive.ends_at, self.now)

    @property
    def has_started(self) -> bool:
        return self.now >= self.drive.starts_at

    @property
    def days_to_start(self) -> int:
        return whole_days_until(self.drive.starts_at, self.now)


def _rounded_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest integer, halves up (non-negative input)."""
    return (2 * numerator + denominator) // (2 * denominator)


def method_totals(drive_id: int) -> list[MethodTotal]:
    """Counted money and gifts per method, every method listed (zeros included), in
    the order of ``Method``. The amounts add up to the drive's raised figure.

    Read from the ledger's hourly breakdown (at most 24 rows a day per method), not
    from the donations."""
    found = counted_by_method(drive_id)
    totals = [MethodTotal(m.value, *found.pop(m.value, (0, 0))) for m in Method]
    # A method outside the enum (written by hand in the database) still adds up.
    totals += [MethodTotal(m, amount, count) for m, (amount, count) in sorted(found.items())]
    return totals


def median_gift(drive_id: int, count: int) -> int:
    """The middle counted gift (the mean of the two middle ones for an even count).

    Read from the ledger's amount histogram: one row per distinct counted amount,
    walked in amount order with a running sum of gifts until it passes the middle."""
    if count <= 0:
        return 0
    upto = (
        func.sum(DriveAmountCount.gift_count).over(order_by=DriveAmountCount.amount).label("upto")
    )
    histogram = (
        select(DriveAmountCount.amount, upto)
        .where(DriveAmountCount.drive_id == drive_id, DriveAmountCount.gift_count > 0)
        .subquery()
    )
    # The 1-based positions of the middle gift(s); the first amount whose running
    # count reaches a position holds it.
    positions = sorted({(count + 1) // 2, count // 2 + 1})
    middle = [
        db.session.scalar(
            select(histogram.c.amount)
            .where(histogram.c.upto >= position)
            .order_by(histogram.c.amount)
            .limit(1)
        )
        for position in positions
    ]
    middle = [int(value) for value in middle if value is not None]
    if not middle:
        return 0
    if len(positions) == 1:
        return middle[0]
    return _rounded_ratio(sum(middle), len(middle))


def daily_totals(drive_id: int, tz: tzinfo) -> list[tuple[date, int]]:
    """Counted money per day in ``tz``, by the day each gift was received.

    Read from the ledger's hourly breakdown (at most 24 rows a day); the UTC hours
    are moved into local days here, so any whole-hour time zone is exact.
    """
    rows = db.session.execute(
        select(DriveHourTotal.hour, func.sum(DriveHourTotal.counted_amount))
        .where(DriveHourTotal.drive_id == drive_id, DriveHourTotal.gift_count > 0)
        .group_by(DriveHourTotal.hour)
    ).all()
    days: dict[date, int] = defaultdict(int)
    for hour, amount in rows:
        days[hour.astimezone(tz).date()] += int(amount)
    return sorted(days.items())


def largest_gifts(drive_id: int, limit: int = TOP_GIFTS) -> list[Donation]:
    """The biggest gifts that count, by amount received."""
    return list(
        db.session.scalars(
            select(Donation)
            .where(Donation.drive_id == drive_id, IS_COUNTED)
            .order_by(Donation.amount.desc(), Donation.id.desc())
            .limit(limit)
        )
    )


def latest_donations(drive_id: int, limit: int = LATEST_GIFTS) -> list[Donation]:
    """The most recently received donations in any state but an unpaid checkout, so a
    void or a failed payment shows up here too."""
    return list(
        db.session.scalars(
            select(Donation)
            .where(Donation.drive_id == drive_id, Donation.status != Status.PENDING)
            .order_by(Donation.received_at.desc(), Donation.id.desc())
            .limit(limit)
        )
    )


def drive_overview(drive: Drive, tz: tzinfo, now: datetime | None = None) -> DriveOverview:
    """Every figure on the overview page for one drive."""
    progress = drive_progress(drive.slug)
    by_method = method_totals(drive.id)
    counted_gifts = sum(t.count for t in by_method)
    average = (
        _rounded_ratio(progress.raised_amount, progress.gift_count) if progress.gift_count else 0
    )
    return DriveOverview(
        drive=drive,
        progress=progress,
        average_gift=average,
        median_gift=median_gift(drive.id, counted_gifts),
        by_method=by_method,
        daily=daily_totals(drive.id, tz),
        largest=largest_gifts(drive.id),
        latest=latest_donations(drive.id),
        now=now or utcnow(),
    )
