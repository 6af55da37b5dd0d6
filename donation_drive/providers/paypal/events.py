"""REST webhook events: PayPal vouches for each delivery through
``POST /v1/notifications/verify-webhook-signature`` (with our webhook id); only then
is the body read as an event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .client import paypal_client, settings
from .errors import InvalidWebhook, PayPalRejected
from .objects import parse_time

HEADERS = {
    "auth_algo": "PAYPAL-AUTH-ALGO",
    "cert_url": "PAYPAL-CERT-URL",
    "transmission_id": "PAYPAL-TRANSMISSION-ID",
    "transmission_sig": "PAYPAL-TRANSMISSION-SIG",
    "transmission_time": "PAYPAL-TRANSMISSION-TIME",
}


@dataclass(frozen=True, slots=True)
class PayPalEvent:
    """A verified webhook event, shaped like the Stripe one the intake stores."""

    id: str
    type: str
    created: int  # unix seconds
    resource: dict[str, Any]
    payload: dict[str, Any]


def parse_event(payload: bytes, headers: Mapping[str, str]) -> PayPalEvent:
    """Verify a delivery with PayPal and parse it. Raises ``InvalidWebhook`` (field
    ``signature`` or ``payload``) when PayPal does not vouch for it or it is no event,
    and ``PayPalUnavailable`` when PayPal cannot be asked now."""
    try:
        event = json.loads(payload)
    except ValueError:
        raise InvalidWebhook("the body is not JSON", "payload") from None
    if not isinstance(event, dict):
        raise InvalidWebhook("the body is not a PayPal event", "payload")
    event_id, event_type, resource = event.get("id"), event.get("event_type"), event.get("resource")
    if not (
        isinstance(event_id, str)
        and 0 < len(event_id) <= 200
        and isinstance(event_type, str)
        and 0 < len(event_type) <= 100
        and isinstance(resource, dict)
    ):
        raise InvalidWebhook("the body is not a PayPal event", "payload")
    found = {name: headers.get(header) for name, header in HEADERS.items()}
    missing = [HEADERS[name] for name, value in found.items() if not value]
    if missing:
        raise InvalidWebhook(f"missing {', '.join(missing)}", "signature")
    try:
        answer = paypal_client().call(
            "POST",
            "/v1/notifications/verify-webhook-signature",
            json={**found, "webhook_id": settings().webhook_id, "webhook_event": event},
            prefer_representation=False,
        )
    except PayPalRejected as exc:
        raise InvalidWebhook(
            f"PayPal refused to verify the delivery: {exc.message}", "signature"
        ) from None
    if answer.get("verification_status") != "SUCCESS":
        raise InvalidWebhook("PayPal does not vouch for this delivery", "signature")
    return PayPalEvent(
        id=event_id,
        type=event_type,
        created=int(parse_time(event.get("create_time")).timestamp()),
        resource=resource,
        payload=event,
    )
