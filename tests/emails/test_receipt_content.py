"""What a thank-you receipt says and how it is addressed, read back from a real SMTP
server with the standard library's parser."""

from __future__ import annotations

from email.utils import parseaddr, parsedate_to_datetime

import pytest

from donation_drive.emails import send_due_emails
from donation_drive.extensions import db
from donation_drive.ledger import create_drive, refund_offline_donation
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import OutboxEmail, utcnow

from .factories import (
    ORG_NAME,
    REPLY_TO,
    TAX_STATEMENT,
    give,
    outbox_row,
    pay_by_card,
    text_and_html,
)


def test_card_receipt_arrives_with_both_parts_and_every_fact(app, drive, smtp):
    give(drive, amount=10_000, email=None)  # someone else's gift, for the drive's progress
    donation = pay_by_card(drive, "pi_receipt", amount=2_500)

    report = send_due_emails()

    assert (report.sent, report.failed, report.retrying) == (1, 0, 0)
    [message] = smtp.messages
    text, html = text_and_html(message)
    for part in (text, html):
        assert "Dear Grace Hopper," in part
        assert "$25.00" in part
        assert donation.receipt_number in part
        assert "December 31, 2026" in part  # the day in New York, not the UTC day
        assert "Card" in part
        assert drive.title in part
        assert ORG_NAME in part
        assert "12 Harbour Street" in part and "Portland, ME 04101" in part
        assert TAX_STATEMENT in part
        assert "$125 of our $75,000 goal" in part.replace("<strong>", "").replace("</strong>", "")
        assert "https://give.example.org/donate/eoy" in part
    assert 'href="https://give.example.org/donate/eoy"' in html


def test_headers_come_from_settings_and_identify_the_message(app, drive, smtp):
    donation = give(drive)

    send_due_emails()

    [message] = smtp.messages
    row = outbox_row(donation.id)
    assert parseaddr(message["From"]) == ("Friends of the Blog", "donations@blog.example.org")
    assert message["Reply-To"] == REPLY_TO
    assert message["To"].addresses[0].display_name == "Ada Lovelace"
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert donation.receipt_number in message["Subject"]
    assert ORG_NAME in message["Subject"]
    assert abs((parsedate_to_datetime(message["Date"]) - utcnow()).total_seconds()) < 60
    assert message["Message-ID"].endswith("@blog.example.org>")
    assert message["Message-ID"] == row.message_id
    assert message["Auto-Submitted"] == "auto-generated"
    # A receipt is transactional: there is no list to leave (docs/emails.md).
    assert message["List-Unsubscribe"] is None
    assert smtp.handler.envelopes == [("donations@blog.example.org", ["ada@example.org"])]
    assert (row.status, row.attempts, row.last_error) == ("sent", 1, None)
    assert row.sent_at is not None and row.locked_by is None


def test_donor_without_a_name_is_greeted_as_friend(app, drive, smtp):
    give(drive, name=None)

    send_due_emails()

    [message] = smtp.messages
    text, html = text_and_html(message)
    assert "Dear Friend," in text and "Dear Friend," in html
    assert message["To"] == "ada@example.org"


def test_utf8_name_is_encoded_in_the_to_header(app, drive, smtp):
    give(drive, name="Zoë Ångström-Müller")

    send_due_emails()

    [message] = smtp.messages
    raw_to = next(line for line in message.as_string().splitlines() if line.startswith("To:"))
    assert raw_to.isascii() and "=?utf-8?" in raw_to
    assert message["To"].addresses[0].display_name == "Zoë Ångström-Müller"
    assert "Dear Zoë Ångström-Müller," in text_and_html(message)[0]


def test_amount_and_date_follow_the_drives_currency_and_locale(app, smtp):
    drive = create_drive(
        slug="winter",
        title="Winterspende",
        goal_amount=1_000_000,
        currency="EUR",
        locale="de_DE",
        starts_at=parse_datetime("2026-11-15", "starts"),
        ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
    )
    give(drive, amount=123_456)

    send_due_emails()

    text, html = text_and_html(smtp.messages[0])
    for part in (text, html):
        assert "1.234,56\xa0€" in part
        assert "31. Dezember 2026" in part
    assert '<html lang="de-DE">' in html


@pytest.mark.parametrize(
    ("method", "label", "reference"),
    [
        ("paypal", "PayPal", "PAYPAL-7XK21"),
        ("check", "Check", "check #1042"),
        ("amazon_gift_card", "Amazon gift card", "AGC-5521"),
        ("bitcoin", "Bitcoin", "tx 4a5e1e4baab89f3a"),
    ],
)
def test_offline_donations_get_the_same_thank_you(app, drive, smtp, method, label, reference):
    donation = give(drive, method=method, reference=reference)

    send_due_emails()

    [message] = smtp.messages
    text, html = text_and_html(message)
    assert f"Method:     {label}" in text
    assert f"<td>{label}</td>" in html
    assert reference in text and reference in html
    assert donation.receipt_number in text


def test_offline_donation_entered_without_a_receipt_gets_no_email(app, drive, smtp):
    donation = give(drive, send_receipt=False)

    report = send_due_emails()

    assert report.processed == 0
    assert smtp.messages == []
    assert db.session.query(OutboxEmail).count() == 0
    assert donation.send_receipt is False


def test_partial_refund_before_sending_shows_the_net_gift(app, drive, smtp):
    donation = give(drive, amount=10_000)
    refund_offline_donation(donation.id, amount=4_000, reason="returned part", actor="admin")

    send_due_emails()

    text, html = text_and_html(smtp.messages[0])
    assert "Amount:     $100.00" in text
    assert "Refunded:   $40.00" in text
    assert "Net gift:   $60.00" in text
    assert "<td>$60.00</td>" in html


def test_organisation_overrides_templates_in_the_instance_folder(app, drive, smtp, tmp_path):
    folder = tmp_path / "instance" / "templates" / "emails"
    assert str(folder.parent.parent) == app.instance_path
    folder.mkdir(parents=True)
    (folder / "receipt.html").write_text(
        "<p>Merci {{ donor_name }}! Reçu {{ receipt_number }}: {{ amount }}</p>", encoding="utf-8"
    )
    (folder / "receipt_subject.txt").write_text("Merci ! Reçu {{ receipt_number }}")
    donation = give(drive)

    send_due_emails()

    [message] = smtp.messages
    text, html = text_and_html(message)
    assert html.strip() == f"<p>Merci Ada Lovelace! Reçu {donation.receipt_number}: $50.00</p>"
    assert message["Subject"] == f"Merci ! Reçu {donation.receipt_number}"
    assert "Dear Ada Lovelace," in text  # parts not overridden keep the package's template


def test_receipt_numbers_are_unique_and_stable(app, drive, smtp):
    first, second = give(drive), give(drive, email="bob@example.org", name="Bob")

    send_due_emails()

    numbers = {m["To"].addresses[0].addr_spec: m["Subject"] for m in smtp.messages}
    assert first.receipt_number != second.receipt_number
    assert first.receipt_number in numbers["ada@example.org"]
    assert second.receipt_number in numbers["bob@example.org"]
    assert first.receipt_number == f"DD-{first.id:08d}"
