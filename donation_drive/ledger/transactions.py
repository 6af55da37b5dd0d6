"""The transaction discipline every ledger write follows: run, update the drive's
running totals by what the change did, audit it, commit, and retry when a
concurrent writer got there first."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..errors import NotFound
from ..extensions import db
from ..models import Donation, DonationEvent, Drive
from .totals import invalidate_progress

T = TypeVar("T")


def in_transaction(work: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``work`` and commit, retrying when a concurrent writer got there first
    (optimistic-lock or unique-key conflicts, a busy SQLite file)."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError, OperationalError) as exc:
            db.session.rollback()
            retryable = not isinstance(exc, OperationalError) or "locked" in str(exc)
            if not retryable or attempt == attempts:
                raise
            time.sleep(0.005 * attempt)
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


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
    if delta or count_delta:
        db.session.execute(
            update(Drive)
            .where(Drive.id == donation.drive_id)
            .values(
                raised_amount=Drive.raised_amount + delta,
                donor_count=Drive.donor_count + count_delta,
            )
        )
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
