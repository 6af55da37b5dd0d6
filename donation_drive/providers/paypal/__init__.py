"""The one package that talks to PayPal, in the shape of ``providers`` (see there):

- ``client``: settings (off unless all are set), the REST client with its cached
  OAuth token, timeouts and safe retries;
- ``payments``: the checkout's Orders v2 order and capture, reading a capture,
  refunds (Payments v2);
- ``events``: REST webhook events, verified by PayPal
  (``POST /v1/notifications/verify-webhook-signature``);
- ``ipn``: Instant Payment Notification messages of the classic Donate button,
  validated by postback (``cmd=_notify-validate``);
- ``listing``: Transaction Search, the reconcile source;
- ``objects``: plain typed views, amounts in integer minor units;
- ``custom``: the drive and pending donation a payment names;
- ``recording``: ``ledger_payment`` and the one way a PayPal payment, refund or
  reversal reaches the ledger, with the rule that picks its drive.

The key of every PayPal payment, whichever way it arrives, is PayPal's transaction
id (= the Orders v2 capture id); ``provider`` is ``"paypal"``.
"""

from .client import PayPalSettings, is_enabled, paypal_client, settings
from .custom import Named, custom_id_for, read_custom
from .errors import InvalidWebhook, PayPalNotConfigured, PayPalRejected, PayPalUnavailable
from .events import PayPalEvent, parse_event
from .objects import CaptureInfo, OrderInfo, RefundInfo, capture_from, refund_from
from .recording import (
    IPN_PROVIDER,
    PROVIDER,
    Adjustment,
    NeedsDrive,
    PayPalPayment,
    Refused,
    choose_drive,
    donor_of,
    ledger_payment,
    record_adjustment,
    record_payment,
    sync_adjustments,
)

ACTIVITY_URL = "https://www.paypal.com/activity/payment/{id}"

__all__ = [
    "ACTIVITY_URL",
    "IPN_PROVIDER",
    "PROVIDER",
    "Adjustment",
    "CaptureInfo",
    "InvalidWebhook",
    "Named",
    "NeedsDrive",
    "OrderInfo",
    "PayPalEvent",
    "PayPalNotConfigured",
    "PayPalPayment",
    "PayPalRejected",
    "PayPalSettings",
    "PayPalUnavailable",
    "RefundInfo",
    "Refused",
    "capture_from",
    "choose_drive",
    "custom_id_for",
    "donor_of",
    "is_enabled",
    "ledger_payment",
    "parse_event",
    "paypal_client",
    "read_custom",
    "record_adjustment",
    "record_payment",
    "refund_from",
    "settings",
    "sync_adjustments",
]
