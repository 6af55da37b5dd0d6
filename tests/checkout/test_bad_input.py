"""Bad input at the payment endpoint: refused with a 4xx naming the field, before
Stripe is called and without writing a donation; each refusal is still logged as
an attempt. Hostile text that is merely unusual is kept and shown escaped."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.models import Donation, PaymentAttempt

from .donor import Donor

# A token Stripe would accept: when these are refused, it is for the field named.
CARD = "pm_card_visa"


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize(
    ("amount", "why"),
    [
        ("0", "greater than zero"),
        ("-25", "greater than zero"),
        ("abc", "not a number"),
        ("", "an amount is required"),
        ("25,00", "write it like 1,234.56"),
        (None, "choose or enter an amount"),
        (True, "choose or enter an amount"),
        ([25], "choose or enter an amount"),
        ("NaN", "not a number"),
        ("1e400", ""),
        ("25.001", "decimal places"),
        ("4.99", "smallest gift"),
        ("25000.01", "please contact us"),
    ],
)
def test_an_unacceptable_amount_is_refused_on_the_amount_field(client, drive, amount, why):
    response = Donor(client).donate(CARD, amount=amount)

    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == "amount"
    assert why in response.get_json()["error"]
    assert _count(Donation) == 0
    attempt = db.session.scalars(select(PaymentAttempt)).one()
    assert attempt.outcome == "rejected" and "amount" in attempt.error


def test_the_limits_themselves_are_accepted(client, drive, emulator, app):
    low, high = app.config["DONATION_MIN_AMOUNT"], app.config["DONATION_MAX_AMOUNT"]
    donor = Donor(client)
    assert donor.donate(CARD, amount=f"{low / 100:.2f}").status_code == 200
    assert donor.donate(CARD, amount=f"{high / 100:.2f}").status_code == 200


@pytest.mark.parametrize("currency", ["EUR", "XXX!", "dollars", 840])
def test_a_currency_other_than_the_drives_is_refused(client, drive, currency):
    response = Donor(client).donate(CARD, currency=currency)

    assert response.status_code == 400
    assert response.get_json()["field"] == "currency"
    assert _count(Donation) == 0


def test_the_drives_currency_in_lower_case_is_fine(client, drive, emulator):
    assert Donor(client).donate(CARD, currency="usd").status_code == 200


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "x" * 201}, "name"),
        ({"name": 42}, "name"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "ada@example.org\r\nBcc: everyone@example.org"}, "email"),
        ({"email": "<script>@example.org"}, "email"),
        ({"message": "m" * 1001}, "message"),
        ({"message": {"$gt": ""}}, "message"),
        ({"card_token": "4242424242424242"}, "card"),  # a card number is never accepted
        ({"card_token": "tok_<script>"}, "card"),
        ({"card_token": None}, "card"),
    ],
)
def test_bad_donor_details_or_card_tokens_are_refused_on_their_field(client, drive, fields, field):
    response = Donor(client).donate(**{"card_token": CARD, **fields})

    assert response.status_code == 400, response.get_json()
    assert response.get_json()["field"] == field
    assert _count(Donation) == 0


@pytest.mark.parametrize("body", [["amount", "25"], "25", 25])
def test_a_body_that_is_not_a_form_is_refused(client, drive, body):
    response = Donor(client).submit(body)
    assert response.status_code == 400
    assert response.get_json()["field"] == "payload"


def test_a_body_that_is_not_json_is_refused(client, drive):
    donor = Donor(client)
    response = client.post(
        "/donate/eoy/payments",
        data="amount=25&card_token=pm_card_visa",
        content_type="application/x-www-form-urlencoded",
        headers={"X-CSRFToken": donor.csrf_token, "Accept": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == "payload"
    assert _count(Donation) == 0


def test_a_payment_without_the_csrf_token_is_refused(client, drive):
    response = Donor(client).submit({"amount": "25", "card_token": CARD}, csrf=False)
    assert response.status_code == 400
    assert "forged" in response.get_json()["error"]
    assert _count(Donation) == 0


def test_an_unknown_drive_is_a_404_with_a_field(client, drive):
    donor = Donor(client)
    response = client.post(
        "/donate/nope/payments",
        json={"amount": "25", "card_token": CARD},
        headers={"X-CSRFToken": donor.csrf_token},
    )
    assert response.status_code == 404
    assert response.get_json()["field"] == "drive"


HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_MESSAGE = "<img src=x onerror=alert(1)>\n'; DROP TABLE donations; --"


def test_hostile_name_and_message_are_kept_as_text_and_escaped_on_the_thank_you_page(
    client, drive, emulator
):
    response = Donor(client).donate(
        emulator.card_token(), name=HOSTILE_NAME + "\x00\x1b", message=HOSTILE_MESSAGE
    )
    assert response.status_code == 200, response.get_json()

    donation = db.session.scalars(select(Donation)).one()
    assert donation.donor_name == HOSTILE_NAME  # control characters dropped
    assert donation.message == HOSTILE_MESSAGE
    html = client.get(response.get_json()["redirect"]).get_data(as_text=True)
    assert HOSTILE_NAME not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
