"""The transaction discipline every ledger write follows: run, queue the drive's
running totals by what the change did, audit it, announce it, commit, retry when
a concurrent writer got there first, and say after the commit which drives moved."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TypeVar

from flask import current_app
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from ..database import is_database_busy
from ..errors import NotFound
from ..extensions import db
from ..models import Donation, DonationEvent, Drive
from . import breakdown
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
    """What the open attempt changed: {drive id: [amount delta, donor count delta]},
    and per drive the payment method of each gift it made count."""

    totals: dict[int, list[int]] = field(default_factory=dict)
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
        breakdown.discard()
    sender = current_app._get_current_object()
    for drive_id in sorted(committed.totals.keys() | committed.counted.keys()):
        methods = tuple(committed.counted.get(drive_id, ()))
        totals_changed.send(sender, drive_id=drive_id, counted_methods=methods)
    return result


def _commit_once(work: Callable[[], T]) -> tuple[T, _Attempt]:
    attempt = db.session.info[_OPEN] = _Attempt()
    breakdown.begin()
    try:
        result = work()
        breakdown.write_queued()  # the drive's breakdown rows, then its totals row
        _write_queued_totals(attempt.totals)
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
        donor_count=_DRIVES.c.donor_count + bindparam("count_delta"),
    )
)


def move_drive_totals(drive_id: int, delta: int, count_delta: int) -> None:
    """Change a drive's running totals when the current ledger transaction commits."""
    moved = _open_attempt("drive totals move").totals.setdefault(drive_id, [0, 0])
    moved[0] += delta
    moved[1] += count_delta


def _write_queued_totals(queued: dict[int, list[int]]) -> None:
    db.session.flush()  # the ORM's pending rows first: the drive row stays last
    for drive_id in sorted(queued):  # one order for all writers: no lock cycles
        delta, count_delta = queued[drive_id]
        if delta or count_delta:
            db.session.execute(
                _MOVE_TOTALS, {"drive_id": drive_id, "delta": delta, "count_delta": count_delta}
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


def snapshot(donation: Donation) -> tuple[int, int]:
    breakdown.remember(donation)
    counted = donation.counted_amount
    return counted, 1 if counted > 0 else 0


def apply_change(
    donation: Donation,
    before: tuple[int, int],
    *,
    actor: str,
    action: str,
    details: dict | None = None,
) -> int:
    """Move the drive's running totals (and its breakdown, ``breakdown``) by what
    this change to an ORM-loaded donation did, and audit it."""
    after = snapshot(donation)
    delta, count_delta = after[0] - before[0], after[1] - before[1]
    db.session.flush()  # the version check on the donation row happens here
    move_drive_totals(donation.drive_id, delta, count_delta)
    breakdown.move_changed(donation, before[0])
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
