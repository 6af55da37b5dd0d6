"""Every paid installment of a monthly gift is a donation, counted through the one
recording path (``ledger.record_provider_payment``) under the key every path can
compute: ``(stripe, <the PaymentIntent that paid the invoice>)``. The checkout's
confirmation, the ``invoice.paid``/``invoice.payment_succeeded`` webhooks and
reconciliation all call ``record_paid_invoice``, so an installment is counted once
whichever comes first, and its refunds and disputes (which name that PaymentIntent)
reach it as they reach any card gift. The donation's ``reference`` is the
subscription id: that is how a receipt knows it belongs to a monthly gift.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from ..errors import InvalidInput, UnknownDrive
from ..extensions import db
from ..ledger import AlsoWrite, DonorDetails, ProviderPayment, RecordResult, record_provider_payment
from ..models import Donation, Drive, GiftStatus, MonthlyGift
from ..providers.stripe import PROVIDER
from ..providers.stripe.subscriptions import (
    InvoiceInfo,
    SubscriptionInfo,
    invoice_payment_intent_id,
    retrieve_customer,
    retrieve_subscription,
)
from .counting import drive_for_installment
from .records import NewGift, apply_status, ensure_gift, find_gift, status_from_provider

log = logging.getLogger(__name__)


class NotOurs(Exception):
    """The subscription was not started by a Donation Drive checkout."""


def adopt_subscription(subscription: SubscriptionInfo, *, actor: str) -> MonthlyGift:
    """The stored gift for a Stripe subscription of ours, stored first from Stripe's
    record when no checkout stored it yet (a webhook or reconcile got there first).
    Raises ``NotOurs``, ``UnknownDrive``, or the provider's errors."""
    gift = find_gift(PROVIDER, subscription.id)
    if gift is not None:
        return gift
    slug = subscription.metadata.drive_slug
    if not slug:
        raise NotOurs(subscription.id)
    drive = db.session.scalar(select(Drive).where(Drive.slug == slug))
    if drive is None:
        raise UnknownDrive(f"subscription {subscription.id} names no drive we have ({slug!r})")
    email, name = (None, None)
    if subscription.customer_id:
        email, name = retrieve_customer(subscription.customer_id)
    status = status_from_provider(subscription.status, paused=subscription.paused)
    return ensure_gift(
        NewGift(
            provider=PROVIDER,
            provider_ref=subscription.id,
            customer_ref=subscription.customer_id,
            donor_email=email or "",
            donor_name=name,
            amount=subscription.amount or 1,
            currency=subscription.currency or drive.currency,
            drive_id=drive.id,
            status=status or GiftStatus.INCOMPLETE,
            created_at=subscription.created,
        ),
        actor=actor,
    )


def gift_of_invoice(invoice: InvoiceInfo, *, actor: str) -> MonthlyGift:
    """The stored gift an invoice bills (``NotOurs`` when it bills none of ours)."""
    if not invoice.subscription_id:
        raise NotOurs(invoice.id)
    gift = find_gift(PROVIDER, invoice.subscription_id)
    if gift is not None:
        return gift
    return adopt_subscription(retrieve_subscription(invoice.subscription_id), actor=actor)


def installment_payment(invoice: InvoiceInfo, gift: MonthlyGift) -> ProviderPayment:
    """What the ledger records for a paid invoice of ``gift``."""
    if invoice.status != "paid":
        raise InvalidInput(f"invoice {invoice.id} is {invoice.status or 'without a status'}")
    payment_intent_id = invoice_payment_intent_id(invoice)
    if not payment_intent_id:
        raise InvalidInput(f"invoice {invoice.id} names no payment", "invoice")
    paid_at = invoice.paid_at or invoice.created
    return ProviderPayment(
        provider=PROVIDER,
        provider_ref=payment_intent_id,
        drive=drive_for_installment(gift, paid_at),
        amount=invoice.amount_paid or invoice.amount_due,
        currency=invoice.currency,
        received_at=paid_at,
        donor=DonorDetails(name=gift.donor_name, email=gift.donor_email or None),
        reference=gift.provider_ref,
    )


def record_paid_invoice(
    invoice: InvoiceInfo,
    gift: MonthlyGift,
    *,
    actor: str,
    also_write: AlsoWrite | None = None,
) -> RecordResult:
    """Count a paid installment once (the ledger's key), then, since a paid invoice
    means the gift runs, an incomplete or past-due gift becomes active."""
    payment = installment_payment(invoice, gift)
    gift_id, status = gift.id, gift.status
    result = record_provider_payment(payment, actor=actor, also_write=also_write)
    if status in (GiftStatus.INCOMPLETE, GiftStatus.PAST_DUE):
        apply_status(
            gift_id,
            GiftStatus.ACTIVE,
            as_of=int(payment.received_at.timestamp()),
            actor=actor,
            reason=f"invoice {invoice.id} paid",
        )
    return result


def installments_of(gift: MonthlyGift) -> list[Donation]:
    """The gift's installments, newest first."""
    return list(
        db.session.scalars(
            select(Donation)
            .where(Donation.provider == PROVIDER, Donation.reference == gift.provider_ref)
            .order_by(Donation.received_at.desc(), Donation.id.desc())
        )
    )
