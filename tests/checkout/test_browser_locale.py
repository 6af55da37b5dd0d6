"""A donor on a German drive in Chromium (the page speaks German): "25,00" is shown as
the 25,00 € to be charged before the card is, and localstripe receives 2500 cents,
not 250000."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import gettext
from playwright.sync_api import Page, expect
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.formatting import format_money
from donation_drive.i18n import speaking
from donation_drive.ledger import create_drive
from donation_drive.models import Donation, utcnow

from ..amount_cases import CASES, DRIVES, create_table_drives
from .card_form import fill_card

pytestmark = pytest.mark.browser


@pytest.fixture
def german_drive(app):
    now = utcnow()
    return create_drive(
        slug="spenden",
        title="Spendenaktion zum Jahresende",
        goal_amount=7_500_000,
        currency="EUR",
        locale="de_DE",
        starts_at=now - timedelta(days=10),
        ends_at=now + timedelta(days=20),
    )


def test_25_comma_00_is_shown_and_charged_as_25_euros(
    page: Page, german_drive, live_server, emulator
):
    page.goto(f"{live_server.url}/donate/spenden")
    page.get_by_role("textbox", name="Anderer Betrag").fill("25,00")
    expect(page.get_by_test_id("charge-summary")).to_have_text("Abgebucht werden 25,00\xa0€.")
    expect(page.locator("#donate-button")).to_have_text("25,00\xa0€ spenden")
    page.screenshot(path=_artifact("checkout-de_DE-charge-shown.png"), full_page=True)
    fill_card(page, postal_code="10115")
    page.locator("#donate-button").click()
    page.wait_for_url("**/donate/spenden/thank-you/**")

    db.session.rollback()
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.amount, donation.currency, donation.status) == (2500, "EUR", "succeeded")
    intent = emulator.payment_intent(donation.provider_ref)
    assert (intent["amount"], intent["currency"]) == (2500, "eur")


def test_an_amount_the_locale_makes_ambiguous_is_refused_before_the_card(
    page: Page, german_drive, live_server, emulator
):
    page.goto(f"{live_server.url}/donate/spenden")
    page.get_by_role("textbox", name="Anderer Betrag").fill("25.00")
    expect(page.locator("#amount-error")).to_contain_text("write it like 1.234,56")
    expect(page.get_by_test_id("charge-summary")).to_have_text("")
    fill_card(page, postal_code="10115")
    page.locator("#donate-button").click()
    expect(page.locator("#custom-amount")).to_be_focused()
    db.session.rollback()
    assert db.session.scalars(select(Donation)).all() == []


def test_the_page_script_reads_the_table_as_the_server_does(page: Page, app, live_server):
    """Every row of the table typed into the page: the charge it shows is the
    table's minor units, in the drive's format (and language); a refused row shows
    the error."""
    create_table_drives()
    for (locale, currency), slug in DRIVES.items():
        page.goto(f"{live_server.url}/donate/{slug}")
        page.locator("#preset-other").check()  # not the preset picked at first
        box = page.locator("#custom-amount")
        with app.test_request_context(), speaking(locale):
            sentence = gettext("You will be charged {amount}.")
        for case in (c for c in CASES if (c.locale, c.currency) == (locale, currency)):
            summary, error = page.get_by_test_id("charge-summary"), page.locator("#amount-error")
            box.fill("")  # clears the last row's charge or error, so each row is seen anew
            expect(error).to_be_hidden()
            expect(summary).to_have_text("")
            box.fill(case.text)
            if case.minor is None:
                expect(error, case.id).to_be_visible()
                expect(summary, case.id).to_have_text("")
            else:
                shown = format_money(case.minor, currency, locale)
                expect(summary, case.id).to_have_text(sentence.replace("{amount}", shown))
                expect(error, case.id).to_be_hidden()


def _artifact(name: str) -> str:
    from ..conftest import ARTIFACTS

    ARTIFACTS.mkdir(exist_ok=True)
    return str(ARTIFACTS / name)
