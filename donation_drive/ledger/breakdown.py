"""The drive breakdown: what each drive's counted money is made of, kept by the
ledger in the same transaction as the running total (``transactions``), so the
dashboard reads a few hundred rows however many gifts there are.

Two maintained tables (``models.breakdown``): counted minor units and gifts per
(drive, UTC hour, method), and gifts per (drive, counted amount). Every change to
what a gift counts moves both by the gift's share before and after the change
(``move_gift``); the moves of one attempt are summed and written just before the
drive row, in one key order for all writers. ``check_breakdown`` recomputes both from
the donation rows and says where they differ.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, func, insert, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..extensions import db
from ..models import Donation, Drive, DriveAmountCount, DriveHourTotal, Status


@dataclass(frozen=True, slots=True)
class Share:
    """What one gift counts toward its drive, and where in the breakdown: by the
    method it was paid with and the UTC hour it was received in."""

    method: str
    received_at: datetime
    amount: int  # counted minor units; 0 when it does not count

    @classmethod
    def of(cls, donation: Donation) -> Share:
        return cls(donation.method, donation.received_at, donation.counted_amount)


def utc_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class _Queued:
    hours: dict[tuple[int, datetime, str], list[int]]  # key -> [amount, gifts]
    amounts: dict[tuple[int, int], int]  # (drive, amount) -> gifts


# session.info keys: the open attempt's queued moves, and the share each donation
# had when the ledger took its snapshot (by object identity, within the attempt).
_QUEUED = "ledger.breakdown"
_BEFORE = "ledger.breakdown_before"


def begin_breakdown() -> None:
    """A ledger attempt starts: nothing is queued."""
    db.session.info[_QUEUED] = _Queued(defaultdict(lambda: [0, 0]), defaultdict(int))
    db.session.info[_BEFORE] = {}


def discard_breakdown() -> None:
    db.session.info.pop(_QUEUED, None)
    db.session.info.pop(_BEFORE, None)


def _queued() -> _Queued:
    queued = db.session.info.get(_QUEUED)
    if queued is None:
        raise RuntimeError("the drive breakdown moves only inside in_transaction")
    return queued


def move_gift(drive_id: int, before: Share | None, after: Share | None) -> None:
    """A gift of ``drive_id`` went from counting ``before`` to counting ``after``
    (None or a zero amount: not counting)."""
    queued = _queued()
    for share, sign in ((before, -1), (after, 1)):
        if share is None or share.amount <= 0:
            continue
        hour = queued.hours[(drive_id, utc_hour(share.received_at), share.method)]
        hour[0] += sign * share.amount
        hour[1] += sign
        queued.amounts[(drive_id, share.amount)] += sign


def remember_breakdown(donation: Donation) -> None:
    """Note the share of an ORM-loaded donation before the ledger changes it (the
    ledger's ``snapshot``). The first note of an attempt stays until ``move_changed_breakdown``
    moves it on: ``apply_change`` snapshots the changed row too."""
    noted = db.session.info.setdefault(_BEFORE, {})
    if id(donation) not in noted:
        noted[id(donation)] = (donation, Share.of(donation))


def move_changed_breakdown(donation: Donation, before_amount: int) -> None:
    """An ORM-loaded donation's change: from what ``remember_breakdown`` noted (``before_amount``
    is what the ledger's snapshot said it counted; 0 for a new row) to what it counts
    now."""
    noted = db.session.info.get(_BEFORE, {}).get(id(donation))
    before: Share | None = None
    if before_amount > 0:
        if noted is None or noted[0] is not donation or noted[1].amount != before_amount:
            raise RuntimeError(f"donation {donation.id} changed without a snapshot")
        before = noted[1]
    after = Share.of(donation)
    move_gift(donation.drive_id, before, after)
    # A second change in the same attempt starts from here.
    db.session.info.setdefault(_BEFORE, {})[id(donation)] = (donation, after)


def _upserts(dialect: str):
    module = postgresql if dialect == "postgresql" else sqlite
    hours = module.insert(DriveHourTotal.__table__)
    hours = hours.on_conflict_do_update(
        index_elements=["drive_id", "hour", "method"],
        set_={
            "counted_amount": DriveHourTotal.__table__.c.counted_amount
            + hours.excluded.counted_amount,
            "gift_count": DriveHourTotal.__table__.c.gift_count + hours.excluded.gift_count,
        },
    )
    amounts = module.insert(DriveAmountCount.__table__)
    amounts = amounts.on_conflict_do_update(
        index_elements=["drive_id", "amount"],
        set_={"gift_count": DriveAmountCount.__table__.c.gift_count + amounts.excluded.gift_count},
    )
    return hours, amounts


_UPSERTS = {name: _upserts(name) for name in ("postgresql", "sqlite")}


def write_queued_breakdown() -> None:
    """Write the attempt's summed moves (inside its transaction, before the drive
    row): one upsert per touched row, keys sorted so writers lock in one order."""
    queued = db.session.info.pop(_QUEUED, None)
    db.session.info.pop(_BEFORE, None)
    if queued is None:
        return
    hours_upsert, amounts_upsert = _UPSERTS[db.session.get_bind().dialect.name]
    for (drive_id, hour, method), (amount, gifts) in sorted(queued.hours.items()):
        if amount or gifts:
            db.session.execute(
                hours_upsert,
                {
                    "drive_id": drive_id,
                    "hour": hour,
                    "method": method,
                    "counted_amount": amount,
                    "gift_count": gifts,
                },
            )
    for (drive_id, amount), gifts in sorted(queued.amounts.items()):
        if gifts:
            db.session.execute(
                amounts_upsert, {"drive_id": drive_id, "amount": amount, "gift_count": gifts}
            )


# What a donation adds to its drive, in SQL; the same rule as ``counted_amount``.
NET_AMOUNT = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
IS_COUNTED = (Donation.status == Status.SUCCEEDED) & (NET_AMOUNT > 0)


def _hour_text(column):
    """The UTC hour of a timestamp as 'YYYY-MM-DD HH', on SQLite and PostgreSQL."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(column.op("AT TIME ZONE")(literal_column("'UTC'")), "YYYY-MM-DD HH24")
    return func.strftime("%Y-%m-%d %H", column)


def recount_breakdown(drive_id: int) -> tuple[dict, dict]:
    """Both tables of one drive recomputed from the donation rows (a full scan of
    the drive's gifts: for checks, never to serve a page): ({(hour, method): (amount,
    gifts)}, {amount: gifts})."""
    hour = _hour_text(Donation.received_at).label("hour")
    hours = {
        (datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC), method): (
            int(amount),
            int(gifts),
        )
        for text, method, amount, gifts in db.session.execute(
            select(hour, Donation.method, func.sum(NET_AMOUNT), func.count())
            .where(Donation.drive_id == drive_id, IS_COUNTED)
            .group_by(hour, Donation.method)
        )
    }
    amounts = {
        int(amount): int(gifts)
        for amount, gifts in db.session.execute(
            select(NET_AMOUNT, func.count())
            .where(Donation.drive_id == drive_id, IS_COUNTED)
            .group_by(NET_AMOUNT)
        )
    }
    return hours, amounts


def rebuild_breakdown(drive_id: int) -> None:
    """Replace a drive's breakdown with a recount of its donation rows, committed: for
    rows loaded around the ledger (a bulk load, a benchmark's seed) or a repair after
    ``check_breakdown`` found a difference. Takes the drive row's lock first, so no
    ledger write of the drive interleaves."""
    db.session.execute(
        update(Drive).where(Drive.id == drive_id).values(raised_amount=Drive.raised_amount)
    )
    hours, amounts = recount_breakdown(drive_id)
    db.session.execute(delete(DriveHourTotal).where(DriveHourTotal.drive_id == drive_id))
    db.session.execute(delete(DriveAmountCount).where(DriveAmountCount.drive_id == drive_id))
    if hours:
        db.session.execute(
            insert(DriveHourTotal),
            [
                {
                    "drive_id": drive_id,
                    "hour": hour,
                    "method": method,
                    "counted_amount": amount,
                    "gift_count": gifts,
                }
                for (hour, method), (amount, gifts) in hours.items()
            ],
        )
    if amounts:
        db.session.execute(
            insert(DriveAmountCount),
            [
                {"drive_id": drive_id, "amount": amount, "gift_count": gifts}
                for amount, gifts in amounts.items()
            ],
        )
    db.session.commit()


def counted_by_method(
    drive_id: int, methods: tuple[str, ...] | None = None
) -> dict[str, tuple[int, int]]:
    """What a drive's counted money is, per payment method (``methods`` only, when
    given): {method: (counted minor units, gifts)}, methods with no counting gift left
    out. Read from the hourly breakdown (at most 24 rows a day per method), never from
    the donations, so the dashboard and the widget may ask on every request."""
    query = (
        select(
            DriveHourTotal.method,
            func.sum(DriveHourTotal.counted_amount),
            func.sum(DriveHourTotal.gift_count),
        )
        .where(DriveHourTotal.drive_id == drive_id)
        .group_by(DriveHourTotal.method)
    )
    if methods is not None:
        query = query.where(DriveHourTotal.method.in_(methods))
    return {
        method: (int(amount), int(count))
        for method, amount, count in db.session.execute(query)
        if count
    }


def kept_breakdown(drive_id: int) -> tuple[dict, dict]:
    """Both tables of one drive as kept, in the shape of ``recount_breakdown``
    (rows at zero left out)."""
    hours = {
        (row.hour, row.method): (int(row.counted_amount), int(row.gift_count))
        for row in db.session.execute(
            select(
                DriveHourTotal.hour,
                DriveHourTotal.method,
                DriveHourTotal.counted_amount,
                DriveHourTotal.gift_count,
            ).where(DriveHourTotal.drive_id == drive_id)
        )
        if row.counted_amount or row.gift_count
    }
    amounts = {
        int(amount): int(gifts)
        for amount, gifts in db.session.execute(
            select(DriveAmountCount.amount, DriveAmountCount.gift_count).where(
                DriveAmountCount.drive_id == drive_id
            )
        )
        if gifts
    }
    return hours, amounts


def check_breakdown(drive_id: int) -> dict[str, int]:
    """Where the kept breakdown of a drive differs from a recount: {"hours": rows
    that differ, "amounts": rows that differ}, empty when they agree."""
    kept_hours, kept_amounts = kept_breakdown(drive_id)
    hours, amounts = recount_breakdown(drive_id)
    differences = {}
    wrong_hours = sum(
        1 for key in kept_hours.keys() | hours.keys() if kept_hours.get(key) != hours.get(key)
    )
    wrong_amounts = sum(
        1
        for key in kept_amounts.keys() | amounts.keys()
        if kept_amounts.get(key) != amounts.get(key)
    )
    if wrong_hours:
        differences["hours"] = wrong_hours
    if wrong_amounts:
        differences["amounts"] = wrong_amounts
    return differences
