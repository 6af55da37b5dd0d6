"""The dashboard's figures for one drive.

The headline (raised, donor count) is the ledger's ``drive_progress(fresh=True)``:
the figure the widget shows. Everything else here breaks that figure down with the
ledger's own rule for what counts (succeeded, less refunds and held disputes; see
``counted_amount``), so the parts add up to the whole.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sqlalchemy import ColumnElement, func, literal_column, select

from ...extensions import db
from ...ledger import Progress, drive_progress
from ...ledger.schedule import whole_days_until
from ...models import Donation, Drive, Method, Status, utcnow

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
    the order of ``Method``. The amounts add up to the drive's raised figure."""
    rows = db.session.execute(
        select(Donation.method, func.coalesce(func.sum(NET_AMOUNT), 0), func.count())
        .where(Donation.drive_id == drive_id, IS_COUNTED)
        .group_by(Donation.method)
    ).all()
    found = {method: (int(amount), int(count)) for method, amount, count in rows}
    totals = [MethodTotal(m.value, *found.pop(m.value, (0, 0))) for m in Method]
    # A method outside the enum (written by hand in the database) still adds up.
    totals += [MethodTotal(m, amount, count) for m, (amount, count) in sorted(found.items())]
    return totals


def median_gift(drive_id: int, count: int) -> int:
    """The middle counted gift (the mean of the two middle ones for an even count)."""
    if count <= 0:
        return 0
    middle = db.session.scalars(
        select(NET_AMOUNT)
        .where(Donation.drive_id == drive_id, IS_COUNTED)
        .order_by(NET_AMOUNT)
        .offset((count - 1) // 2)
        .limit(1 if count % 2 else 2)
    ).all()
    if not middle:
        return 0
    return _rounded_ratio(sum(int(v) for v in middle), len(middle))


def _utc_hour(column: ColumnElement) -> ColumnElement:
    """The UTC hour of a timestamp as 'YYYY-MM-DD HH', on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column.op("AT TIME ZONE")(literal_column("'UTC'")), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def daily_totals(drive_id: int, tz: tzinfo) -> list[tuple[date, int]]:
    """Counted money per day in ``tz``, by the day each gift was received.

    The database sums per UTC hour (portable SQL, at most 24 rows a day) and the
    hours are moved into local days here, so any whole-hour time zone is exact.
    """
    hour = _utc_hour(Donation.received_at).label("hour")
    rows = db.session.execute(
        select(hour, func.sum(NET_AMOUNT))
        .where(Donation.drive_id == drive_id, IS_COUNTED)
        .group_by(hour)
    ).all()
    days: dict[date, int] = defaultdict(int)
    for text, amount in rows:
        moment = datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
        days[moment.astimezone(tz).date()] += int(amount)
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
    progress = drive_progress(drive.slug, fresh=True)
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
