"""Donor input that tries to break the email: header injection through the name,
HTML in the name and message, names far too long."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from donation_drive.emails import send_due_emails
from donation_drive.emails.headers import MAX_DISPLAY_NAME
from donation_drive.errors import InvalidInput
from donation_drive.extensions import db
from donation_drive.models import Donation, OutboxEmail

from .factories import decoded_header, give, outbox_row, text_and_html

INJECTION = "Eve\r\nBcc: mallory@evil.example\r\nSubject: You won\nX-Evil: 1"


def assert_no_injected_headers(smtp, message) -> None:
    raw = message.as_string()
    assert message["Bcc"] is None and message["X-Evil"] is None
    assert "\nBcc:" not in raw and "\nX-Evil:" not in raw
    assert message.get_all("Subject") == [message["Subject"]]
    assert "You won" not in message["Subject"]
    assert [a.addr_spec for a in message["To"].addresses] == ["eve@example.org"]
    assert [rcpts for _, rcpts in smtp.handler.envelopes] == [["eve@example.org"]]


def test_newlines_and_header_text_in_a_name_cannot_add_headers(app, drive, smtp):
    donation = give(drive, name=INJECTION, email="eve@example.org")
    assert "\n" not in donation.donor_name  # the ledger already flattened it

    send_due_emails()

    [message] = smtp.messages
    assert_no_injected_headers(smtp, message)
    shown = message["To"].addresses[0].display_name
    assert shown.startswith("Eve") and "\r" not in shown and "\n" not in shown


def test_a_name_stored_with_newlines_is_still_kept_out_of_headers(app, drive, smtp):
    # Defence in depth: a row written around the ledger (an old import, a manual fix)
    # still cannot inject headers.
    donation = give(drive, name="Eve", email="eve@example.org")
    db.session.execute(
        update(Donation).where(Donation.id == donation.id).values(donor_name=INJECTION)
    )
    db.session.commit()

    send_due_emails()

    [message] = smtp.messages
    assert_no_injected_headers(smtp, message)
    assert (
        "Dear Eve Bcc: mallory@evil.example Subject: You won X-Evil: 1,"
        in (text_and_html(message)[0])
    )


def test_an_address_stored_with_header_text_fails_instead_of_being_sent(app, drive, smtp):
    donation = give(drive, email="eve@example.org")
    db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.donation_id == donation.id)
        .values(to_address="eve@example.org\r\nBcc: mallory@evil.example")
    )
    db.session.commit()

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.failed, row.status, smtp.messages) == (1, "failed", [])
    assert row.last_error.startswith("unusable recipient address")


def test_html_in_the_name_and_message_is_escaped_in_the_html_part(app, drive, smtp):
    message_text = '<script>alert("x")</script>\n<img src=x onerror=alert(1)> & thanks'
    give(drive, name="<b>Eve</b>", email="eve@example.org", message=message_text)

    send_due_emails()

    text, html = text_and_html(smtp.messages[0])
    assert "<script>" not in html and "<img" not in html and "<b>Eve" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; thanks" in html
    assert "Dear &lt;b&gt;Eve&lt;/b&gt;," in html
    # Plain text is shown as typed: there is nothing there to execute.
    assert message_text in text and "Dear <b>Eve</b>," in text


def test_a_500_character_name_is_refused_by_the_ledger_and_nothing_is_queued(app, drive, smtp):
    with pytest.raises(InvalidInput) as error:
        give(drive, name="A" * 500)

    assert error.value.field == "donor_name"
    assert db.session.query(Donation).count() == 0
    assert db.session.query(OutboxEmail).count() == 0
    assert send_due_emails().processed == 0 and smtp.messages == []


def test_the_longest_name_allowed_arrives_whole_in_the_body_and_short_in_to(app, drive, smtp):
    name = ("Żaneta Öberg-" * 16)[:200]
    give(drive, name=name, email="zaneta@example.org")

    send_due_emails()

    [message] = smtp.messages
    shown, address = decoded_header(message, "To").rsplit(" ", 1)
    assert len(shown) == MAX_DISPLAY_NAME and shown.endswith("…")
    assert name.startswith(shown[:-1])
    assert address == "<zaneta@example.org>"
    assert message["To"].addresses[0].addr_spec == "zaneta@example.org"
    assert all(len(line) <= 78 for line in message.as_string().splitlines()[:20])
    text, html = text_and_html(message)
    assert f"Dear {name}," in text and f"Dear {name}," in html
