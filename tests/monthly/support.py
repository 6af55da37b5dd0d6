"""Helpers of the monthly-gift tests: start a gift through the checkout's endpoint,
as the donate page's script does, and read what the emulator holds."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import MonthlyGift

from ..conftest import csrf_token_from
from ..providers.stripe.support import SECRET_KEY, Emulator, new_id, stripe_event


def start_monthly(
    client,
    emulator: Emulator,
    *,
    card: str = "4242424242424242",
    amount="25",
    email: str | None = "ada@example.org",
    name: str | None = "Ada Lovelace",
):
    page = client.get("/donate/eoy")
    token = csrf_token_from(page.get_data(as_text=True))
    body: dict[str, Any] = {
        "amount": amount,
        "frequency": "monthly",
        "card_token": emulator.card_token(card),
        "currency": "USD",
    }
    if email is not None:
        body["email"] = email
    if name is not None:
        body["name"] = name
    return client.post("/donate/eoy/monthly", json=body, headers={"X-CSRFToken": token})


def only_gift() -> MonthlyGift:
    db.session.rollback()
    return db.session.scalars(select(MonthlyGift)).one()


def stripe_get(emulator: Emulator, path: str) -> dict[str, Any]:
    return emulator._request("GET", path, key=SECRET_KEY)


def invoice_event(
    event_type: str, invoice: dict[str, Any], *, created: int | None = None, new_api: bool = False
) -> dict:
    """An invoice event as Stripe signs it; ``new_api`` moves the subscription id to
    where API versions since 2025-03-31 put it."""
    obj = dict(invoice)
    if new_api:
        subscription = obj.pop("subscription", None)
        obj["parent"] = {
            "type": "subscription_details",
            "subscription_details": {"subscription": subscription},
        }
    event = stripe_event(event_type, obj, created=created or int(time.time()))
    if new_api:
        event["api_version"] = "2025-03-31.basil"
    return event


__all__ = ["invoice_event", "new_id", "only_gift", "start_monthly", "stripe_get"]


def subscribe_at_stripe(
    amount: int,
    *,
    card_token: str,
    email: str = "grace@example.org",
    name: str = "Grace Hopper",
    drive_slug: str = "eoy",
):
    """A monthly gift made at the (emulated) Stripe as the checkout makes one, but
    without telling the ledger: only events or reconcile will."""
    from donation_drive.providers.stripe import PaymentMetadata
    from donation_drive.providers.stripe.subscriptions import (
        create_customer,
        create_subscription,
    )

    key = new_id("test")
    customer = create_customer(
        email=email, name=name, card_token=card_token, idempotency_key=f"{key}-c"
    )
    return create_subscription(
        customer_id=customer,
        amount=amount,
        currency="USD",
        interval="month",
        metadata=PaymentMetadata(drive_slug=drive_slug, donation_id=None),
        idempotency_key=f"{key}-s",
    )
