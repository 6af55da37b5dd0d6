"""Each language renders what donors and readers see with no English left and with
its own way of writing numbers and money: the widget (JSON text, iframe page, SVG),
the checkout (card and PayPal, once or monthly), its quote, the thank-you, cancel and
ended-drive pages. The drive's locale chooses the language; ``?lang=`` overrides it,
and a language without a catalog falls back to the drive's."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from donation_drive.checkout.links import thank_you_url
from donation_drive.i18n import display_locale
from donation_drive.ledger import (
    DonorDetails,
    create_drive,
    record_offline_donation,
    update_drive,
)
from donation_drive.ledger.donations import (
    attach_provider_ref,
    create_pending_card_donation,
    mark_payment_unsuccessful,
)
from donation_drive.models import Drive, utcnow

from .catalogs import readable, untranslated

LOCALES = {"es": "es_ES", "fr": "fr_FR", "de": "de_DE"}
# Babel's (CLDR's) way of writing the same figures: grouping, decimal mark, where the
# sign goes and which space (fr: U+202F between digits, U+00A0 before the sign).
RAISED = {"es": "5.706\xa0€", "fr": "5\u202f706\xa0€", "de": "5.706\xa0€"}
GOAL = {"es": "5.000\xa0€", "fr": "5\u202f000\xa0€", "de": "5.000\xa0€"}
PERCENT = {"es": "114,1%", "fr": "114,1%", "de": "114,1%"}
RECENT = {  # the anonymous 500 € gift (newest), then Zoë's 5,206 €
    "es": ("500\xa0€", "5.206\xa0€"),
    "fr": ("500\xa0€", "5\u202f206\xa0€"),
    "de": ("500\xa0€", "5.206\xa0€"),
}
ANONYMOUS = {"es": "Anónimo", "fr": "Anonyme", "de": "Anonym"}
GIFT = {"es": "500,00\xa0€", "fr": "500,00\xa0€", "de": "500,00\xa0€"}
EXAMPLE = {"es": "1.234,56", "fr": "1\u202f234,56", "de": "1.234,56"}  # the parser's own
TITLE = "Wiki 2027"  # no English in the test data, so any English is ours
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def app_overrides(paypal_peer) -> dict[str, object]:
    # PayPal configured (its test peer), so the page carries the PayPal button too.
    return {**paypal_peer.settings(), "PUBLIC_BASE_URL": "https://give.example.org"}


def drive_speaking(lang: str, *, ended: bool = False) -> Drive:
    """A drive in ``lang``'s locale, past its goal with a stretch goal and a match
    pledge, listing recent donors (one anonymous), so every line of the widget shows."""
    now = utcnow()
    drive = create_drive(
        slug=f"wiki-{lang}{'-past' if ended else ''}",
        title=TITLE,
        goal_amount=500_000,
        currency="EUR",
        locale=LOCALES[lang],
        starts_at=now - timedelta(days=40 if ended else 7),
        ends_at=now - timedelta(days=10) if ended else now + timedelta(days=30),
    )
    update_drive(
        drive,
        stretch_goal_amount=1_000_000,
        match_cap_amount=100_000,
        match_sponsor="Zylo",
        recent_donors_shown=3,
    )
    for cents, name, anonymous, days in ((520_600, "Zoë", False, 2), (50_000, None, True, 1)):
        record_offline_donation(
            drive,
            amount=cents,
            method="check",
            received_at=now - timedelta(days=days + (20 if ended else 0)),
            entered_by="test",
            donor=DonorDetails(name=name, display_name=name, is_anonymous=anonymous),
            send_receipt=False,
        )
    return drive


def assert_speaks(text: str, lang: str) -> None:
    assert text.strip()
    assert untranslated(text, lang) == [], f"English left in the {lang} answer:\n{text}"


@pytest.mark.parametrize("lang", LOCALES)
def test_the_widget_speaks_the_drives_language(client: FlaskClient, lang: str):
    drive = drive_speaking(lang)

    body = client.get(f"/api/v1/drives/{drive.slug}").get_json()
    page = client.get(f"/widget/{drive.slug}").get_data(as_text=True)
    image = ET.fromstring(client.get(f"/widget/{drive.slug}.svg").get_data(as_text=True))  # noqa: S314

    text = body["text"]
    assert text["lang"] == LOCALES[lang].replace("_", "-")
    assert (text["raised"], text["goal"], text["percent"]) == (
        RAISED[lang],
        GOAL[lang],
        PERCENT[lang],
    )
    assert [(gift["name"], gift["amount"]) for gift in text["recent"]] == [
        (ANONYMOUS[lang], RECENT[lang][0]),
        ("Zoë", RECENT[lang][1]),
    ]
    strings = [v for v in text.values() if isinstance(v, str)]
    assert_speaks("\n".join(strings + [g["name"] for g in text["recent"]]), lang)

    assert f'<html lang="{text["lang"]}">' in page
    shown = readable(page)
    assert RAISED[lang] in shown and GOAL[lang] in shown
    assert_speaks(shown.replace(TITLE, ""), lang)

    image_text = "\n".join(image.itertext())
    assert RAISED[lang] in image_text
    assert_speaks(image_text.replace(TITLE, ""), lang)


@pytest.mark.parametrize("lang", LOCALES)
def test_the_checkout_and_its_quote_speak_the_drives_language(client: FlaskClient, lang: str):
    drive = drive_speaking(lang)

    html = client.get(f"/donate/{drive.slug}").get_data(as_text=True)
    quote = client.get(f"/donate/{drive.slug}/quote?amount=25&cover_fee=1").get_json()

    assert 'data-testid="paypal-option"' in html  # the PayPal button's words are checked too
    assert 'value="monthly"' in html
    shown = readable(html)
    assert_speaks(shown.replace(TITLE, ""), lang)
    assert RAISED[lang] in shown
    # Amounts are typed in the drive's locale, and the page says how.
    assert EXAMPLE[lang] in shown
    assert quote["total_label"].endswith("\xa0€") and "," in quote["total_label"]


@pytest.mark.parametrize("lang", LOCALES)
def test_the_thank_you_cancel_and_ended_pages_speak_the_drives_language(
    app: Flask, client: FlaskClient, lang: str
):
    drive = drive_speaking(lang)
    gift = record_offline_donation(
        drive,
        amount=50_000,
        method="check",
        received_at=utcnow(),
        entered_by="test",
        donor=DonorDetails(name="Zoë", email="zoe@example.org", message="¡Ánimo!"),
        send_receipt=False,
    )
    ended = drive_speaking(lang, ended=True)

    with app.test_request_context():
        thanks_url = thank_you_url(drive.slug, gift.id)
    thanks = readable(client.get(thanks_url).get_data(as_text=True))
    cancel = readable(client.get(f"/donate/{drive.slug}/cancel").get_data(as_text=True))
    past = readable(client.get(f"/donate/{ended.slug}").get_data(as_text=True))

    assert GIFT[lang] in thanks and "zoe@example.org" in thanks
    for shown in (thanks, cancel, past):
        assert_speaks(shown.replace(TITLE, "").replace("zoe@example.org", ""), lang)
    assert RAISED[lang] in past  # what the ended drive raised, in the locale's writing


def test_lang_overrides_the_drives_language_and_carries_on_to_the_checkout(
    client: FlaskClient, drive: Drive
):
    record_offline_donation(
        drive,
        amount=570_600,
        method="check",
        received_at=drive.starts_at + timedelta(days=1),
        entered_by="test",
        donor=DonorDetails(),
        send_receipt=False,
    )
    body = client.get("/api/v1/drives/eoy?lang=fr").get_json()
    page = client.get("/widget/eoy?lang=fr").get_data(as_text=True)

    assert body["text"]["lang"] == "fr"
    assert body["text"]["raised"] == "5\u202f706\xa0$US"  # French writing of dollars
    assert body["text"]["raised_of"] == "collectés sur"
    assert '<html lang="fr">' in page
    assert 'href="https://give.example.org/donate/eoy?lang=fr"' in page  # the checkout too
    assert untranslated(readable(page).replace("End of the Year Donation Drive", ""), "fr") == []
    # The same check finds the English of the drive's own page.
    english = readable(client.get("/widget/eoy").get_data(as_text=True))
    assert {"raised of", "Donate"} <= set(untranslated(english, "fr"))
    # The drive's own language without ?lang=, and with a language there is no
    # catalog for.
    for url in ("/api/v1/drives/eoy", "/api/v1/drives/eoy?lang=xx", "/api/v1/drives/eoy?lang=it"):
        text = client.get(url).get_json()["text"]
        assert (text["lang"], text["raised"], text["raised_of"]) == ("en-US", "$5,706", "raised of")


@pytest.mark.parametrize(
    ("drive_locale", "asked", "chosen"),
    [
        ("de_AT", "de", "de_AT"),  # the drive's region kept for its own language
        ("en_US", "de", "de"),
        ("en_US", "fr-CA", "fr_CA"),
        ("en_US", "es_MX", "es_MX"),
        ("de_DE", "it", "de_DE"),  # no Italian catalog: the drive's
        ("de_DE", "xx-!!", "de_DE"),
        ("de_DE", "", "de_DE"),
        ("fr_FR", None, "fr_FR"),
    ],
)
def test_the_locale_chosen(drive_locale: str, asked: str | None, chosen: str):
    assert display_locale(drive_locale, asked) == chosen


@pytest.mark.parametrize("lang", LOCALES)
def test_the_pending_and_failed_thank_you_pages_speak_the_drives_language(
    app: Flask, client: FlaskClient, lang: str
):
    drive = drive_speaking(lang)
    donor = DonorDetails(name="Zoë", email="zoe@example.org")
    pending = create_pending_card_donation(
        drive, amount=50_000, donor=donor, provider="stripe", fee_covered_amount=1_480
    )
    failed = create_pending_card_donation(drive, amount=50_000, donor=donor, provider="stripe")
    attach_provider_ref(failed.id, "pi_declined")
    mark_payment_unsuccessful(
        "stripe", "pi_declined", status="failed", reason=None, actor="webhook"
    )

    for donation in (pending, failed):
        with app.test_request_context():
            url = thank_you_url(drive.slug, donation.id)
        shown = readable(client.get(url).get_data(as_text=True))
        assert GIFT[lang] in shown
        assert_speaks(shown.replace(TITLE, "").replace("zoe@example.org", ""), lang)
