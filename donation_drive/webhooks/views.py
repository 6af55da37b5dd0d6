"""``POST /webhooks/stripe``: Stripe's signed events. Exempt from CSRF (Stripe
cannot hold a session) and from rate limits, and authenticated by the signature
instead."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from ..errors import InvalidInput
from ..extensions import csrf, limiter
from ..observability import count_webhook_failure
from ..providers.stripe import PROVIDER, InvalidWebhook, parse_event
from .intake import receive_event

bp = Blueprint("webhooks", __name__)

# Stripe's events are a few kilobytes; anything far larger is not one of them.
MAX_PAYLOAD_BYTES = 1_000_000


@bp.post("/webhooks/stripe")
@csrf.exempt
# Stripe sends bursts from a few addresses and the signature already authenticates
# them: a rate limit here (even an application-wide one added during a card-testing
# attack) would only turn payments into 429s and hours of Stripe's retry backoff.
@limiter.exempt
def stripe_webhook() -> tuple[Response, int]:
    if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
        count_webhook_failure("too_large", PROVIDER)
        raise InvalidInput("the body is too large for a Stripe event", "payload")
    payload = request.get_data(cache=False)
    try:
        event = parse_event(payload, request.headers.get("Stripe-Signature"))
    except InvalidWebhook as exc:
        count_webhook_failure(
            "bad_signature" if exc.field == "signature" else "bad_payload", PROVIDER
        )
        raise
    result = receive_event(event)
    body = {"received": True, "event": event.id, "status": result.status}
    if result.detail and result.http_status >= 500:
        body["error"] = result.detail
    return jsonify(body), result.http_status
