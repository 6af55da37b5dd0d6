"""Reading the caught messages: a Maildir (stdlib ``mailbox``) under the instance
folder, which the sink writes and any process (the web server, a second terminal)
can read while it does."""

from __future__ import annotations

import email
import email.policy
import mailbox
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

MAILDIR_NAME = "dev-mailbox"


def maildir_path(instance_path: str | Path) -> Path:
    return Path(instance_path) / MAILDIR_NAME


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    size: int  # bytes, decoded


@dataclass(frozen=True, slots=True)
class CaughtMessage:
    key: str
    received_at: datetime  # when the sink stored it (the Maildir file's time)
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message.get("Subject", ""))

    @property
    def to(self) -> str:
        return str(self.message.get("To", ""))

    def headers(self) -> list[tuple[str, str]]:
        return [(name, str(value)) for name, value in self.message.items()]

    def text_part(self) -> str | None:
        return _body_text(self.message, "plain")

    def html_part(self) -> str | None:
        return _body_text(self.message, "html")

    def attachments(self) -> list[Attachment]:
        """Every leaf part that is not the text or HTML body shown, inline ones too."""
        bodies = [self.message.get_body((subtype,)) for subtype in ("plain", "html")]
        found = []
        for part in self.message.walk():
            if part.is_multipart() or any(part is body for body in bodies):
                continue
            size = len(part.get_payload(decode=True) or b"")
            name = part.get_filename() or "(no name)"
            found.append(Attachment(name, part.get_content_type(), size))
        return found


def _body_text(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body((subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, UnicodeError):  # an unknown or lying charset
        return (part.get_payload(decode=True) or b"").decode("utf-8", errors="replace")


def _open(instance_path: str | Path) -> mailbox.Maildir:
    return mailbox.Maildir(maildir_path(instance_path), create=True)


def _read(box: mailbox.Maildir, key: str) -> CaughtMessage:
    stored = box.get_message(key)  # a MaildirMessage: carries the delivery time
    parsed = email.message_from_bytes(bytes(stored), policy=email.policy.default)
    received = datetime.fromtimestamp(stored.get_date(), UTC)
    return CaughtMessage(key, received, parsed)  # type: ignore[arg-type]


def caught_messages(instance_path: str | Path) -> list[CaughtMessage]:
    """Every caught message, newest first."""
    box = _open(instance_path)
    messages = []
    for key in box.iterkeys():  # iterating a mailbox gives messages, not keys
        try:
            messages.append(_read(box, key))
        except KeyError:  # removed between listing and reading
            continue
    return sorted(messages, key=lambda m: m.received_at, reverse=True)


def caught_message(instance_path: str | Path, key: str) -> CaughtMessage | None:
    """The message stored under ``key``, or None when there is none."""
    try:
        return _read(_open(instance_path), key)
    except KeyError:
        return None
