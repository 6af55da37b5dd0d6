"""Card donations through the payment endpoint, against the Stripe emulator: the
payment is counted once with our metadata at Stripe, declines and 3-D Secure are
handled, and every attempt is logged."""

from __future__ import annotations

from sqlalchemy import select

from donation_drive.checkout.fees import processing_fee
from donation_drive.extensions import db
from donation_drive.ledger import drive_progress, recount_drive
from donation_drive.models import Donation, OutboxEmail, PaymentAttempt
from donation_drive.providers.stripe import retrieve_payment

from .donor import Donor


def _raised(slug: str = "eoy") -> int:
    return drive_progress(slug).raised_amount


def _only_donation() -> Donation:
    db.session.rollback()
    donations = db.session.scalars(select(Donation)).all()
    assert len(donations) == 1
    return donations[0]


def test_a_card_donation_is_counted_once_and_the_thank_you_page_shows_it(client, drive, emulator):
    response = Donor(client).donate(emulator.card_token(), amount="25")

    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "succeeded"
    donation = _only_donation()
    assert (donation.status, donation.amount, donation.provider) == ("succeeded", 2_500, "stripe")
    assert _raised() == 2_500
    assert recount_drive(drive.id) == (2_500, 1)

    at_stripe = retrieve_payment(donation.provider_ref)
    assert (at_stripe.amount, at_stripe.currency, at_stripe.status) == (2_500, "USD", "succeeded")
    assert (at_stripe.metadata.drive_slug, at_stripe.metadata.donation_id) == ("eoy", donation.id)

    page = client.get(body["redirect"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "$25.00" in html and "Thank you, Ada Lovelace!" in html
    assert 'data-testid="raised">$25<' in html
    assert page.headers["Cache-Control"] == "private, no-store"
    # Visiting the page again (a reload) changes nothing.
    client.get(body["redirect"])
    assert _raised() == 2_500

    receipts = db.session.scalars(select(OutboxEmail)).all()
    assert [(r.donation_id, r.to_address) for r in receipts] == [(donation.id, "ada@example.org")]
    attempt = db.session.scalars(select(PaymentAttempt)).one()
    assert (attempt.outcome, attempt.amount) == ("succeeded", 2_500)
    assert (attempt.email, attempt.drive_id) == ("ada@example.org", drive.id)


def test_covering_the_fee_charges_the_gift_plus_a_fee_that_leaves_the_gift_whole(
    client, drive, emulator, app
):
    response = Donor(client).donate(emulator.card_token(), amount="100", cover_fee=True)

    assert response.status_code == 200, response.get_json()
    donation = _only_donation()
    fee = donation.fee_covered_amount
    assert fee == processing_fee(10_000) and fee > 0
    assert donation.amount == 10_000 + fee
    assert retrieve_payment(donation.provider_ref).amount == donation.amount
    # What Stripe keeps (basis points of the total, plus the fixed part) leaves the gift.
    bps, fixed = app.config["CHECKOUT_FEE_BASIS_POINTS"], app.config["CHECKOUT_FEE_FIXED"]
    assert donation.amount * (10_000 - bps) - fixed * 10_000 >= 10_000 * 10_000
    page = client.get(response.get_json()["redirect"]).get_data(as_text=True)
    assert "to cover the card fee" in page


def test_a_declined_card_gets_a_402_on_the_card_field_and_counts_nothing(client, drive, emulator):
    response = Donor(client).donate("pm_card_chargeCustomerFail")

    assert response.status_code == 402
    assert response.get_json()["field"] == "card"
    assert "declined" in response.get_json()["error"]
    donation = _only_donation()
    assert donation.status == "failed" and donation.provider_ref
    assert "declined" in donation.failure_reason
    assert _raised() == 0
    attempt = db.session.scalars(select(PaymentAttempt)).one()
    assert attempt.outcome == "declined"


def test_a_card_needing_3d_secure_is_finished_in_the_browser_and_caught_up_on_return(
    client, drive, emulator
):
    response = Donor(client).donate(emulator.card_token("4000002500003155"))

    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "requires_action"
    donation = _only_donation()
    assert donation.status == "pending" and _raised() == 0
    assert body["client_secret"].startswith(donation.provider_ref)

    emulator.complete_3d_secure(donation.provider_ref, body["client_secret"])
    page = client.get(body["redirect"])  # the donor is back before the webhook

    assert "$25.00" in page.get_data(as_text=True)
    assert _only_donation().status == "succeeded"
    assert _raised() == 2_500


def test_failed_3d_secure_leaves_the_donation_uncounted_and_says_so(client, drive, emulator):
    body = Donor(client).donate(emulator.card_token("4000002500003155")).get_json()
    donation = _only_donation()

    emulator.complete_3d_secure(donation.provider_ref, body["client_secret"], success=False)
    page = client.get(body["redirect"]).get_data(as_text=True)

    assert "did not go through" in page
    assert _only_donation().status == "failed"
    assert _raised() == 0


def test_a_forged_thank_you_link_is_not_found(client, drive, emulator):
    body = Donor(client).donate(emulator.card_token()).get_json()
    forged = body["redirect"][:-3] + ("AAA" if not body["redirect"].endswith("AAA") else "BBB")
    assert client.get(forged).status_code == 404
    other_drive_link = body["redirect"].replace("/donate/eoy/", "/donate/other/")
    assert client.get(other_drive_link).status_code == 404
