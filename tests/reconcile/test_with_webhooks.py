"""Reconcile running while the emulator's own signed webhooks for the same payments
arrive at the app over HTTP: every payment is still counted once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress, recount_drive
from donation_drive.models import Donation, DonationEvent, WebhookEvent
from donation_drive.providers.stripe.emulator import register_emulator_webhook
from donation_drive.reconcile import reconcile_payments

from .conftest import pay

WEBHOOK_NAME = "tests-reconcile-webhooks"
NOWHERE = "http://127.0.0.1:9/webhooks/stripe"  # the discard port


@pytest.fixture
def webhooks_delivered(app, emulator, live_server):
    # The emulator sends each event a second after it happens, to the URLs registered
    # then: let the last events of earlier tests go by before this server is one.
    time.sleep(1.3)
    register_emulator_webhook(
        emulator,
        WEBHOOK_NAME,
        f"{live_server.url}/webhooks/stripe",
        app.config["STRIPE_WEBHOOK_SECRET"],
    )
    yield
    # The emulator signs and sends each event a second after it happens: let the last
    # ones go nowhere rather than to the next test's server.
    register_emulator_webhook(emulator, WEBHOOK_NAME, NOWHERE, "whsec_nowhere")
    time.sleep(1.3)


def settled_webhooks() -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count())
        .select_from(WebhookEvent)
        .where(
            WebhookEvent.type == "payment_intent.succeeded",
            WebhookEvent.status.in_(("processed", "ignored")),
        )
    )


def test_reconcile_racing_real_webhook_deliveries_counts_each_payment_once(
    app, drive, stripe_api, webhooks_delivered
):
    intents = [pay(stripe_api, 1_500 + 100 * i) for i in range(10)]
    expected = sum(intent.amount for intent in intents)

    runs = []
    deadline = time.monotonic() + 30
    while settled_webhooks() < len(intents):  # reconcile over and over while they land
        assert time.monotonic() < deadline, "the webhooks did not all arrive"
        runs.append(reconcile_payments())
    runs.append(reconcile_payments())

    assert all(run.status == "succeeded" for run in runs)
    assert len(runs) >= 2
    assert sum(run.created for run in runs) <= len(intents)
    assert drive_progress(drive.slug).raised_amount == expected
    assert recount_drive(drive.id) == (expected, len(intents))
    assert db.session.scalar(select(func.count()).select_from(Donation)) == len(intents)
    moved = db.session.scalar(
        select(func.count()).select_from(DonationEvent).where(DonationEvent.amount_delta > 0)
    )
    assert moved == len(intents)
