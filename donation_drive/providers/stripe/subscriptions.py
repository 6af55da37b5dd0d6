"""Monthly gifts at Stripe: Customers, Subscriptions, their Invoices, and SetupIntents
for a new card. Every function returns a plain typed view and raises only the
domain errors of ``errors``.

Real Stripe and the emulator differ here more than anywhere else; the differences
stay in this module, each a field of ``client.Dialect`` (``settings().dialect``):

- the amount: Stripe gets a subscription item with ``price_data`` (the Prices
  API) on one standing Product; the emulator has no Prices, so a Plan of that
  amount is created and the item names it;
- the card: Stripe gets a PaymentMethod made from the Stripe.js token, the
  Customer's default for invoices; the emulator cannot make one from a token and
  takes the token as the Customer's ``source``;
- a new amount: Stripe's item gets new ``price_data`` with
  ``proration_behavior=none``; the emulator's gets a new Plan (and it adds an
  "unused time" credit to the next invoice, which it never makes by itself);
- pause: Stripe gets ``pause_collection={"behavior": "void"}``; the emulator has
  no pause and keeps no metadata change of a subscription, so nothing is sent
  and the pause is ours alone (the emulator never bills by itself anyway);
- a new card: the SetupIntent's PaymentMethod becomes the default for invoices
  (the emulator's SetupIntent does not attach it, so it is attached first);
- an invoice's payment: ``invoice.payment_intent`` in API versions before
  2025-03-31 and in the emulator, else the invoice's ``payments``.

An installment's key, everywhere (webhook, checkout, reconcile), is the PaymentIntent
that paid its invoice (``invoice_payment_intent_id``): the same key refunds and
disputes of that payment name, so they reach the installment's donation as they
reach any card donation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from .client import settings, stripe_client
from .errors import PaymentRejected
from .listing import _pages
from .metadata import PaymentMetadata, read_metadata
from .objects import _id_of, _minor_units, _timestamp
from .payments import _as_dict, _stripe_errors

log = logging.getLogger(__name__)

# The Product every monthly gift's Price belongs to (real Stripe only).
MONTHLY_PRODUCT_ID = "donation_drive_monthly_gift"
MONTHLY_PRODUCT_NAME = "Monthly gift"
PAUSED_KEY = "paused"


# -- plain views ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionInfo:
    id: str
    customer_id: str | None
    status: str  # Stripe's: incomplete, active, past_due, unpaid, canceled, ...
    amount: int  # minor units per interval
    currency: str
    interval: str
    paused: bool
    metadata: PaymentMetadata
    latest_invoice_id: str | None
    created: datetime
    canceled_at: datetime | None
    item_id: str | None


def _first_item(data: Mapping[str, Any]) -> Mapping[str, Any]:
    items = data.get("items")
    rows = items.get("data") if isinstance(items, Mapping) else None
    if isinstance(rows, list) and rows and isinstance(rows[0], Mapping):
        return rows[0]
    return {}


def subscription_from(data: Mapping[str, Any]) -> SubscriptionInfo:
    item = _first_item(data)
    price = item.get("price") or item.get("plan") or data.get("plan") or {}
    if not isinstance(price, Mapping):
        price = {}
    unit = price.get("unit_amount", price.get("amount"))
    quantity = item.get("quantity") or data.get("quantity") or 1
    recurring = price.get("recurring") if isinstance(price.get("recurring"), Mapping) else {}
    interval = price.get("interval") or (recurring or {}).get("interval") or "month"
    metadata = data.get("metadata") or {}
    canceled = data.get("canceled_at") or data.get("ended_at")
    return SubscriptionInfo(
        id=str(data["id"]),
        customer_id=_id_of(data.get("customer")),
        status=str(data.get("status") or ""),
        amount=_minor_units({"amount": unit}, "amount") * int(quantity),
        currency=str(price.get("currency") or data.get("currency") or "").upper(),
        interval=str(interval),
        paused=bool(data.get("pause_collection"))
        or str(metadata.get(PAUSED_KEY, "")).lower() == "true",
        metadata=read_metadata(metadata),
        latest_invoice_id=_id_of(data.get("latest_invoice")),
        created=_timestamp(data.get("created") or data.get("start_date")),
        canceled_at=_timestamp(canceled) if canceled else None,
        item_id=_id_of(item) if item else None,
    )


@dataclass(frozen=True, slots=True)
class InvoiceInfo:
    id: str
    status: str  # draft, open, paid, void, uncollectible
    subscription_id: str | None
    customer_id: str | None
    customer_email: str | None
    customer_name: str | None
    currency: str
    amount_due: int
    amount_paid: int
    payment_intent_id: str | None  # None when only the API can tell (see module doc)
    paid_at: datetime | None
    created: datetime
    attempt_count: int


def invoice_subscription_id(data: Mapping[str, Any]) -> str | None:
    """The subscription an invoice bills: ``invoice.subscription`` (API versions
    before 2025-03-31) or ``invoice.parent.subscription_details.subscription``."""
    found = _id_of(data.get("subscription"))
    if found:
        return found
    parent = data.get("parent")
    if isinstance(parent, Mapping):
        details = parent.get("subscription_details")
        if isinstance(details, Mapping):
            return _id_of(details.get("subscription"))
    return None


def _payment_intent_in(data: Mapping[str, Any]) -> str | None:
    found = _id_of(data.get("payment_intent"))
    if found:
        return found
    payments = data.get("payments")
    rows = payments.get("data") if isinstance(payments, Mapping) else None
    for row in rows or []:
        payment = row.get("payment") if isinstance(row, Mapping) else None
        if isinstance(payment, Mapping) and (row.get("status") in (None, "paid")):
            found = _id_of(payment.get("payment_intent"))
            if found:
                return found
    return None


def invoice_from(data: Mapping[str, Any]) -> InvoiceInfo:
    transitions = data.get("status_transitions") or {}
    paid_at = transitions.get("paid_at") if isinstance(transitions, Mapping) else None
    return InvoiceInfo(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        subscription_id=invoice_subscription_id(data),
        customer_id=_id_of(data.get("customer")),
        customer_email=data.get("customer_email") or None,
        customer_name=data.get("customer_name") or None,
        currency=str(data.get("currency") or "").upper(),
        amount_due=_minor_units(data, "amount_due"),
        amount_paid=_minor_units(data, "amount_paid"),
        payment_intent_id=_payment_intent_in(data),
        paid_at=_timestamp(paid_at) if paid_at else None,
        created=_timestamp(data.get("created") or data.get("date")),
        attempt_count=int(data.get("attempt_count") or 0),
    )


@dataclass(frozen=True, slots=True)
class FirstPayment:
    """What starting a monthly gift did: the subscription, and its first invoice's
    PaymentIntent (``requires_action`` with a client secret for 3-D Secure)."""

    subscription: SubscriptionInfo
    invoice: InvoiceInfo
    payment_status: str
    client_secret: str | None
    failure_message: str | None


# -- calls -----------------------------------------------------------------------------


def _options(idempotency_key: str | None) -> dict[str, str] | None:
    return {"idempotency_key": idempotency_key} if idempotency_key else None


def create_customer(*, email: str, name: str | None, card_token: str, idempotency_key: str) -> str:
    """A Customer for the donor whose default card is ``card_token`` (Stripe.js)."""
    client = stripe_client()
    params: dict[str, Any] = {"email": email}
    if name:
        params["name"] = name
    with _stripe_errors():
        if not settings().dialect.makes_payment_methods_from_tokens or card_token.startswith(
            "card_"
        ):
            params["source"] = card_token
        else:
            payment_method = card_token
            if card_token.startswith("tok_"):
                made = client.v1.payment_methods.create(
                    {"type": "card", "card": {"token": card_token}},  # type: ignore[arg-type]
                    options=_options(f"{idempotency_key}-pm"),  # type: ignore[arg-type]
                )
                payment_method = str(made.id)
            params["payment_method"] = payment_method
            params["invoice_settings"] = {"default_payment_method": payment_method}
        customer = client.v1.customers.create(params, options=_options(idempotency_key))  # type: ignore[arg-type]
    return str(customer.id)


def _ensure_product() -> str:
    client = stripe_client()
    import stripe

    try:
        client.v1.products.retrieve(MONTHLY_PRODUCT_ID)
    except stripe.InvalidRequestError:
        client.v1.products.create({"id": MONTHLY_PRODUCT_ID, "name": MONTHLY_PRODUCT_NAME})
    return MONTHLY_PRODUCT_ID


def _emulator_plan(amount: int, currency: str, interval: str) -> str:
    plan = stripe_client().v1.plans.create(
        {  # type: ignore[arg-type]
            "amount": amount,
            "currency": currency.lower(),
            "interval": interval,
            "product": {"name": MONTHLY_PRODUCT_NAME},
        }
    )
    return str(plan.id)


def _item_amount(amount: int, currency: str, interval: str) -> dict[str, Any]:
    if not settings().dialect.has_prices:
        return {"plan": _emulator_plan(amount, currency, interval)}
    return {
        "price_data": {
            "currency": currency.lower(),
            "product": _ensure_product(),
            "unit_amount": amount,
            "recurring": {"interval": interval},
        }
    }


def create_subscription(
    *,
    customer_id: str,
    amount: int,
    currency: str,
    interval: str,
    metadata: PaymentMetadata,
    idempotency_key: str,
) -> FirstPayment:
    """Start billing ``amount`` every ``interval``; the first invoice is charged now
    on the Customer's default card (``allow_incomplete``: a card that needs 3-D
    Secure leaves it ``requires_action`` for the page to finish)."""
    with _stripe_errors(rejected="The monthly gift could not be set up. Please try again."):
        params: dict[str, Any] = {
            "customer": customer_id,
            "items": [_item_amount(amount, currency, interval)],
            "metadata": metadata.as_stripe(),
            "payment_behavior": "allow_incomplete",
        }
        created = stripe_client().v1.subscriptions.create(
            params,  # type: ignore[arg-type]
            options=_options(idempotency_key),  # type: ignore[arg-type]
        )
    subscription = subscription_from(_as_dict(created))
    if subscription.latest_invoice_id is None:
        raise PaymentRejected("Stripe made no first invoice for the monthly gift", "card")
    invoice = retrieve_invoice(subscription.latest_invoice_id)
    status, secret, failure = "requires_payment_method", None, None
    payment_id = invoice_payment_intent_id(invoice)
    if payment_id:
        with _stripe_errors(field="payment_intent"):
            intent = _as_dict(stripe_client().v1.payment_intents.retrieve(payment_id))
        status = str(intent.get("status") or "")
        secret = intent.get("client_secret") if status == "requires_action" else None
        error = intent.get("last_payment_error") or {}
        failure = error.get("message") if isinstance(error, Mapping) else None
    elif invoice.status == "paid":
        status = "succeeded"
    return FirstPayment(subscription, invoice, status, secret, failure)


def retrieve_subscription(subscription_id: str) -> SubscriptionInfo:
    with _stripe_errors(field="subscription"):
        found = stripe_client().v1.subscriptions.retrieve(subscription_id)
    return subscription_from(_as_dict(found))


def retrieve_invoice(invoice_id: str) -> InvoiceInfo:
    with _stripe_errors(field="invoice"):
        found = stripe_client().v1.invoices.retrieve(invoice_id)
    return invoice_from(_as_dict(found))


def retrieve_customer(customer_id: str) -> tuple[str | None, str | None]:
    """The Customer's email and name."""
    with _stripe_errors(field="customer"):
        found = _as_dict(stripe_client().v1.customers.retrieve(customer_id))
    return found.get("email") or None, found.get("name") or None


def invoice_payment_intent_id(invoice: InvoiceInfo) -> str | None:
    """The PaymentIntent that pays ``invoice``: on the invoice itself (older API
    versions, the emulator), else Stripe's invoice payments (API 2025-03-31 on)."""
    if invoice.payment_intent_id or not settings().dialect.lists_invoice_payments:
        return invoice.payment_intent_id
    with _stripe_errors(field="invoice"):
        payments = stripe_client().v1.invoice_payments.list({"invoice": invoice.id})  # type: ignore[attr-defined]
    for row in _as_dict(payments).get("data") or []:
        payment = row.get("payment") or {}
        if row.get("status") == "paid" and payment.get("payment_intent"):
            return _id_of(payment["payment_intent"])
    return None


def cancel_subscription(subscription_id: str) -> SubscriptionInfo:
    with _stripe_errors(field="subscription"):
        found = stripe_client().v1.subscriptions.cancel(subscription_id)
    return subscription_from(_as_dict(found))


def change_amount(subscription: SubscriptionInfo, amount: int) -> SubscriptionInfo:
    """From the next installment on, bill ``amount`` instead (no proration)."""
    item = {"id": subscription.item_id, **_item_amount(amount, subscription.currency, "month")}
    params: dict[str, Any] = {"items": [item]}
    if settings().dialect.has_prices:
        params["proration_behavior"] = "none"
    with _stripe_errors(field="amount"):
        found = stripe_client().v1.subscriptions.update(subscription.id, params)  # type: ignore[arg-type]
    return subscription_from(_as_dict(found))


def set_paused(subscription_id: str, paused: bool) -> SubscriptionInfo:
    """Stop (or resume) taking installments. The emulator has no pause and keeps no
    metadata change of a subscription: there it is only read back, and the pause is
    kept by us alone (it never bills by itself anyway)."""
    if not settings().dialect.pauses_collection:
        found = retrieve_subscription(subscription_id)
        return replace(found, paused=paused)
    params = {"pause_collection": {"behavior": "void"} if paused else ""}
    with _stripe_errors(field="subscription"):
        updated = stripe_client().v1.subscriptions.update(subscription_id, params)  # type: ignore[arg-type]
    return subscription_from(_as_dict(updated))


@dataclass(frozen=True, slots=True)
class SetupIntentInfo:
    id: str
    status: str
    customer_id: str | None
    payment_method_id: str | None
    client_secret: str | None


def _setup_intent_from(data: Mapping[str, Any]) -> SetupIntentInfo:
    return SetupIntentInfo(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        customer_id=_id_of(data.get("customer")),
        payment_method_id=_id_of(data.get("payment_method")),
        client_secret=data.get("client_secret"),
    )


def create_setup_intent(customer_id: str) -> SetupIntentInfo:
    """A SetupIntent the manage page confirms with Stripe.js for a new card."""
    with _stripe_errors(field="card"):
        found = stripe_client().v1.setup_intents.create(
            {"customer": customer_id, "payment_method_types": ["card"], "usage": "off_session"}
        )
    return _setup_intent_from(_as_dict(found))


def retrieve_setup_intent(setup_intent_id: str) -> SetupIntentInfo:
    with _stripe_errors(field="setup_intent"):
        found = stripe_client().v1.setup_intents.retrieve(setup_intent_id)
    return _setup_intent_from(_as_dict(found))


def use_card_from(setup: SetupIntentInfo, customer_id: str, subscription_id: str) -> str:
    """Make the card a succeeded SetupIntent collected the one future installments
    are charged to; returns its PaymentMethod id."""
    if setup.status != "succeeded" or not setup.payment_method_id:
        raise PaymentRejected("the new card was not confirmed", "card")
    client = stripe_client()
    payment_method = setup.payment_method_id
    with _stripe_errors(field="card"):
        if not settings().dialect.attaches_setup_intent_cards:
            client.v1.payment_methods.attach(payment_method, {"customer": customer_id})
        client.v1.customers.update(
            customer_id,
            {"invoice_settings": {"default_payment_method": payment_method}},  # type: ignore[arg-type]
        )
        if settings().dialect.attaches_setup_intent_cards:
            client.v1.subscriptions.update(
                subscription_id, {"default_payment_method": payment_method}
            )
    return payment_method


def pay_open_invoice(invoice_id: str) -> InvoiceInfo:
    """Try an unpaid invoice again now (after the donor gave a new card)."""
    with _stripe_errors(field="invoice"):
        found = stripe_client().v1.invoices.pay(invoice_id)
    return invoice_from(_as_dict(found))


# -- listing, for reconciliation ---------------------------------------------------------


def iter_subscriptions() -> Iterator[SubscriptionInfo]:
    """Every subscription Stripe has, canceled ones included. Raises
    ``ListingError`` (as every reconcile listing does)."""
    for data in _pages(stripe_client().v1.subscriptions.list, {"status": "all"}):
        yield subscription_from(data)


def iter_invoices(since: datetime | None) -> Iterator[InvoiceInfo]:
    """Invoices created since ``since`` (filtered here too: the emulator takes no
    ``created`` filter). Raises ``ListingError``."""
    params: dict[str, Any] = {}
    if since is not None and settings().dialect.filters_lists_by_created:
        params["created"] = {"gte": int(since.timestamp())}
    floor = since.astimezone(UTC) if since is not None else None
    for data in _pages(stripe_client().v1.invoices.list, params):
        invoice = invoice_from(data)
        if floor is None or invoice.created >= floor:
            yield invoice
