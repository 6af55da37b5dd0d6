"""The transaction discipline every ledger write follows: run, update the drive's
running totals by what the change did, audit it, commit, and retry when a
concurrent writer got there first."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TypeVar

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_incrementing

from ..database import is_database_busy
from ..errors import NotFound
from ..extensions import db
from ..models import Donation, DonationEvent, Drive
from .totals import invalidate_progress

T = TypeVar("T")


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


def in_transaction(work: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``work`` and commit, retrying when a concurrent writer got there first
    (optimistic-lock or unique-key conflicts, a busy SQLite file).

    The drive totals ``work`` moved (``move_drive_totals``) are written last, just
    before the commit: every payment updates its drive's row, so that row's lock is
    the one all concurrent ledger writes queue on, and it is then held for one
    statement and the commit instead of the whole transaction."""
    info = db.session.info
    if _QUEUED_TOTALS in info:
        raise RuntimeError("ledger transactions do not nest")
    try:
        return _retrying(attempts)(_commit_once, work)
    finally:
        info.pop(_QUEUED_TOTALS, None)  # an attempt that rolled back moved nothing


def _commit_once(work: Callable[[], T]) -> T:
    db.session.info[_QUEUED_TOTALS] = {}
    try:
        result = work()
        _write_queued_totals(db.session.info[_QUEUED_TOTALS])
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return result


# session.info key: {drive id: [amount delta, donor count delta]} of the open attempt.
_QUEUED_TOTALS = "ledger.queued_drive_totals"
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
    queued = db.session.info.get(_QUEUED_TOTALS)
    if queued is None:
        # Written outside in_transaction, the change would be lost: refuse loudly.
        raise RuntimeError("drive totals move only inside in_transaction")
    moved = queued.setdefault(drive_id, [0, 0])
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


def snapshot(donation: Donation) -> tuple[int, int]:
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
    """Move the drive's running totals by what this change did, and audit it."""
    after = snapshot(donation)
    delta, count_delta = after[0] - before[0], after[1] - before[1]
    db.session.flush()  # the version check on the donation row happens here
    move_drive_totals(donation.drive_id, delta, count_delta)
    db.session.add(
        DonationEvent(
            donation_id=donation.id,
            actor=actor,
            action=action,
            amount_delta=delta,
            details=details or {},
        )
    )
    return delta


def after_commit(drive_id: int) -> None:
    invalidate_progress(drive_id)


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
