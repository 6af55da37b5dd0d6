"""One Stripe API client per app, built from the app's settings.

Nothing here touches the SDK's global ``stripe.api_key``/``stripe.api_base``: two
apps in one process (tests, a worker beside the web app) may talk to different
Stripes, and each gets its own ``StripeClient``.

``STRIPE_API_BASE`` pointing anywhere but ``*.stripe.com`` means the local emulator
(``localstripe``). It speaks an older, smaller dialect of the API; every difference
is one named field of ``Dialect`` below (``settings().dialect``), so the calls in this
package ask what the Stripe they talk to understands, and nothing outside the
package knows there is an emulator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app

if TYPE_CHECKING:
    import stripe

_EXTENSION_KEY = "donation_drive.stripe_client"
# A donor waits on these calls; better a clear "try again" than a hung page.
REQUEST_TIMEOUT_SECONDS = 20
NETWORK_RETRIES = 2


@dataclass(frozen=True, slots=True)
class Dialect:
    """What the Stripe at ``STRIPE_API_BASE`` understands, one field per difference
    between real Stripe (all True) and the ``localstripe`` emulator (all False)."""

    # Lists take ``created[gte]`` (reconcile's window); the emulator ignores filters,
    # so reconcile pages through everything there (listing._window_params).
    filters_lists_by_created: bool
    # A Stripe.js ``tok_...`` is sent as ``payment_method_data``; the emulator knows
    # neither that nor ``createPaymentMethod``, but takes the token's card as the
    # payment method (payments._payment_method_params).
    takes_card_tokens_as_payment_method_data: bool
    # ``receipt_email`` makes Stripe mail its own receipt; the emulator refuses it.
    sends_receipt_emails: bool
    # ``use_stripe_sdk`` lets Stripe.js in the page finish a 3-D Secure challenge.
    confirms_with_stripe_sdk: bool
    # Refunds take a ``reason`` (duplicate, fraudulent, requested_by_customer).
    takes_refund_reasons: bool
    # Monthly gifts (subscriptions.py). Subscription items take ``price_data`` (the
    # Prices API) and ``proration_behavior``; the emulator has Plans only.
    has_prices: bool
    # A Customer's card is a PaymentMethod made from the Stripe.js token; the
    # emulator makes none from a token and takes the token as the ``source``.
    makes_payment_methods_from_tokens: bool
    # ``pause_collection`` pauses a subscription; the emulator has no pause.
    pauses_collection: bool
    # A confirmed SetupIntent attaches its card to the Customer, and a subscription
    # takes a ``default_payment_method``; the emulator does neither.
    attaches_setup_intent_cards: bool
    # An invoice's payments are listed by ``invoice_payments`` (API 2025-03-31 on);
    # the emulator keeps ``invoice.payment_intent``.
    lists_invoice_payments: bool


STRIPE = Dialect(
    filters_lists_by_created=True,
    takes_card_tokens_as_payment_method_data=True,
    sends_receipt_emails=True,
    confirms_with_stripe_sdk=True,
    takes_refund_reasons=True,
    has_prices=True,
    makes_payment_methods_from_tokens=True,
    pauses_collection=True,
    attaches_setup_intent_cards=True,
    lists_invoice_payments=True,
)
LOCALSTRIPE = Dialect(
    filters_lists_by_created=False,
    takes_card_tokens_as_payment_method_data=False,
    sends_receipt_emails=False,
    confirms_with_stripe_sdk=False,
    takes_refund_reasons=False,
    has_prices=False,
    makes_payment_methods_from_tokens=False,
    pauses_collection=False,
    attaches_setup_intent_cards=False,
    lists_invoice_payments=False,
)


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    secret_key: str
    publishable_key: str
    api_base: str | None
    webhook_secret: str
    webhook_tolerance: int
    send_receipt_email: bool

    @property
    def is_emulator(self) -> bool:
        if not self.api_base:
            return False
        host = urlsplit(self.api_base).hostname or ""
        return not (host == "stripe.com" or host.endswith(".stripe.com"))

    @property
    def dialect(self) -> Dialect:
        return LOCALSTRIPE if self.is_emulator else STRIPE


def settings() -> GatewaySettings:
    config = current_app.config
    return GatewaySettings(
        secret_key=config["STRIPE_SECRET_KEY"],
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        api_base=(config.get("STRIPE_API_BASE") or None),
        webhook_secret=config["STRIPE_WEBHOOK_SECRET"],
        webhook_tolerance=int(config["STRIPE_WEBHOOK_TOLERANCE"]),
        send_receipt_email=bool(config.get("STRIPE_RECEIPT_EMAIL", True)),
    )


def stripe_client() -> stripe.StripeClient:
    """The current app's client, created on first use and rebuilt if the key or
    the API address changed."""
    import stripe  # lazily: the SDK is slow to import (see the package docstring)

    current = settings()
    cache_key = (current.secret_key, current.api_base)
    cached = current_app.extensions.get(_EXTENSION_KEY)
    if cached is not None and cached[0] == cache_key:
        return cached[1]
    base_addresses = {"api": current.api_base.rstrip("/")} if current.api_base else None
    client = stripe.StripeClient(
        current.secret_key,
        base_addresses=base_addresses,  # type: ignore[arg-type]
        max_network_retries=NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
    )
    current_app.extensions[_EXTENSION_KEY] = (cache_key, client)
    return client
