"""Test support for everything that talks to Stripe: the emulator's controls, card
tokens made the way Stripe.js makes them, Stripe-shaped events for the types the
emulator cannot emit, and signing exactly as Stripe signs webhook deliveries
(``t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``)."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

from donation_drive.extensions import db
from donation_drive.providers.stripe.emulator import register_emulator_webhook

PUBLISHABLE_KEY = "pk_test_donationdrive"
SECRET_KEY = "sk_test_donationdrive"
# Our tests' webhook registration on the shared emulator; other suites use their own.
WEBHOOK_NAME = "tests-checkout-webhooks"
NOWHERE = "http://127.0.0.1:9/webhooks/stripe"  # the discard port: nothing listens


def emulator_settings(api_base: str, webhook_secret: str) -> dict[str, object]:
    """App settings that point checkout and webhooks at the emulator."""
    return {
        "STRIPE_API_BASE": api_base,
        "STRIPE_JS_URL": f"{api_base}/js.stripe.com/v3/",
        "STRIPE_SECRET_KEY": SECRET_KEY,
        "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
        "STRIPE_WEBHOOK_SECRET": webhook_secret,
    }


class Emulator:
    """Controls of a running ``localstripe``."""

    def __init__(self, api_base: str) -> None:
        self.api_base = api_base

    def _request(self, method: str, path: str, data: dict | None = None, key: str | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(  # noqa: S310 - loopback emulator
            f"{self.api_base}{path}", data=body, method=method
        )
        if key:
            request.add_header("Authorization", f"Bearer {key}")
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            raw = response.read()
        return json.loads(raw) if raw else None

    def clear(self) -> None:
        """Forget every object (not the webhook registrations).

        Events already emitted are still sent a second later, signed at that moment
        for whatever URLs are registered then; ``wait_for_quiet`` lets them pass
        before this test registers its own server."""
        emitted = [event["created"] for event in self.events()]
        self._quiet_at = max(emitted) + 2.2 if emitted else 0.0
        self._request("DELETE", "/_config/data")

    def payment_intent(self, payment_intent_id: str) -> dict[str, Any]:
        """The PaymentIntent as the emulator holds it (what it was asked to charge)."""
        return self._request(
            "GET", f"/v1/payment_intents/{payment_intent_id}", key="sk_test_localstripe"
        )

    def wait_for_quiet(self) -> None:
        """Wait until every event emitted before ``clear`` has been sent."""
        delay = getattr(self, "_quiet_at", 0.0) - time.time()
        if delay > 0:
            time.sleep(delay)

    def deliver_webhooks_to(self, url: str, secret: str) -> None:
        register_emulator_webhook(self.api_base, WEBHOOK_NAME, url, secret)

    def stop_delivering(self) -> None:
        """Point our registration nowhere: the test's server is going away, and its
        port may serve someone else next."""
        register_emulator_webhook(self.api_base, WEBHOOK_NAME, NOWHERE, "whsec_nowhere")

    def card_token(
        self, number: str = "4242424242424242", exp_month: str = "12", exp_year: str = "2030"
    ) -> str:
        """A card token made as Stripe.js makes one: with the publishable key."""
        token = self._request(
            "POST",
            "/v1/tokens",
            {
                "card[number]": number,
                "card[exp_month]": exp_month,
                "card[exp_year]": exp_year,
                "card[cvc]": "123",
                "key": PUBLISHABLE_KEY,
            },
        )
        return token["id"]

    def complete_3d_secure(self, payment_intent_id: str, client_secret: str, success=True):
        """What the emulator's ``stripe.confirmCardPayment`` does in the browser."""
        return self._request(
            "POST",
            f"/v1/payment_intents/{payment_intent_id}/_authenticate?success={str(success).lower()}",
            {"key": PUBLISHABLE_KEY, "client_secret": client_secret},
        )

    def events(self) -> list[dict[str, Any]]:
        """Every event the emulator has emitted since it was last cleared, oldest first."""
        found: list[dict[str, Any]] = []
        query = {"limit": "100"}
        while True:
            path = "/v1/events?" + urllib.parse.urlencode(query)
            page = self._request("GET", path, key=SECRET_KEY)
            found.extend(page["data"])
            if not page["has_more"]:
                break
            query["starting_after"] = page["data"][-1]["id"]
        return sorted(found, key=lambda event: (event["created"], event["id"]))


# -- events in the shape Stripe documents ----------------------------------------------


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:24]}"


def stripe_event(event_type: str, obj: dict[str, Any], *, created: int | None = None) -> dict:
    return {
        "id": new_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": created or int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def payment_intent_object(
    *,
    amount: int,
    drive_slug: str | None,
    donation_id: int | None = None,
    status: str = "succeeded",
    currency: str = "usd",
    payment_intent_id: str | None = None,
    failure_message: str | None = None,
) -> dict[str, Any]:
    metadata: dict[str, str] = {}
    if drive_slug:
        metadata["drive_slug"] = drive_slug
    if donation_id is not None:
        metadata["donation_id"] = str(donation_id)
    return {
        "id": payment_intent_id or new_id("pi"),
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": currency,
        "created": int(time.time()),
        "metadata": metadata,
        "status": status,
        "last_payment_error": {"message": failure_message} if failure_message else None,
        "cancellation_reason": "abandoned" if status == "canceled" else None,
        "latest_charge": new_id("ch"),
        "receipt_email": None,
        "livemode": False,
    }


def charge_object(
    *, charge_id: str, payment_intent_id: str, amount: int, amount_refunded: int
) -> dict[str, Any]:
    return {
        "id": charge_id,
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": amount_refunded,
        "captured": True,
        "currency": "usd",
        "paid": True,
        "payment_intent": payment_intent_id,
        "refunded": amount_refunded >= amount,
        "status": "succeeded",
        "metadata": {},
    }


def refund_object(
    *, refund_id: str, charge_id: str, payment_intent_id: str, amount: int, status: str
) -> dict[str, Any]:
    return {
        "id": refund_id,
        "object": "refund",
        "amount": amount,
        "charge": charge_id,
        "currency": "usd",
        "payment_intent": payment_intent_id,
        "reason": "requested_by_customer",
        "status": status,
        "metadata": {},
    }


def dispute_object(
    *, dispute_id: str, charge_id: str, payment_intent_id: str | None, amount: int, status: str
) -> dict[str, Any]:
    return {
        "id": dispute_id,
        "object": "dispute",
        "amount": amount,
        "charge": charge_id,
        "currency": "usd",
        "payment_intent": payment_intent_id,
        "reason": "fraudulent",
        "status": status,
        "is_charge_refundable": False,
        "balance_transactions": [],
        "metadata": {},
    }


# -- signing and delivering -------------------------------------------------------------


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header, computed as Stripe documents it."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def deliver(client, event: dict | str, secret: str, *, timestamp: int | None = None):
    """POST an event to the webhook endpoint through a Flask test client, signed."""
    payload = event if isinstance(event, str) else json.dumps(event)
    return client.post(
        "/webhooks/stripe",
        data=payload,
        headers={"Stripe-Signature": sign(payload, secret, timestamp)},
        content_type="application/json",
    )


def wait_until(check: Callable[[], Any], *, timeout: float = 15.0, what: str = "condition"):
    """Poll ``check`` until it returns something truthy; each poll reads fresh rows
    (ending the session's transaction, so SQLite shows other threads' commits)."""
    deadline = time.monotonic() + timeout
    while True:
        db.session.rollback()
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def pay_at_stripe(
    amount: int,
    *,
    drive_slug: str | None = "eoy",
    donation_id: int | None = None,
    card: str = "pm_card_visa",
    currency: str = "USD",
):
    """A succeeded PaymentIntent at the (emulated) Stripe, made as checkout makes
    them but without touching the ledger: only its events will tell us."""
    from donation_drive.providers.stripe import PaymentMetadata, confirm_payment, create_payment

    key = new_id("test")
    intent = create_payment(
        amount=amount,
        currency=currency,
        card_token=card,
        metadata=PaymentMetadata(drive_slug=drive_slug, donation_id=donation_id),
        receipt_email=None,
        idempotency_key=f"{key}-create",
    )
    return confirm_payment(intent.id, idempotency_key=f"{key}-confirm")
