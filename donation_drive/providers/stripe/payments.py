"""Card payments at Stripe: create and confirm a PaymentIntent, read it back,
cancel it, refund it. Every function returns a plain typed view (``objects``) and
raises only the domain errors of ``errors``.

Checkout confirms on the server: Stripe.js turns the card into a token (card data
goes from the browser to Stripe only), the server creates the PaymentIntent with
our metadata, stores its id, and then confirms it. That order means every payment
Stripe could ever report is already tied to its pending donation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .client import settings, stripe_client
from .errors import PaymentDeclined, PaymentRejected, PaymentServiceUnavailable
from .metadata import PaymentMetadata
from .objects import (
    ChargeInfo,
    PaymentIntentInfo,
    ProviderRefund,
    charge_from,
    payment_intent_from,
    refund_from,
)

log = logging.getLogger(__name__)

UNAVAILABLE = "The payment service is not answering right now. Please try again in a minute."
CARD_NOT_ACCEPTED = "The card details were not accepted. Please enter them again."


@contextmanager
def _stripe_errors(
    *, field: str = "card", payment_id: str | None = None, rejected: str | None = None
) -> Iterator[None]:
    """Turn SDK exceptions into domain errors with messages fit for a donor;
    ``rejected`` replaces Stripe's own words for a refused request."""
    import stripe  # lazily: the SDK is slow to import (see the package docstring)

    try:
        yield
    except stripe.CardError as exc:
        raise PaymentDeclined(
            exc.user_message or "Your card was declined.",
            code=exc.code,
            payment_id=payment_id,
        ) from None
    except stripe.InvalidRequestError as exc:
        log.warning("Stripe refused a request: %s", exc.user_message)
        raise PaymentRejected(
            rejected or exc.user_message or "Stripe refused the request.", field
        ) from None
    except stripe.StripeError as exc:
        log.error("Stripe call failed: %r", exc)
        raise PaymentServiceUnavailable(UNAVAILABLE) from None


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _payment_method_params(card_token: str) -> dict[str, Any]:
    """How the card reaches the PaymentIntent.

    ``pm_...`` is a PaymentMethod (Stripe's test ids like ``pm_card_visa`` too).
    ``tok_...`` is a Stripe.js card token: real Stripe takes it as
    ``payment_method_data``, as its API documents; the emulator knows neither that
    nor ``createPaymentMethod``, but accepts the token's card as the payment method.
    """
    if card_token.startswith("pm_"):
        return {"payment_method": card_token}
    if not settings().dialect.takes_card_tokens_as_payment_method_data:
        with _stripe_errors(rejected=CARD_NOT_ACCEPTED):
            token = _as_dict(stripe_client().v1.tokens.retrieve(card_token))
        return {"payment_method": token["card"]["id"]}
    return {"payment_method_data": {"type": "card", "card": {"token": card_token}}}


def create_payment(
    *,
    amount: int,
    currency: str,
    card_token: str,
    metadata: PaymentMetadata,
    receipt_email: str | None,
    idempotency_key: str,
) -> PaymentIntentInfo:
    """Create an unconfirmed card PaymentIntent for ``amount`` minor units.

    ``card_token`` is what Stripe.js produced (``tok_...``) or a PaymentMethod id.
    ``idempotency_key`` makes a retried call return the same PaymentIntent.
    Raises ``PaymentRejected`` (bad token) or ``PaymentServiceUnavailable``.
    """
    params: dict[str, Any] = {
        "amount": amount,
        "currency": currency.lower(),
        "metadata": metadata.as_stripe(),
        # Cards only: no redirect-based methods, so no return_url is needed.
        "payment_method_types": ["card"],
        **_payment_method_params(card_token),
    }
    current = settings()
    if receipt_email and current.send_receipt_email and current.dialect.sends_receipt_emails:
        params["receipt_email"] = receipt_email
    with _stripe_errors(rejected=CARD_NOT_ACCEPTED):
        intent = stripe_client().v1.payment_intents.create(
            params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    return payment_intent_from(_as_dict(intent))


def confirm_payment(payment_intent_id: str, *, idempotency_key: str) -> PaymentIntentInfo:
    """Confirm a PaymentIntent created by ``create_payment``.

    Returns it ``succeeded``, ``processing`` or ``requires_action`` (3-D Secure:
    the browser finishes it with its client secret). Raises ``PaymentDeclined``
    when the card is refused.
    """
    params: dict[str, Any] = {}
    if settings().dialect.confirms_with_stripe_sdk:
        # Let Stripe.js in the page handle a 3-D Secure challenge.
        params["use_stripe_sdk"] = True
    with _stripe_errors(payment_id=payment_intent_id):
        intent = stripe_client().v1.payment_intents.confirm(
            payment_intent_id,
            params,  # type: ignore[arg-type]
            options={"idempotency_key": idempotency_key},
        )
    return payment_intent_from(_as_dict(intent))


def retrieve_payment(payment_intent_id: str) -> PaymentIntentInfo:
    """Stripe's current view of a PaymentIntent. ``PaymentRejected`` if unknown."""
    with _stripe_errors(field="payment_intent"):
        intent = stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    return payment_intent_from(_as_dict(intent))


def cancel_payment(payment_intent_id: str) -> PaymentIntentInfo:
    """Cancel a PaymentIntent that has not succeeded."""
    with _stripe_errors(field="payment_intent"):
        intent = stripe_client().v1.payment_intents.cancel(payment_intent_id)
    return payment_intent_from(_as_dict(intent))


def retrieve_charge(charge_id: str) -> ChargeInfo:
    """A charge, with its cumulative ``amount_refunded``."""
    with _stripe_errors(field="charge"):
        charge = stripe_client().v1.charges.retrieve(charge_id)
    return charge_from(_as_dict(charge))


def refund_payment(
    payment_intent_id: str,
    amount: int | None = None,
    *,
    reason: str | None = None,
    idempotency_key: str | None = None,
) -> ProviderRefund:
    """Refund ``amount`` minor units of a succeeded payment (everything not yet
    refunded when ``amount`` is None).

    Only Stripe changes here: the ledger follows when the ``charge.refunded`` event
    arrives, or at once if the caller passes ``charge_refunded_total`` to
    ``ledger.apply_provider_refund`` (idempotent, so both paths are safe).
    ``reason`` is one of Stripe's: duplicate, fraudulent, requested_by_customer.
    Raises ``PaymentRejected`` (e.g. more than what is left) or
    ``PaymentServiceUnavailable``.
    """
    params: dict[str, Any] = {"payment_intent": payment_intent_id}
    if amount is not None:
        params["amount"] = amount
    if reason and settings().dialect.takes_refund_reasons:
        params["reason"] = reason
    options = {"idempotency_key": idempotency_key} if idempotency_key else None
    with _stripe_errors(field="amount"):
        refund = refund_from(
            _as_dict(
                stripe_client().v1.refunds.create(params, options=options)  # type: ignore[arg-type]
            )
        )
    if refund.charge_id is None:
        raise PaymentServiceUnavailable("Stripe's refund names no charge; check the Dashboard.")
    charge = retrieve_charge(refund.charge_id)
    return ProviderRefund(
        refund_id=refund.id,
        status=refund.status,
        amount=refund.amount,
        payment_intent_id=payment_intent_id,
        charge_refunded_total=charge.amount_refunded,
    )
