"""Reconcile tests run against the real Stripe emulator (``localstripe``), driven
through the official SDK with a client of their own; no webhook endpoint of this app
is ever registered, so every payment made here is one the webhooks "missed"."""

from __future__ import annotations

import urllib.request
from datetime import timedelta

import pytest
import stripe

from donation_drive.ledger import create_drive
from donation_drive.models import utcnow

SECRET_KEY = "sk_test_reconcile"


def clear_emulator(api_base: str) -> None:
    request = urllib.request.Request(f"{api_base}/_config/data", method="DELETE")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        assert response.status == 200


@pytest.fixture
def emulator(localstripe_base: str) -> str:
    """The emulator's address, emptied of other tests' payments."""
    clear_emulator(localstripe_base)
    return localstripe_base


@pytest.fixture
def app_overrides(emulator: str) -> dict[str, object]:
    return {
        "STRIPE_API_BASE": emulator,
        "STRIPE_SECRET_KEY": SECRET_KEY,
        # Payments made a moment ago count as "missed by webhooks" in these tests.
        "RECONCILE_WEBHOOK_GRACE_SECONDS": 0,
    }


@pytest.fixture
def stripe_api(emulator: str) -> stripe.StripeClient:
    """A client of the test's own, as a donor's browser or the Dashboard would be."""
    return stripe.StripeClient(SECRET_KEY, base_addresses={"api": emulator})


@pytest.fixture
def drive(app):
    """A drive running now, whatever the date the suite runs on."""
    now = utcnow()
    return create_drive(
        slug="eoy",
        title="End of the Year Donation Drive",
        goal_amount=7_500_000,
        currency="USD",
        starts_at=now - timedelta(days=7),
        ends_at=now + timedelta(days=30),
    )


def pay(
    stripe_api: stripe.StripeClient,
    amount: int,
    *,
    metadata: dict[str, str] | None = None,
    currency: str = "usd",
    confirm: bool = True,
):
    """A card payment made in the emulator, succeeded unless ``confirm`` is False."""
    params: dict[str, object] = {
        "amount": amount,
        "currency": currency,
        "payment_method": "pm_card_visa",
        "metadata": metadata if metadata is not None else {"drive_slug": "eoy"},
    }
    if confirm:
        params["confirm"] = True
    intent = stripe_api.v1.payment_intents.create(params=params)  # type: ignore[arg-type]
    assert intent.status == ("succeeded" if confirm else "requires_confirmation")
    return intent
