"""The year-end statement email: a short note with the statement PDF that was made
when the outbox row was queued (the row carries it, so what is sent is what was
decided). Templates ``emails/statement.txt`` and ``emails/statement_subject.txt``
are overridable like the receipt's."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

from flask import current_app, render_template

from ..models import Donor, OutboxEmail
from .headers import one_line, recipient, sender_domain, stable_message_id


def reason_not_to_send_statement(email: OutboxEmail) -> str | None:
    if not email.attachment:
        return "the statement's PDF is gone (the donor's data was erased)"
    return None


def compose_statement(email: OutboxEmail, donor: Donor | None, *, now: datetime) -> EmailMessage:
    """The statement email for one outbox row. Raises ``InvalidRecipient`` when the
    row's address cannot be used."""
    config = current_app.config
    context = {
        "org_name": config.get("ORG_NAME") or "",
        "period": email.period or "",
        "donor_name": one_line(donor.name if donor else None) or "Friend",
        "is_copy": ":resend:" in email.dedupe_key,
    }
    subject = one_line(render_template("emails/statement_subject.txt", **context)) or (
        f"Giving statement {email.period}"
    )
    message = EmailMessage(policy=SMTP)
    message["Subject"] = subject
    message["From"] = config["MAIL_FROM"]
    message["To"] = recipient(donor.name if donor else None, email.to_address)
    if config.get("MAIL_REPLY_TO"):
        message["Reply-To"] = config["MAIL_REPLY_TO"]
    message["Date"] = format_datetime(now)
    message["Message-ID"] = stable_message_id(
        email.kind,
        email.id,
        email.dedupe_key,
        email.created_at.isoformat(),
        sender_domain(config["MAIL_FROM"]),
    )
    message["Auto-Submitted"] = "auto-generated"
    message["X-Auto-Response-Suppress"] = "OOF, AutoReply"
    message.set_content(render_template("emails/statement.txt", **context))
    message.add_attachment(
        email.attachment,
        maintype="application",
        subtype="pdf",
        filename=email.attachment_name or f"statement-{email.period}.pdf",
    )
    return message
