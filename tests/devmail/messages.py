"""Messages the dev mailbox tests send to the sink with smtplib, as another program
would: a text part, a hostile HTML part and an attachment."""

from __future__ import annotations

import smtplib
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

SUBJECT = "Your receipt DD-00000042"
TO = "Ada Lovelace <ada@example.org>"
BCC = "treasurer@example.org"
TEXT = "Dear Ada,\n\nThank you for your gift of $25.00.\n"
# A script that would mark our page (or even the frame) if it ran anywhere, markup
# that tries to leave the srcdoc attribute, and an inline style mail really uses.
HTML = (
    "<html><head><style>.gift { color: rgb(200, 0, 0); }</style></head><body>"
    '<p class="gift" id="gift">Thank you, <b>Ada</b>, for $25.00.</p>'
    '<p title="x&quot; onload=&quot;top.pwned=1">"quoted" &amp; \'single\'</p>'
    "<script>document.body.dataset.ran = 'yes'; top.document.title = 'pwned';"
    " top.pwned = true;</script>"
    "</body></html>"
)
PDF = b"%PDF-1.4\n% not really a receipt\n" * 10


def sample_message() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Donation Drive <donations@localhost>"
    message["To"] = TO
    message["Subject"] = SUBJECT
    message["Date"] = format_datetime(datetime(2026, 11, 20, 15, 30, tzinfo=UTC))
    message.set_content(TEXT)
    message.add_alternative(HTML, subtype="html")
    message.add_attachment(PDF, maintype="application", subtype="pdf", filename="receipt.pdf")
    return message


def send_to_sink(port: int, message: EmailMessage | None = None) -> EmailMessage:
    """Send ``message`` (the sample by default) to the sink on ``port``, with a Bcc
    recipient only the envelope knows; returns what was sent."""
    message = message or sample_message()
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.send_message(message, to_addrs=["ada@example.org", BCC])
    return message
