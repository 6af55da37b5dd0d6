"""The Stripe emulator's own signed webhooks, delivered over HTTP to the app on a
live server: a payment made at Stripe is recorded from its webhook alone (for an
ended drive too), and a checkout payment that is also recorded at once is still
counted once."""

from __future__ import annotations

import json
import urllib.request
from datetime import timedelta

import pytest
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import create_drive, drive_progress, recount_drive
from donation_drive.models import Donation, Drive, WebhookEvent, utcnow

from ..checkout.donor import Donor
from ..providers.stripe.support import pay_at_stripe, wait_until


@pytest.fixture
def drive(running_drive: Drive) -> Drive:
    """Some tests here give at the checkout, which takes gifts while a drive runs."""
    return running_drive


def _widget_raised(live_server, slug: str = "eoy") -> int:
    with urllib.request.urlopen(f"{live_server.url}/api/v1/drives/{slug}") as response:  # noqa: S310
        return json.load(response)["raised_amount"]


def _settled_events(event_type: str) -> list[WebhookEvent]:
    return list(
        db.session.scalars(
            select(WebhookEvent).where(
                WebhookEvent.type == event_type, WebhookEvent.status.in_(("processed", "ignored"))
            )
        )
    )


def test_a_payment_made_at_stripe_is_recorded_from_its_signed_webhook(
    drive, live_server, emulator_webhooks
):
    paid = pay_at_stripe(3_500)  # nothing in the ledger knows about it

    wait_until(lambda: _settled_events("payment_intent.succeeded"), what="the webhook")

    donation = db.session.scalars(select(Donation)).one()
    assert (donation.provider_ref, donation.amount, donation.status) == (
        paid.id,
        3_500,
        "succeeded",
    )
    assert _widget_raised(live_server) == 3_500
    event = _settled_events("payment_intent.succeeded")[0]
    assert (event.status, event.attempts, event.payload["data"]["object"]["id"]) == (
        "processed",
        1,
        paid.id,
    )


def test_a_checkout_payment_and_its_webhook_count_it_once(
    drive, live_server, emulator_webhooks, app
):
    client = app.test_client()
    response = Donor(client).donate(emulator_webhooks.card_token(), amount="40")
    assert response.status_code == 200

    wait_until(lambda: _settled_events("payment_intent.succeeded"), what="the webhook")

    assert _widget_raised(live_server) == 4_000
    assert recount_drive(drive.id) == (4_000, 1)
    assert len(db.session.scalars(select(Donation)).all()) == 1


def test_a_declined_payments_webhook_leaves_the_donation_failed_and_the_total_alone(
    drive, live_server, emulator_webhooks, app
):
    response = Donor(app.test_client()).donate("pm_card_chargeCustomerFail")
    assert response.status_code == 402

    wait_until(lambda: _settled_events("payment_intent.payment_failed"), what="the webhook")

    assert db.session.scalars(select(Donation)).one().status == "failed"
    assert _widget_raised(live_server) == 0


def test_a_payment_for_an_ended_drive_is_still_recorded_from_its_webhook(
    drive, live_server, emulator_webhooks
):
    # Started at the checkout before the end, paid after it: the money arrived.
    now = utcnow()
    ended = create_drive(
        slug="last-year",
        title="Last year",
        goal_amount=100_000,
        currency="USD",
        starts_at=now - timedelta(days=60),
        ends_at=now - timedelta(days=1),
    )
    assert drive_progress("last-year").schedule.accepting_gifts is False

    paid = pay_at_stripe(6_000, drive_slug="last-year")
    wait_until(lambda: _settled_events("payment_intent.succeeded"), what="the webhook")

    donation = db.session.scalars(select(Donation)).one()
    assert (donation.drive_id, donation.provider_ref, donation.status) == (
        ended.id,
        paid.id,
        "succeeded",
    )
    assert _widget_raised(live_server, "last-year") == 6_000
    assert recount_drive(ended.id) == (6_000, 1)
