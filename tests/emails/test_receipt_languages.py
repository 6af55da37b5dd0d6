"""The receipt (subject, text and HTML, with a refund and a message) in the drive's
language, with the locale's way of writing money and dates, read back from the real
SMTP server."""

from __future__ import annotations

import pytest

from donation_drive.emails import send_due_emails
from donation_drive.ledger import create_drive, refund_offline_donation
from donation_drive.ledger.validation import parse_datetime

from ..i18n.catalogs import readable, untranslated
from .factories import ORG_ADDRESS, ORG_NAME, TAX_STATEMENT, decoded_header, give, text_and_html

CASES = {
    # lang: (locale, the gift as written there, the day as written there)
    "es": ("es_ES", "1.234,56\xa0€", "31 de diciembre de 2026"),
    "fr": ("fr_FR", "1\u202f234,56\xa0€", "31 décembre 2026"),
    "de": ("de_DE", "1.234,56\xa0€", "31. Dezember 2026"),
}


def without_the_organisations_words(text: str) -> str:
    """The organisation's own name, address and tax statement are its settings, in
    whatever language it wrote them; everything else must be translated."""
    for own in (TAX_STATEMENT, ORG_NAME, *ORG_ADDRESS.splitlines()):
        text = text.replace(own, "")
    return text


@pytest.mark.parametrize("lang", CASES)
def test_the_receipt_speaks_the_drives_language(app, smtp, lang: str):
    locale, amount, day = CASES[lang]
    drive = create_drive(
        slug=f"wiki-{lang}",
        title="Wiki 2027",
        goal_amount=1_000_000,
        currency="EUR",
        locale=locale,
        starts_at=parse_datetime("2026-11-15", "starts"),
        ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
    )
    donation = give(drive, amount=133_456, name="Zoë", message="¡Ánimo!", reference="Nº 1042")
    # Part given back before the receipt went: it shows the refund and the net gift.
    refund_offline_donation(donation.id, amount=10_000, reason="x", actor="admin@example.org")

    send_due_emails()

    [message] = smtp.messages
    text, html = text_and_html(message)
    subject = decoded_header(message, "Subject")
    assert amount in text and amount in html
    assert day in text and day in html
    assert f'<html lang="{locale.replace("_", "-")}">' in html
    for shown in (subject, text, readable(html)):
        shown = without_the_organisations_words(shown).replace("Wiki 2027", "")
        assert untranslated(shown, lang) == [], f"English left in the {lang} receipt:\n{shown}"
