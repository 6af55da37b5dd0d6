"""A PayPal test peer on loopback, validated against PayPal's OpenAPI documents.

See README.md beside this file. Fixtures are in :mod:`.fixtures`."""

from .model import Capture, Order, Payer, Refund, to_minor, to_value
from .peer import IpnDelivery, PayPalPeer, PeerViolation, WebhookDelivery

__all__ = [
    "Capture",
    "IpnDelivery",
    "Order",
    "PayPalPeer",
    "Payer",
    "PeerViolation",
    "Refund",
    "WebhookDelivery",
    "to_minor",
    "to_value",
]
