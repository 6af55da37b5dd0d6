"""Taking a card donation: the pending donation, the PaymentIntent, its
confirmation, and catching up with Stripe when the donor comes back.

The order is what keeps a payment from being lost or counted twice: the pending
donation exists first (its id goes into the PaymentIntent's metadata), the
PaymentIntent's id is stored on it before anything is confirmed, and every
outcome goes through the ledger's once-only functions (a succeeded payment through
``record_provider_payment``, the one path the webhooks and reconciliation take too).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..errors import DonationDriveError
from ..extensions import db
from ..ledger import (
    DriveKey,
    attach_provider_ref,
    create_pending_card_donation,
    mark_payment_unsuccessful,
    record_provider_payment,
)
from ..models import Donation, Drive, Status
from ..providers.stripe import (
    CANCELED,
    PROCESSING,
    PROVIDER,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    PaymentDeclined,
    PaymentIntentInfo,
    PaymentServiceUnavailable,
    confirm_payment,
    create_payment,
    ledger_payment,
    payment_metadata,
    retrieve_payment,
)
from .form import DonationForm

log = logging.getLogger(__name__)
ACTOR = "checkout"
UNCONFIRMED = (
    "We could not confirm your payment with the card processor. If a receipt reaches "
    "you in the next few minutes it went through; otherwise please try again."
)


@dataclass(frozen=True, slots=True)
class CheckoutOutcome:
    donation_id: int
    payment_intent_id: str
    status: str  # succeeded, processing or requires_action
    client_secret: str | None  # for Stripe.js to finish 3-D Secure


def start_card_payment(drive: Drive, form: DonationForm) -> CheckoutOutcome:
    """Charge the card behind ``form.card_token`` for ``form.total``.

    Returns the PaymentIntent's state: ``succeeded`` (already counted),
    ``processing`` (the webhook will count it) or ``requires_action`` (the page
    finishes 3-D Secure with the client secret). Raises ``PaymentDeclined``,
    ``PaymentRejected`` or ``PaymentServiceUnavailable``; a declined payment's
    pending donation is marked failed first.
    """
    donation = create_pending_card_donation(
        drive, amount=form.total, donor=form.donor, fee_covered_amount=form.fee, provider=PROVIDER
    )
    intent = create_payment(
        amount=form.total,
        currency=drive.currency,
        card_token=form.card_token,
        metadata=payment_metadata(drive.slug, donation.id),
        receipt_email=form.donor.email,
        idempotency_key=f"donation-{donation.id}-create",
    )
    attach_provider_ref(donation.id, intent.id)
    intent = _confirm(donation.id, intent.id)
    if intent.status in (REQUIRES_PAYMENT_METHOD, CANCELED):
        reason = intent.failure_message or "Your card was declined."
        _mark_unsuccessful(intent.id, canceled=intent.status == CANCELED, reason=reason)
        raise PaymentDeclined(reason, payment_id=intent.id)
    if intent.status == SUCCEEDED:
        _record_succeeded(intent, drive)
    elif intent.status not in (PROCESSING, REQUIRES_ACTION):
        log.warning("payment %s is %s after confirmation", intent.id, intent.status)
    return CheckoutOutcome(
        donation_id=donation.id,
        payment_intent_id=intent.id,
        status=intent.status,
        client_secret=intent.client_secret if intent.status == REQUIRES_ACTION else None,
    )


def _confirm(donation_id: int, payment_intent_id: str) -> PaymentIntentInfo:
    try:
        return confirm_payment(payment_intent_id, idempotency_key=f"donation-{donation_id}-confirm")
    except PaymentDeclined as declined:
        _mark_unsuccessful(payment_intent_id, canceled=False, reason=declined.message)
        raise
    except PaymentServiceUnavailable:
        # The confirmation may have gone through before the connection broke: ask.
        try:
            intent = retrieve_payment(payment_intent_id)
        except DonationDriveError:
            raise PaymentServiceUnavailable(UNCONFIRMED) from None
        if intent.status in (SUCCEEDED, PROCESSING, REQUIRES_ACTION):
            return intent
        raise


def _record_succeeded(intent: PaymentIntentInfo, drive: Drive | DriveKey) -> None:
    record_provider_payment(ledger_payment(intent, drive), actor=ACTOR)


def _mark_unsuccessful(payment_intent_id: str, *, canceled: bool, reason: str | None) -> None:
    mark_payment_unsuccessful(
        PROVIDER,
        payment_intent_id,
        status=Status.CANCELED if canceled else Status.FAILED,
        reason=reason,
        actor=ACTOR,
    )


def catch_up_with_stripe(donation: Donation) -> Donation:
    """Bring a pending card donation up to date with its PaymentIntent (the donor
    is back from 3-D Secure before the webhook). Idempotent; when Stripe cannot be
    reached the donation is returned unchanged and the webhook settles it later."""
    if donation.status != Status.PENDING or not donation.provider_ref:
        return donation
    try:
        intent = retrieve_payment(donation.provider_ref)
        if intent.status == SUCCEEDED:
            _record_succeeded(intent, donation.drive)
        elif intent.status == CANCELED or (
            intent.status == REQUIRES_PAYMENT_METHOD and intent.failure_message
        ):
            _mark_unsuccessful(
                intent.id,
                canceled=intent.status == CANCELED,
                reason=intent.failure_message or intent.cancellation_reason,
            )
    except DonationDriveError as exc:
        log.warning("could not bring donation %s up to date: %s", donation.id, exc)
    refreshed = db.session.get(Donation, donation.id, populate_existing=True)
    return refreshed or donation
