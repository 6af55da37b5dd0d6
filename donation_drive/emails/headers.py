"""Building mail headers that donor input cannot break.

The only donor-provided text that reaches a header is the display name in ``To``:
it is reduced to one line of printable characters here, and ``email.policy.SMTP``
quotes or RFC 2047-encodes it. Everything else in a header comes from settings
(``MAIL_FROM``, ``MAIL_REPLY_TO``) or from the drive and the row's id.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, parseaddr
from typing import TYPE_CHECKING

from ..errors import InvalidInput
from ..ledger.validation import validate_email

if TYPE_CHECKING:
    from ..models import OutboxEmail

# Long enough for any real name; a cap keeps a hostile 200-character name from
# turning the To header into several folded lines of encoded words.
MAX_DISPLAY_NAME = 78
_DOMAIN_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$")


class InvalidRecipient(ValueError):
    """The address on an outbox row cannot be used (it will never work, so no retry)."""


def one_line(text: str | None) -> str:
    """Text without control characters (CR, LF, NUL, ...), whitespace collapsed."""
    if not text:
        return ""
    kept = "".join(" " if unicodedata.category(ch).startswith("C") else ch for ch in text)
    return " ".join(kept.split())


def display_name(name: str | None, limit: int = MAX_DISPLAY_NAME) -> str:
    """A donor's name made safe and short enough for the ``To`` header ("" for none)."""
    name = one_line(name)
    if len(name) > limit:
        name = name[: limit - 1].rstrip() + "…"
    return name


def recipient(name: str | None, address: str) -> Address:
    """The ``To`` mailbox: the donor's (sanitised) name and a re-validated address.

    The ledger validated the address when it was stored; it is checked again here
    because an outbox row is the last stop before the SMTP envelope.
    """
    try:
        checked = validate_email(address, "to_address", required=True)
    except InvalidInput as exc:
        raise InvalidRecipient(f"unusable recipient address: {exc.message}") from None
    assert checked is not None  # required=True
    local, _, domain = checked.rpartition("@")
    try:
        # An internationalised domain goes on the wire in its ASCII (IDNA) form.
        domain = domain.encode("idna").decode("ascii")
        return Address(display_name=display_name(name), username=local, domain=domain)
    except (UnicodeError, ValueError, IndexError) as exc:
        raise InvalidRecipient(f"unusable recipient address: {exc}") from None


def sender_domain(mail_from: str) -> str:
    """The domain of the ``MAIL_FROM`` address, for Message-IDs ("localhost" if none)."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2]
    return domain if _DOMAIN_RE.fullmatch(domain) else "localhost"


def envelope_sender(mail_from: str) -> str:
    """The bare address of ``MAIL_FROM`` for the SMTP envelope (``MAIL FROM:<...>``)."""
    return parseaddr(mail_from)[1]


def stable_message_id(kind: str, row_id: int, dedupe_key: str, created: str, domain: str) -> str:
    """A Message-ID that is the same on every attempt for one outbox row.

    If a sender dies after the server accepted a message but before the row was marked
    sent, the row is sent again; the copy carries the same Message-ID, which many
    mailbox providers use to drop the duplicate.
    """
    digest = hashlib.sha256(f"{dedupe_key}|{created}".encode()).hexdigest()[:16]
    return f"<{re.sub(r'[^a-z0-9-]', '', kind.lower())}.{row_id}.{digest}@{domain}>"


def outgoing_message(
    email: OutboxEmail,
    *,
    subject: str,
    to_name: str | None,
    now: datetime,
    mail_from: str,
    reply_to: str | None = None,
) -> EmailMessage:
    """The headers every message from the outbox carries: one place for receipts,
    monthly notices and statements. The Message-ID is stable per outbox row, so a
    retried delivery is the same message to the recipient's server."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = mail_from
    message["To"] = recipient(to_name, email.to_address)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = format_datetime(now)
    message["Message-ID"] = stable_message_id(
        email.kind,
        email.id,
        email.dedupe_key,
        email.created_at.isoformat(),
        sender_domain(mail_from),
    )
    # RFC 3834: an automatic message; asks vacation responders not to answer it.
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    return message
