"""What the ledger records for a Stripe payment: the one translation of a succeeded
PaymentIntent into ``ledger.ProviderPayment``, used by the checkout, the webhook
handlers and reconciliation alike."""

from __future__ import annotations

from ...ledger import DonorDetails, DriveKey, ProviderPayment
from ...models import Drive
from .objects import PaymentIntentInfo

# The ``provider`` of every donation and webhook event that comes from Stripe.
PROVIDER = "stripe"


def ledger_payment(
    intent: PaymentIntentInfo, drive: Drive | DriveKey, *, donor: DonorDetails | None = None
) -> ProviderPayment:
    """The payment ``intent`` stands for, toward ``drive`` (the one its metadata
    names). It adopts the checkout's pending donation named in the metadata, and the
    donor is whoever the receipt goes to unless ``donor`` says otherwise."""
    return ProviderPayment(
        provider=PROVIDER,
        provider_ref=intent.id,
        drive=drive,
        amount=intent.settled_amount,
        currency=intent.currency,
        received_at=intent.created,
        donor=donor if donor is not None else DonorDetails(email=intent.receipt_email),
        pending_donation_id=intent.metadata.donation_id,
    )
