"""Starting a monthly gift at the checkout: a Customer with the donor's email, name
and card, a subscription for the amount in the drive's currency whose first invoice
is charged now, the gift stored here, and the first installment counted as soon as
it is paid (at once, or after the page finished 3-D Secure: ``catch_up``)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from ..errors import DonationDriveError, InvalidInput
from ..models import Drive, GiftStatus, Interval, MonthlyGift, utcnow
from ..providers.stripe import PROVIDER, PaymentDeclined, PaymentMetadata
from ..providers.stripe.subscriptions import (
    cancel_subscription,
    create_customer,
    create_subscription,
    retrieve_invoice,
    retrieve_subscription,
)
from .installments import installments_of, record_paid_invoice
from .records import NewGift, apply_status, ensure_gift

log = logging.getLogger(__name__)
ACTOR = "checkout"
NEEDS_EMAIL = "a monthly gift needs your email, for its receipts and the link to manage it"


@dataclass(frozen=True, slots=True)
class MonthlyOutcome:
    gift_id: int
    status: str  # succeeded, processing or requires_action
    client_secret: str | None


def start_monthly_gift(
    drive: Drive, *, amount: int, email: str | None, name: str | None, card_token: str
) -> MonthlyOutcome:
    """Raises ``InvalidInput`` (no email), ``PaymentDeclined`` (the first installment
    was refused: the subscription is canceled at once, nothing is counted),
    ``PaymentRejected`` or ``PaymentServiceUnavailable``."""
    if not email:
        raise InvalidInput(NEEDS_EMAIL, "email")
    key = f"monthly-{uuid.uuid4().hex}"
    customer_id = create_customer(
        email=email, name=name, card_token=card_token, idempotency_key=f"{key}-customer"
    )
    first = create_subscription(
        customer_id=customer_id,
        amount=amount,
        currency=drive.currency,
        interval=Interval.MONTH,
        metadata=PaymentMetadata(drive_slug=drive.slug, donation_id=None),
        idempotency_key=f"{key}-subscription",
    )
    gift = ensure_gift(
        NewGift(
            provider=PROVIDER,
            provider_ref=first.subscription.id,
            customer_ref=customer_id,
            donor_email=email,
            donor_name=name,
            amount=amount,
            currency=drive.currency,
            drive_id=drive.id,
            status=GiftStatus.INCOMPLETE,
            created_at=utcnow(),
        ),
        actor=ACTOR,
    )
    if first.payment_status in ("requires_payment_method", "canceled"):
        reason = first.failure_message or "Your card was declined."
        _give_up(gift, reason)
        raise PaymentDeclined(reason, payment_id=first.invoice.payment_intent_id)
    if first.payment_status == "succeeded":
        invoice = first.invoice if first.invoice.status == "paid" else None
        invoice = invoice or retrieve_invoice(first.invoice.id)
        if invoice.status == "paid":
            record_paid_invoice(invoice, gift, actor=ACTOR)
    return MonthlyOutcome(
        gift_id=gift.id,
        status=first.payment_status,
        client_secret=first.client_secret,
    )


def _give_up(gift: MonthlyGift, reason: str) -> None:
    gift_id, subscription_id = gift.id, gift.provider_ref
    try:
        cancel_subscription(subscription_id)
    except DonationDriveError as exc:  # it expires at Stripe by itself after a day
        log.warning("could not cancel declined subscription %s: %s", subscription_id, exc)
    apply_status(gift_id, GiftStatus.CANCELED, as_of=0, actor=ACTOR, reason=reason)


def catch_up(gift: MonthlyGift) -> None:
    """Count the first installment if Stripe has it paid and nothing here counted it
    yet (the donor is back from 3-D Secure before the webhook). When Stripe cannot
    be reached nothing changes: the webhook or reconcile counts it later."""
    if gift.status != GiftStatus.INCOMPLETE or installments_of(gift):
        return
    try:
        subscription = retrieve_subscription(gift.provider_ref)
        if subscription.latest_invoice_id:
            invoice = retrieve_invoice(subscription.latest_invoice_id)
            if invoice.status == "paid":
                record_paid_invoice(invoice, gift, actor=ACTOR)
            elif subscription.status in ("canceled", "incomplete_expired"):
                apply_status(gift.id, GiftStatus.CANCELED, as_of=0, actor=ACTOR)
    except DonationDriveError as exc:
        log.warning("could not bring monthly gift %s up to date: %s", gift.id, exc)
