"""The email outbox: rows written in the ledger's transaction, delivered later.

These functions only add to the caller's session; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import select, update

from ..extensions import db
from ..models import Donation, OutboxEmail, utcnow

RECEIPT = "receipt"


RESEND_PREFIX = "resend"


def receipt_key(donation_id: int) -> str:
    return f"{RECEIPT}:{donation_id}"


def resend_key(donation_id: int, number: int) -> str:
    """The key of the ``number``-th copy of a receipt an admin asked for."""
    return f"{RESEND_PREFIX}:{donation_id}:{number}"


def is_resend(email: OutboxEmail) -> bool:
    return email.dedupe_key.startswith(f"{RESEND_PREFIX}:")


def queue_receipt(donation: Donation) -> OutboxEmail | None:
    """Queue the thank-you receipt for a donation, once: a donation that already has
    its receipt row (sent, pending or canceled) never gets a second one this way."""
    if not donation.donor_email or not donation.send_receipt:
        return None
    key = receipt_key(donation.id)
    if db.session.scalar(select(OutboxEmail.id).where(OutboxEmail.dedupe_key == key)):
        return None
    email = OutboxEmail(
        dedupe_key=key,
        kind=RECEIPT,
        donation_id=donation.id,
        to_address=donation.donor_email,
        status="pending",
        next_attempt_at=utcnow(),
    )
    db.session.add(email)
    return email


def cancel_unsent_receipts(donation: Donation, reason: str) -> int:
    """Withdraw receipts not yet sent (a refund or void came first)."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.donation_id == donation.id,
            OutboxEmail.kind == RECEIPT,
            OutboxEmail.status == "pending",
        )
        .values(status="canceled", last_error=reason)
    )
    return result.rowcount or 0
