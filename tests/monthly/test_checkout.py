"""Starting a monthly gift at the checkout, against the Stripe emulator: a Customer
and a subscription there (a Plan for the amount: the emulator's path, see
docs/monthly.md), the first installment counted once, 3-D Secure finished by the
page, declined cards leaving nothing running."""

from __future__ import annotations

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress
from donation_drive.models import Donation, MonthlyGiftEvent

from ..providers.stripe.support import Emulator
from .support import only_gift, start_monthly, stripe_get


def test_a_monthly_gift_makes_a_customer_and_a_subscription_and_counts_the_first_month(
    client, drive, emulator: Emulator
):
    response = start_monthly(client, emulator, amount="25")
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "succeeded"

    gift = only_gift()
    assert (gift.status, gift.amount, gift.currency, gift.interval) == (
        "active",
        2500,
        "USD",
        "month",
    )
    assert gift.drive_id == drive.id
    customer = stripe_get(emulator, f"/v1/customers/{gift.customer_ref}")
    assert (customer["email"], customer["name"]) == ("ada@example.org", "Ada Lovelace")
    subscription = stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")
    assert subscription["status"] == "active"
    assert subscription["metadata"] == {"drive_slug": "eoy"}
    assert subscription["items"]["data"][0]["plan"]["amount"] == 2500  # the emulator's path
    invoice = stripe_get(emulator, f"/v1/invoices/{subscription['latest_invoice']}")

    donation = db.session.scalars(select(Donation)).one()
    assert (donation.provider, donation.provider_ref) == ("stripe", invoice["payment_intent"])
    assert donation.reference == gift.provider_ref
    assert (donation.amount, donation.status, donation.donor_email) == (
        2500,
        "succeeded",
        "ada@example.org",
    )
    assert drive_progress("eoy").raised_amount == 2500

    page = client.get(response.get_json()["redirect"])
    assert page.status_code == 200
    assert "$25.00 every month" in page.get_data(as_text=True)
    assert db.session.scalars(select(Donation)).all() == [donation]  # counted once
    actions = db.session.scalars(select(MonthlyGiftEvent.action)).all()
    assert actions == ["started", "status_changed"]


def test_the_donate_page_offers_once_or_monthly(client, drive):
    page = client.get("/donate/eoy").get_data(as_text=True)
    assert 'name="frequency" value="monthly"' in page
    assert 'data-monthly-url="/donate/eoy/monthly"' in page


def test_a_monthly_gift_needs_an_email_and_writes_nothing_without_it(
    client, drive, emulator: Emulator
):
    response = start_monthly(client, emulator, email=None)
    assert response.status_code == 400
    assert response.get_json()["field"] == "email"
    db.session.rollback()
    assert db.session.scalars(select(Donation)).all() == []
    assert stripe_get(emulator, "/v1/customers")["data"] == []


def test_a_declined_first_installment_leaves_no_running_gift(client, drive, emulator: Emulator):
    response = start_monthly(client, emulator, card="4000000000000341")  # charge declined
    assert response.status_code == 402, response.get_json()
    assert response.get_json()["field"] == "card"
    gift = only_gift()
    assert gift.status == "canceled"
    assert stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")["status"] == "canceled"
    assert db.session.scalars(select(Donation)).all() == []
    assert drive_progress("eoy").raised_amount == 0


def test_a_3d_secure_card_is_finished_by_the_page_then_counted_once(
    client, drive, emulator: Emulator
):
    response = start_monthly(client, emulator, card="4000002760003184", amount="40")
    body = response.get_json()
    assert response.status_code == 200, body
    assert body["status"] == "requires_action"
    gift = only_gift()
    assert gift.status == "incomplete"
    assert db.session.scalars(select(Donation)).all() == []

    # What the emulator's Stripe.js does when the donor completes the challenge.
    payment_intent_id = body["client_secret"].split("_secret_")[0]
    emulator.complete_3d_secure(payment_intent_id, body["client_secret"])

    page = client.get(body["redirect"])  # the thank-you page catches up with Stripe
    assert "We received the first installment" in page.get_data(as_text=True)
    client.get(body["redirect"])
    db.session.rollback()
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.provider_ref, donation.amount) == (payment_intent_id, 4000)
    assert only_gift().status == "active"


def test_a_failed_3d_secure_cancels_the_gift(client, drive, emulator: Emulator):
    body = start_monthly(client, emulator, card="4000002760003184").get_json()
    payment_intent_id = body["client_secret"].split("_secret_")[0]
    emulator.complete_3d_secure(payment_intent_id, body["client_secret"], success=False)
    page = client.get(body["redirect"]).get_data(as_text=True)
    assert "did not start" in page
    assert only_gift().status == "canceled"
    assert db.session.scalars(select(Donation)).all() == []


def test_frequency_must_be_monthly_on_the_monthly_endpoint(client, drive, emulator: Emulator):
    from ..conftest import csrf_token_from

    token = csrf_token_from(client.get("/donate/eoy").get_data(as_text=True))
    response = client.post(
        "/donate/eoy/monthly",
        json={
            "amount": "25",
            "frequency": "yearly",
            "email": "a@example.org",
            "card_token": emulator.card_token(),
        },
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == "frequency"
