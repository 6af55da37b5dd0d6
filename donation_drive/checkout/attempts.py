"""The log of checkout attempts, kept to spot card testing: who (IP, email), how
much, and what came of it. Written beside the payment, never instead of it."""

from __future__ import annotations

import logging

from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db
from ..models import PaymentAttempt

log = logging.getLogger(__name__)

# Outcomes, besides the PaymentIntent statuses (succeeded, processing, requires_action).
REJECTED = "rejected"  # the form did not pass our checks
DECLINED = "declined"  # the card was refused
RATE_LIMITED = "rate_limited"
PROVIDER_ERROR = "provider_error"  # Stripe unreachable or erring


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
