"""The log of checkout attempts, kept to spot card testing: who (IP, email), how
much, and what came of it. Written beside the payment, never instead of it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import request
from sqlalchemy.exc import SQLAlchemyError

from ..errors import DonationDriveError
from ..extensions import db
from ..models import Drive, PaymentAttempt

log = logging.getLogger(__name__)

# Outcomes, besides the PaymentIntent statuses (succeeded, processing, requires_action).
REJECTED = "rejected"  # the form did not pass our checks
DECLINED = "declined"  # the card was refused
RATE_LIMITED = "rate_limited"
PROVIDER_ERROR = "provider_error"  # the provider unreachable or erring


def outcome_of(exc: DonationDriveError) -> str:
    """What a refused attempt came to, read from the HTTP status its error maps to,
    so every provider's errors classify alike: 402 declined, 5xx provider trouble."""
    if exc.status_code == 402:
        return DECLINED
    if exc.status_code >= 500:
        return PROVIDER_ERROR
    return REJECTED


@dataclass
class Attempt:
    """What a checkout view learns of the attempt as it goes."""

    drive: Drive | None = None
    email: str | None = None
    amount: int | None = None
    outcome: str | None = None  # set once the attempt went through


@contextmanager
def logged_attempt(email: object = None) -> Iterator[Attempt]:
    """Log the checkout attempt the ``with`` block makes, from the request's address.
    The block fills in the drive, amount and outcome as it learns them; a domain
    error is logged with its outcome (``outcome_of``) and goes on to the caller."""
    attempt = Attempt(email=email if isinstance(email, str) else None)
    try:
        yield attempt
    except DonationDriveError as exc:
        _log(attempt, outcome_of(exc), str(exc))
        raise
    _log(attempt, attempt.outcome or "unknown")


def _log(attempt: Attempt, outcome: str, error: str | None = None) -> None:
    log_attempt(
        drive_id=attempt.drive.id if attempt.drive else None,
        ip=request.remote_addr,
        email=attempt.email,
        amount=attempt.amount,
        outcome=outcome,
        error=error,
    )


def log_attempt(
    *,
    drive_id: int | None,
    ip: str | None,
    email: str | None,
    amount: int | None,
    outcome: str,
    error: str | None = None,
) -> None:
    """Store one attempt in its own transaction. A failure to log is reported and
    swallowed: it must not turn a payment into an error page."""
    try:
        db.session.add(
            PaymentAttempt(
                drive_id=drive_id,
                ip=(ip or "")[:64] or None,
                email=(email or "")[:320] or None,
                amount=amount,
                outcome=outcome[:32],
                error=(error or "")[:1000] or None,
            )
        )
        db.session.commit()
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("could not log a checkout attempt (%s)", outcome)


def on_donor_erased(_app, *, erasure, **_: object) -> dict[str, int]:
    """A privacy request: the attempt log forgets the donor's email addresses."""
    from sqlalchemy import func, update

    keys = {text.strip().casefold() for text in erasure.texts if "@" in text}
    if not keys:
        return {"checkout_attempts": 0}
    cleared = db.session.execute(
        update(PaymentAttempt)
        .where(func.lower(func.trim(PaymentAttempt.email)).in_(sorted(keys)))
        .values(email=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"checkout_attempts": cleared or 0}
