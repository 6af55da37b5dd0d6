"""The checkout reads amounts in the drive's locale with the one parser: the quote
the page shows before charging and the payment API agree on every row of the table
(tests/amount_cases.py), and the API refuses to charge anything but what was shown."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.models import Donation

from ..amount_cases import DRIVES, AmountCase, case_params, create_table_drives
from .donor import Donor


@pytest.fixture
def table_drives(app):
    create_table_drives()


def _quote(client, slug: str, amount: str, **extra: str):
    return client.get(f"/donate/{slug}/quote", query_string={"amount": amount, **extra})


@pytest.mark.parametrize("case", case_params())
def test_the_quote_and_the_payment_api_read_the_table_alike(client, table_drives, case: AmountCase):
    slug = DRIVES[(case.locale, case.currency)]
    quote = _quote(client, slug, case.text)
    # A token of the right shape: the amount is checked before Stripe is called.
    payment = Donor(client, slug).donate("tok_visa", amount=case.text, currency=case.currency)
    if case.minor is None:
        assert quote.status_code == 400
        assert quote.get_json()["field"] == "amount"
        assert payment.status_code == 400
        assert payment.get_json() == quote.get_json()
    else:
        assert quote.status_code == 200, quote.get_json()
        assert quote.get_json()["total"] == case.minor
        assert quote.get_json()["currency"] == case.currency


def test_the_quote_shows_the_charge_in_the_drives_format(client, table_drives):
    body = _quote(client, "de-eur", "25,00").get_json()
    assert body == {
        "gift": 2500,
        "fee": 0,
        "total": 2500,
        "currency": "EUR",
        "total_label": "25,00\xa0€",
    }
    with_fee = _quote(client, "de-eur", "25,00", cover_fee="1").get_json()
    assert with_fee["total"] == with_fee["gift"] + with_fee["fee"] > 2500


def test_a_payment_for_another_total_than_the_page_showed_is_refused(client, table_drives):
    response = Donor(client, "de-eur").donate(
        "tok_visa", amount="25,00", currency="EUR", expected_total=250000
    )
    assert response.status_code == 400
    assert response.get_json()["field"] == "amount"
    assert "the page showed 2.500,00" in response.get_json()["error"]
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_the_checkout_page_offers_presets_written_in_the_drives_locale(client, table_drives):
    page = client.get("/donate/de-eur").get_data(as_text=True)
    assert 'value="25,00"' in page
    assert "geschrieben wie 1.234,56" in page  # a de_DE drive's page speaks German


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/plain", "amount=25"), ("application/json", "{not json"), (None, "")],
)
def test_the_payment_api_answers_json_whatever_the_body(client, table_drives, content_type, body):
    donor = Donor(client, "us-usd")
    headers = {"X-CSRFToken": donor.csrf_token}
    if content_type:
        headers["Content-Type"] = content_type
    response = client.post("/donate/us-usd/payments", data=body, headers=headers)
    assert response.status_code == 400
    assert response.is_json, response.get_data(as_text=True)
    assert response.get_json()["error"]


def test_a_forged_csrf_token_gets_a_json_error(client, table_drives):
    response = client.post(
        "/donate/us-usd/payments", data="amount=25", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 400
    assert response.is_json
    assert "forged" in response.get_json()["error"]
