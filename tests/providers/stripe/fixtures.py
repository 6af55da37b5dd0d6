"""Fixtures shared by the checkout, webhook and gateway tests (imported by their
``conftest.py``): the app wired to the Stripe emulator, with a webhook secret of
its own per test, and the emulator's signed webhooks delivered to a live server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .support import Emulator, emulator_settings


@pytest.fixture
def webhook_secret() -> str:
    return f"whsec_test_{uuid.uuid4().hex}"


@pytest.fixture
def app_overrides(localstripe_base: str, webhook_secret: str) -> dict[str, object]:
    # Generous limits: only the rate-limit tests want to hit them.
    return {
        **emulator_settings(localstripe_base, webhook_secret),
        "CHECKOUT_RATE_LIMIT": "1000 per minute",
        "CHECKOUT_EMAIL_RATE_LIMIT": "1000 per minute",
    }


@pytest.fixture
def emulator(localstripe_base: str) -> Emulator:
    control = Emulator(localstripe_base)
    control.clear()
    return control


@pytest.fixture
def emulator_webhooks(emulator: Emulator, live_server, webhook_secret: str) -> Iterator[Emulator]:
    """The emulator delivers its signed events to this test's live server (and only
    this test's: events of earlier tests are let pass first)."""
    emulator.wait_for_quiet()
    emulator.deliver_webhooks_to(f"{live_server.url}/webhooks/stripe", webhook_secret)
    yield emulator
    emulator.stop_delivering()
