"""Test data for the email tests: the organisation on the receipt, gifts recorded
through the ledger (which queues their receipts), and reading what arrived."""

from __future__ import annotations

import email
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.policy import compat32

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    record_offline_donation,
    record_provider_payment,
)
from donation_drive.models import Donation, Drive, OutboxEmail, utcnow

ORG_NAME = "Friends of the Blog"
ORG_ADDRESS = "12 Harbour Street\nPortland, ME 04101"
TAX_STATEMENT = "Friends of the Blog is a 501(c)(3) charity, EIN 12-3456789."
PUBLIC_BASE_URL = "https://give.example.org"
MAIL_FROM = "Friends of the Blog <donations@blog.example.org>"
REPLY_TO = "treasurer@blog.example.org"
MAX_ATTEMPTS = 3
RETRY_BASE_SECONDS = 60

# 19:00 on 31 December in New York is already 1 January in UTC: the receipt must
# still say 31 December, the day (and tax year) the organisation received it.
NEW_YEARS_EVE = datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def give(
    drive: Drive,
    *,
    amount: int = 5_000,
    email: str | None = "ada@example.org",
    name: str | None = "Ada Lovelace",
    method: str = "check",
    message: str | None = None,
    reference: str | None = None,
    received_at: datetime = NEW_YEARS_EVE,
    send_receipt: bool = True,
) -> Donation:
    """An offline gift recorded through the ledger (which queues its receipt)."""
    return record_offline_donation(
        drive,
        amount=amount,
        method=method,
        received_at=received_at,
        entered_by="admin@example.org",
        donor=DonorDetails(name=name, email=email, message=message),
        reference=reference,
        send_receipt=send_receipt,
    )


def pay_by_card(
    drive: Drive, ref: str, *, amount: int = 2_500, email: str = "grace@example.org"
) -> Donation:
    """A card payment as the webhook records it (which queues its receipt)."""
    return record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=ref,
            drive=drive,
            amount=amount,
            currency=drive.currency,
            received_at=NEW_YEARS_EVE,
            donor=DonorDetails(name="Grace Hopper", email=email),
        ),
        actor="webhook",
    ).donation


def outbox_row(donation_id: int, key: str | None = None) -> OutboxEmail:
    """The one outbox row of a donation (or the one with ``key``), read afresh."""
    query = select(OutboxEmail).where(OutboxEmail.donation_id == donation_id)
    if key is not None:
        query = query.where(OutboxEmail.dedupe_key == key)
    rows = db.session.scalars(query.execution_options(populate_existing=True)).all()
    assert len(rows) == 1, rows
    return rows[0]


def later(**delta: float) -> datetime:
    """A moment after now, for sending as if retries had come due (no sleeping)."""
    return utcnow() + timedelta(**delta)


def text_and_html(message: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML alternatives of a received message, decoded."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    # Lines arrive with the wire's CRLF endings; compare text as Python writes it.
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def decoded_header(message: EmailMessage, name: str) -> str:
    """A header decoded by RFC 2047 rules from its raw lines. (The modern parser puts
    a space between adjacent encoded words that were folded onto two lines, which RFC
    2047 says to drop; the older decoder does it right.)"""
    raw = email.message_from_string(message.as_string(), policy=compat32)[name]
    return str(make_header(decode_header(raw)))
