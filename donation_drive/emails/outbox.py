"""The email outbox: rows written in the ledger's transaction, delivered later.

The ledger does not call this module: it announces what happened (its signals), and
the receivers below, connected at app creation, run inside the ledger's transaction
and write through its session, so a receipt row commits or rolls back with its
donation. Nothing here commits.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask
from sqlalchemy import or_, update

from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..models import OutboxEmail, utcnow

if TYPE_CHECKING:
    from ..ledger.signals import Erasure, Gift

RECEIPT = "receipt"


RESEND_PREFIX = "resend"
STATEMENT = "statement"


def receipt_key(donation_id: int) -> str:
    return f"{RECEIPT}:{donation_id}"


def resend_key(donation_id: int, number: int) -> str:
    """The key of the ``number``-th copy of a receipt an admin asked for."""
    return f"{RESEND_PREFIX}:{donation_id}:{number}"


def is_resend(email: OutboxEmail) -> bool:
    return email.dedupe_key.startswith(f"{RESEND_PREFIX}:")


def queue_receipt(gift: Gift) -> bool:
    """Queue the thank-you receipt for a gift, once: a donation that already has its
    receipt row (sent, pending or canceled) never gets a second one this way, even
    from two transactions at once (the dedupe key). True when a row was added."""
    if not gift.donor_email or not gift.send_receipt:
        return False
    return insert_ignoring_duplicates(
        OutboxEmail.__table__,
        {
            "dedupe_key": receipt_key(gift.donation_id),
            "kind": RECEIPT,
            "donation_id": gift.donation_id,
            "to_address": gift.donor_email,
            "status": "pending",
            "next_attempt_at": utcnow(),
        },
        ["dedupe_key"],
    )


def statement_key(period: str, donor_id: int, copy: int = 0) -> str:
    """The key of a donor's statement for a period (``copy`` > 0: an asked-for resend)."""
    key = f"{STATEMENT}:{period}:{donor_id}"
    return f"{key}:{RESEND_PREFIX}:{copy}" if copy else key


def queue_statement(
    *,
    donor_id: int,
    period: str,
    to_address: str,
    pdf: bytes,
    filename: str,
    copy: int = 0,
    requested_by: str | None = None,
) -> bool:
    """Queue a year-end statement with its PDF, once per (period, donor, copy): True
    when a row was added, False when that statement was queued before (sent or not).
    The caller commits."""
    return insert_ignoring_duplicates(
        OutboxEmail.__table__,
        {
            "dedupe_key": statement_key(period, donor_id, copy),
            "kind": STATEMENT,
            "donor_id": donor_id,
            "period": period,
            "to_address": to_address,
            "attachment": pdf,
            "attachment_name": filename,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "requested_by": requested_by,
            "created_at": utcnow(),
        },
        ["dedupe_key"],
    )


def cancel_unsent_receipts(donation_id: int, reason: str) -> int:
    """Withdraw receipts not yet sent (a refund or void came first)."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.donation_id == donation_id,
            OutboxEmail.kind == RECEIPT,
            OutboxEmail.status == "pending",
        )
        .values(status="canceled", last_error=reason)
    )
    return result.rowcount or 0


# -- receivers of the ledger's signals (see donation_drive.subscriptions) -------------


def on_gift_counted(_app: Flask, *, gift: Gift, **_: object) -> None:
    queue_receipt(gift)


def on_gift_refunded(_app: Flask, *, gift: Gift, in_full: bool, **_: object) -> None:
    if in_full:
        what = "payment" if gift.provider else "gift"
        cancel_unsent_receipts(gift.donation_id, f"{what} refunded before the receipt was sent")


def on_gift_voided(_app: Flask, *, gift: Gift, **_: object) -> None:
    cancel_unsent_receipts(gift.donation_id, "donation voided")


ERASED_ADDRESS = "[erased]"


def on_donor_erased(_app: Flask, *, erasure: Erasure, **_: object) -> dict[str, int]:
    """A privacy request: every email to the donor loses its address and PDF (the row,
    its kind and dates stay as the record of what was sent); unsent ones are withdrawn."""
    about = or_(
        OutboxEmail.donor_id.in_(erasure.donor_ids),
        OutboxEmail.donation_id.in_(erasure.donation_ids),
    )
    db.session.execute(
        update(OutboxEmail)
        .where(about, OutboxEmail.status == "pending")
        .values(status="canceled", last_error="the donor's data was erased on request")
        .execution_options(synchronize_session=False)
    )
    cleared = db.session.execute(
        update(OutboxEmail)
        .where(about)
        .values(to_address=ERASED_ADDRESS, attachment=None, attachment_name=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"emails": cleared or 0}


def on_donors_merged(_app: Flask, *, kept_id: int, merged_id: int, **_: object) -> None:
    """The merged donor's statements belong to the kept donor now."""
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.donor_id == merged_id)
        .values(donor_id=kept_id)
        .execution_options(synchronize_session=False)
    )
