"""The transaction discipline every ledger write follows: run, queue the drive's
running totals by what the change did, audit it, announce it, commit, retry when
a concurrent writer got there first, and say after the commit which drives moved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import NamedTuple, TypeVar

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from ..database import is_database_busy
from ..errors import NotFound
from ..extensions import db
from ..models import Donation, DonationEvent, Drive, DriveDonor
from .breakdown import (
    begin_breakdown,
    discard_breakdown,
    move_changed_breakdown,
    remember_breakdown,
    write_queued_breakdown,
)
from .signals import Gift, gift_counted, totals_changed

T = TypeVar("T")

AlsoWrite = Callable[[], object]
"""Another module's writes that must commit or roll back with a ledger change (the
webhook intake marks its stored event processed this way). A ledger function that
takes one runs it inside its transaction, after its own writes and before the
drive's totals and the commit, on every attempt."""


def _is_write_conflict(error: BaseException) -> bool:
    """A concurrent writer got there first: an optimistic-lock miss on a donation,
    a unique key taken meanwhile, or a busy SQLite file. Trying again settles it."""
    return isinstance(error, StaleDataError | IntegrityError) or is_database_busy(error)


@cache
def _retrying(attempts: int) -> Retrying:
    # Shared between threads: tenacity keeps each call's state thread-local.
    return Retrying(
        stop=stop_after_attempt(attempts),
        wait=wait_incrementing(start=0.005, increment=0.005),
        retry=retry_if_exception(_is_write_conflict),
        reraise=True,
    )


@dataclass
class _Attempt:
    """What the open attempt changed: {drive id: [amount delta, gift count delta,
    donor count delta of gifts with no donor row]}, {(drive id, donor id): amount
    delta}, and per drive the payment method of each gift it made count."""

    totals: dict[int, list[int]] = field(default_factory=dict)
    donors: dict[tuple[int, int], int] = field(default_factory=dict)
    counted: dict[int, list[str]] = field(default_factory=dict)


# session.info key of the open attempt (one per session: transactions do not nest).
_OPEN = "ledger.open_attempt"


def in_transaction(work: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``work`` and commit, retrying when a concurrent writer got there first
    (optimistic-lock or unique-key conflicts, a busy SQLite file); then send
    ``totals_changed`` for each drive the committed attempt moved.

    The drive totals ``work`` moved (``move_drive_totals``) are written last, just
    before the commit: every payment updates its drive's row, so that row's lock is
    the one all concurrent ledger writes queue on, and it is then held for one
    statement and the commit instead of the whole transaction."""
    info = db.session.info
    if _OPEN in info:
        raise RuntimeError("ledger transactions do not nest")
    try:
        result, committed = _retrying(attempts)(_commit_once, work)
    finally:
        info.pop(_OPEN, None)  # an attempt that rolled back moved nothing
        discard_breakdown()
    sender = current_app._get_current_object()
    for drive_id in sorted(committed.totals.keys() | committed.counted.keys()):
        methods = tuple(committed.counted.get(drive_id, ()))
        totals_changed.send(sender, drive_id=drive_id, counted_methods=methods)
    return result


def _commit_once(work: Callable[[], T]) -> tuple[T, _Attempt]:
    attempt = db.session.info[_OPEN] = _Attempt()
    begin_breakdown()
    try:
        result = work()
        write_queued_breakdown()  # the drive's breakdown rows, then its totals row
        _write_queued_totals(attempt)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result, attempt


def _open_attempt(what: str) -> _Attempt:
    attempt = db.session.info.get(_OPEN)
    if attempt is None:
        # Written outside in_transaction, the change would be lost: refuse loudly.
        raise RuntimeError(f"{what} only inside in_transaction")
    return attempt


_DRIVES = Drive.__table__
# A Core UPDATE: the ORM's would also evaluate the change on every loaded Drive,
# which the commit right after expires anyway.
_MOVE_TOTALS = (
    update(_DRIVES)
    .where(_DRIVES.c.id == bindparam("drive_id"))
    .values(
        raised_amount=_DRIVES.c.raised_amount + bindparam("delta"),
        donor_count=_DRIVES.c.donor_count + bindparam("donor_delta"),
        gift_count=_DRIVES.c.gift_count + bindparam("gift_delta"),
    )
)
_DRIVE_DONORS = DriveDonor.__table__


def _donor_sum_upsert(module):
    """Money in: a first gift inserts the donor's row for the drive, a later one (or
    a first one racing it, once the other commits on PostgreSQL) adds to it."""
    statement = module.insert(_DRIVE_DONORS)
    return statement.on_conflict_do_update(
        index_elements=["drive_id", "donor_id"],
        set_={"counted_amount": _DRIVE_DONORS.c.counted_amount + statement.excluded.counted_amount},
    ).returning(_DRIVE_DONORS.c.counted_amount)


_ADD_TO_DONOR_SUM = {
    module.__name__.rsplit(".", 1)[-1]: _donor_sum_upsert(module) for module in (postgresql, sqlite)
}
# Money out (a refund, a void, a merge moving gifts away): the row exists. Not the
# upsert: PostgreSQL checks ``counted_amount >= 0`` on the row it would insert.
_TAKE_FROM_DONOR_SUM = (
    update(_DRIVE_DONORS)
    .where(
        _DRIVE_DONORS.c.drive_id == bindparam("b_drive_id"),
        _DRIVE_DONORS.c.donor_id == bindparam("b_donor_id"),
    )
    .values(counted_amount=_DRIVE_DONORS.c.counted_amount + bindparam("b_delta"))
    .returning(_DRIVE_DONORS.c.counted_amount)
)


def move_drive_totals(drive_id: int, delta: int, gift_delta: int, *, donor_id: int | None) -> None:
    """Change a drive's running totals when the current ledger transaction commits:
    its raised amount by ``delta``, its gift count by ``gift_delta``, and what
    ``donor_id`` gave it by ``delta`` (the donor count follows whether that sum is
    above zero). A gift with no donor row (one seeded around the ledger) counts as
    its own donor."""
    attempt = _open_attempt("drive totals move")
    moved = attempt.totals.setdefault(drive_id, [0, 0, 0])
    moved[0] += delta
    moved[1] += gift_delta
    if donor_id is None:
        moved[2] += gift_delta
    elif delta:
        key = (drive_id, donor_id)
        attempt.donors[key] = attempt.donors.get(key, 0) + delta


def move_donor_sum(drive_id: int, donor_id: int, delta: int) -> None:
    """Move what ``donor_id`` gave ``drive_id`` (a merge moves gifts between donors),
    leaving the drive's raised amount and gift count; its donor count follows."""
    attempt = _open_attempt("donor sums move")
    attempt.totals.setdefault(drive_id, [0, 0, 0])
    key = (drive_id, donor_id)
    attempt.donors[key] = attempt.donors.get(key, 0) + delta


def _write_queued_totals(attempt: _Attempt) -> None:
    db.session.flush()  # the ORM's pending rows first: the drive rows stay last
    queued = attempt.totals
    add_statement = _ADD_TO_DONOR_SUM[db.session.get_bind().dialect.name]
    for (drive_id, donor_id), delta in sorted(attempt.donors.items()):  # one lock order
        if not delta:
            continue
        if delta > 0:
            after = db.session.execute(
                add_statement, {"drive_id": drive_id, "donor_id": donor_id, "counted_amount": delta}
            ).scalar_one()
        else:
            after = db.session.execute(
                _TAKE_FROM_DONOR_SUM,
                {"b_drive_id": drive_id, "b_donor_id": donor_id, "b_delta": delta},
            ).scalar_one()
        before = after - delta
        queued.setdefault(drive_id, [0, 0, 0])[2] += (after > 0) - (before > 0)
    for drive_id in sorted(queued):  # one order for all writers: no lock cycles
        delta, gift_delta, donor_delta = queued[drive_id]
        if delta or gift_delta or donor_delta:
            db.session.execute(
                _MOVE_TOTALS,
                {
                    "drive_id": drive_id,
                    "delta": delta,
                    "gift_delta": gift_delta,
                    "donor_delta": donor_delta,
                },
            )


def announce_counted(gift: Gift) -> None:
    """Send ``gift_counted`` inside the open transaction (the outbox queues the
    receipt there), and note the gift for this commit's ``totals_changed``."""
    _open_attempt("gifts are counted").counted.setdefault(gift.drive_id, []).append(gift.method)
    gift_counted.send(current_app._get_current_object(), gift=gift)


_INSERT_AUDIT = insert(DonationEvent.__table__)


def audit(
    donation_id: int, *, actor: str, action: str, amount_delta: int, details: dict | None
) -> None:
    """Write the audit row of a change to a donation (the one writer of that table)."""
    db.session.execute(
        _INSERT_AUDIT,
        {
            "donation_id": donation_id,
            "actor": actor,
            "action": action,
            "amount_delta": amount_delta,
            "details": details or {},
        },
    )


class Counted(NamedTuple):
    """What a donation counted toward its drive at one moment, and for whom."""

    amount: int
    donor_id: int | None


NOT_COUNTED = Counted(0, None)  # a row being created


def snapshot(donation: Donation) -> Counted:
    remember_breakdown(donation)
    return Counted(donation.counted_amount, donation.donor_id)


def apply_change(
    donation: Donation,
    before: Counted,
    *,
    actor: str,
    action: str,
    details: dict | None = None,
) -> int:
    """Move the drive's running totals (the donor's share of them, and the drive's
    breakdown, ``breakdown``) by what this change to an ORM-loaded donation did, and
    audit it."""
    after = snapshot(donation)
    delta = after.amount - before.amount
    db.session.flush()  # the version check on the donation row happens here
    if before.donor_id == after.donor_id or before == NOT_COUNTED:
        move_drive_totals(
            donation.drive_id,
            delta,
            (after.amount > 0) - (before.amount > 0),
            donor_id=after.donor_id,
        )
    else:  # the gift moved to another donor: out of one's sum, into the other's
        move_drive_totals(
            donation.drive_id, -before.amount, -(before.amount > 0), donor_id=before.donor_id
        )
        move_drive_totals(
            donation.drive_id, after.amount, int(after.amount > 0), donor_id=after.donor_id
        )
    move_changed_breakdown(donation, before.amount)
    audit(donation.id, actor=actor, action=action, amount_delta=delta, details=details)
    return delta


def load_donation(donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", "donation")
    return donation


def find_provider_donation(provider: str, provider_ref: str) -> Donation | None:
    return db.session.scalar(
        select(Donation)
        .where(Donation.provider == provider, Donation.provider_ref == provider_ref)
        .execution_options(populate_existing=True)
    )
