"""The one module that talks to Stripe: SDK calls, event verification and the
plain objects the rest of the service reads. Nothing outside this package imports
``stripe``.

- ``create_payment`` / ``confirm_payment`` / ``retrieve_payment`` /
  ``cancel_payment``: the checkout's PaymentIntents.
- ``refund_payment``: give money back (the admin's refund button).
- ``parse_event``: verify a signed webhook delivery.
- ``metadata``: the ``drive_slug``/``donation_id`` convention on every payment.
- ``ledger_payment``: what the ledger records for a succeeded PaymentIntent.
- ``emulator``: start ``localstripe`` for development and tests.

The SDK is imported inside the functions that call it, not at the top of a module:
importing it takes longer than starting a whole ``donation-drive`` command should
(it pulls in an HTTP client or two), and most commands and requests never call Stripe.
"""

from .client import GatewaySettings, settings, stripe_client
from .errors import InvalidWebhook, PaymentDeclined, PaymentRejected, PaymentServiceUnavailable
from .events import ProviderEvent, parse_event
from .ledger_payment import PROVIDER, ledger_payment
from .metadata import (
    DONATION_ID_KEY,
    DRIVE_SLUG_KEY,
    PaymentMetadata,
    payment_metadata,
    read_metadata,
)
from .objects import (
    CANCELED,
    PROCESSING,
    REQUIRES_ACTION,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    ChargeInfo,
    DisputeInfo,
    PaymentIntentInfo,
    ProviderRefund,
    RefundInfo,
    charge_from,
    dispute_from,
    payment_intent_from,
    refund_from,
)
from .payments import (
    cancel_payment,
    confirm_payment,
    create_payment,
    refund_payment,
    retrieve_charge,
    retrieve_payment,
)

__all__ = [
    "CANCELED",
    "DONATION_ID_KEY",
    "DRIVE_SLUG_KEY",
    "PROCESSING",
    "PROVIDER",
    "REQUIRES_ACTION",
    "REQUIRES_PAYMENT_METHOD",
    "SUCCEEDED",
    "ChargeInfo",
    "DisputeInfo",
    "GatewaySettings",
    "InvalidWebhook",
    "PaymentDeclined",
    "PaymentIntentInfo",
    "PaymentMetadata",
    "PaymentRejected",
    "PaymentServiceUnavailable",
    "ProviderEvent",
    "ProviderRefund",
    "RefundInfo",
    "cancel_payment",
    "charge_from",
    "confirm_payment",
    "create_payment",
    "dispute_from",
    "ledger_payment",
    "parse_event",
    "payment_intent_from",
    "payment_metadata",
    "read_metadata",
    "refund_from",
    "refund_payment",
    "retrieve_charge",
    "retrieve_payment",
    "settings",
    "stripe_client",
]
