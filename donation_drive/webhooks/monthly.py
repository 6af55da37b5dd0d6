"""What Stripe's monthly-gift events mean: ``invoice.paid`` and
``invoice.payment_succeeded`` count the installment (``monthly.installments``, the
ledger's one path, under the key every path computes), ``invoice.payment_failed``
marks the gift past due and emails the donor a link to give a new card, and
``customer.subscription.updated``/``.deleted`` follow the subscription's status.

Like every handler, each is safe to run twice, concurrently or out of order: the
installment's ledger key counts it once (a failed attempt then a paid one for the
same invoice count once: only the paid one records), the failure email has a
once-only outbox key per attempt, and a status older than the one applied last, or
any status after canceled, changes nothing.

The outcome types live in ``handlers`` (which lists these functions in its dispatch
table); they are imported when a handler runs, so this module and ``handlers`` do not
import each other at load time.
"""

from __future__ import annotations

from flask import current_app

from ..errors import InvalidInput, UnknownDrive
from ..extensions import db
from ..ledger import find_provider_donation
from ..models import GiftStatus, Status
from ..monthly.installments import NotOurs, adopt_subscription, gift_of_invoice, record_paid_invoice
from ..monthly.records import apply_status, find_gift, status_from_provider
from ..monthly.signals import installment_failed
from ..providers.stripe import PROVIDER, PaymentRejected, PaymentServiceUnavailable, ProviderEvent
from ..providers.stripe.subscriptions import (
    InvoiceInfo,
    invoice_from,
    retrieve_invoice,
    subscription_from,
)


def _outcomes():
    from . import handlers

    return handlers


def _actor(event: ProviderEvent) -> str:
    return f"stripe-webhook:{event.id}"


def _read(parse, event: ProviderEvent, kind: str):
    h = _outcomes()
    found = event.object.get("object")
    if found is not None and found != kind:
        raise h.UnprocessableEvent(f"{event.type} event carries a {found!r} object, not a {kind}")
    try:
        return parse(event.object)
    except InvalidInput as exc:
        raise h.UnprocessableEvent(f"{event.type} object: {exc.message}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise h.UnprocessableEvent(f"malformed {event.type} object: {exc!r}") from None


def _fresh_invoice(invoice_id: str) -> InvoiceInfo:
    h = _outcomes()
    try:
        return retrieve_invoice(invoice_id)
    except PaymentServiceUnavailable:
        raise h.NotYetProcessable(f"could not read invoice {invoice_id} from Stripe") from None
    except PaymentRejected:
        raise h.UnprocessableEvent(f"Stripe does not know invoice {invoice_id}") from None


def _gift(invoice: InvoiceInfo, event: ProviderEvent):
    """The gift the invoice bills, or a ``Handled`` ignoring the event."""
    h = _outcomes()
    try:
        return gift_of_invoice(invoice, actor=_actor(event))
    except NotOurs:
        return h.Handled(h.IGNORED, f"invoice {invoice.id} bills no monthly gift of ours")
    except UnknownDrive as exc:
        raise h.UnprocessableEvent(str(exc)) from None
    except PaymentServiceUnavailable:
        raise h.NotYetProcessable(
            f"could not read subscription {invoice.subscription_id} from Stripe"
        ) from None
    except PaymentRejected:
        raise h.UnprocessableEvent(
            f"Stripe does not know subscription {invoice.subscription_id}"
        ) from None


def invoice_paid(event: ProviderEvent, mark_processed):
    h = _outcomes()
    invoice = _read(invoice_from, event, "invoice")
    if not invoice.subscription_id:
        return h.Handled(h.IGNORED, f"invoice {invoice.id} bills no subscription")
    if invoice.status != "paid" or not invoice.payment_intent_id:
        # A thin event, or one whose object disagrees with its type: ask Stripe.
        invoice = _fresh_invoice(invoice.id)
    if invoice.status != "paid":
        raise h.UnprocessableEvent(
            f"{event.type} disagrees with its object: invoice {invoice.id} is "
            f"{invoice.status or 'without a status'}, not paid; not applied"
        )
    gift = _gift(invoice, event)
    if isinstance(gift, h.Handled):
        return gift
    try:
        result = record_paid_invoice(invoice, gift, actor=_actor(event), also_write=mark_processed)
    except (UnknownDrive, InvalidInput) as exc:
        raise h.UnprocessableEvent(f"invoice {invoice.id}: {exc}") from None
    note = "counted" if result.counted else "already counted"
    return h.Handled(h.PROCESSED, f"installment {invoice.id} {note}", settled=True)


def invoice_payment_failed(event: ProviderEvent, mark_processed):
    h = _outcomes()
    invoice = _read(invoice_from, event, "invoice")
    if not invoice.subscription_id:
        return h.Handled(h.IGNORED, f"invoice {invoice.id} bills no subscription")
    gift = _gift(invoice, event)
    if isinstance(gift, h.Handled):
        return gift
    try:
        current = retrieve_invoice(invoice.id)
    except (PaymentServiceUnavailable, PaymentRejected):
        current = invoice
    paid = current.status == "paid"
    if not paid and current.payment_intent_id:
        donation = find_provider_donation(PROVIDER, current.payment_intent_id)
        paid = donation is not None and donation.status == Status.SUCCEEDED
    if paid:
        return h.Handled(h.IGNORED, f"invoice {invoice.id} was paid meanwhile")
    if gift.status == GiftStatus.INCOMPLETE:
        # The first installment: the donor is at the checkout page and sees it there.
        return h.Handled(h.IGNORED, f"first installment of {gift.provider_ref} failed at checkout")
    gift_id = gift.id
    apply_status(
        gift_id,
        GiftStatus.PAST_DUE,
        as_of=event.created,
        actor=_actor(event),
        reason=f"invoice {invoice.id} payment failed",
    )
    db.session.rollback()
    gift = find_gift(PROVIDER, invoice.subscription_id)
    installment_failed.send(
        current_app._get_current_object(),
        gift=gift,
        invoice_id=invoice.id,
        attempt=max(invoice.attempt_count, 1),
    )
    mark_processed()
    db.session.commit()
    return h.Handled(h.PROCESSED, f"installment {invoice.id} failed; donor told", settled=True)


def subscription_changed(event: ProviderEvent, _mark_processed):
    h = _outcomes()
    subscription = _read(subscription_from, event, "subscription")
    gift = find_gift(PROVIDER, subscription.id)
    if gift is None:
        try:
            gift = adopt_subscription(subscription, actor=_actor(event))
        except NotOurs:
            return h.Handled(h.IGNORED, f"subscription {subscription.id} is not ours")
        except UnknownDrive as exc:
            raise h.UnprocessableEvent(str(exc)) from None
        except PaymentServiceUnavailable:
            raise h.NotYetProcessable(f"could not read {subscription.id}'s customer") from None
    if event.type == "customer.subscription.deleted":
        status = GiftStatus.CANCELED
    else:
        status = status_from_provider(subscription.status, paused=subscription.paused)
    if status is None:
        return h.Handled(
            h.IGNORED, f"subscription status {subscription.status!r} means nothing here"
        )
    changed = apply_status(gift.id, status, as_of=event.created, actor=_actor(event))
    note = f"monthly gift {subscription.id} is {status}" if changed else "no change"
    return h.Handled(h.PROCESSED, note)


MONTHLY_HANDLERS = {
    "invoice.paid": invoice_paid,
    "invoice.payment_succeeded": invoice_paid,
    "invoice.payment_failed": invoice_payment_failed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
}
