"""Writing what Stripe says about a card payment into the ledger. The webhook
intake and the checkout (when Stripe answers at once, or when the donor comes
back) both come here; the ledger's once-only key makes any order safe."""

from __future__ import annotations

from collections.abc import Callable

from ..ledger import (
    DonorDetails,
    RecordResult,
    get_drive_key,
    mark_payment_unsuccessful,
    record_provider_payment,
)
from ..models import Donation, Status
from ..stripe_gateway import PaymentIntentInfo

PROVIDER = "stripe"


def record_succeeded_payment(
    intent: PaymentIntentInfo,
    *,
    actor: str,
    also_in_transaction: Callable[[], object] | None = None,
) -> RecordResult:
    """Count a succeeded PaymentIntent toward the drive its metadata names, once.

    Adopts the checkout's pending donation (by id or by the PaymentIntent id) so a
    payment is never counted on two rows. Raises ``UnknownDrive`` when the drive in
    the metadata does not exist and ``InvalidCurrency`` when the payment is not in
    the drive's currency (adding it would mix currencies in one total).
    ``also_in_transaction`` runs inside the ledger's transaction, before it commits.
    """
    drive = get_drive_key(intent.metadata.drive_slug or "")
    return record_provider_payment(
        provider=PROVIDER,
        provider_ref=intent.id,
        drive=drive,
        amount=intent.settled_amount,
        currency=intent.currency,
        received_at=intent.created,
        actor=actor,
        donor=DonorDetails(email=intent.receipt_email),
        pending_donation_id=intent.metadata.donation_id,
        also_in_transaction=also_in_transaction,
    )


def record_unsuccessful_payment(
    payment_intent_id: str, *, canceled: bool, reason: str | None, actor: str
) -> Donation | None:
    """Mark the pending donation of a failed or canceled PaymentIntent. A payment
    that already succeeded is left alone. Returns None for an unknown payment."""
    return mark_payment_unsuccessful(
        PROVIDER,
        payment_intent_id,
        status=Status.CANCELED if canceled else Status.FAILED,
        reason=reason,
        actor=actor,
    )
