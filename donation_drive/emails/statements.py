"""The year-end statement email: a short note with the statement PDF that was made
when the outbox row was queued (the row carries it, so what is sent is what was
decided). Templates ``emails/statement.txt`` and ``emails/statement_subject.txt``
are overridable like the receipt's."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask import current_app, render_template

from ..models import Donor, OutboxEmail
from .headers import one_line, outgoing_message


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
    message = outgoing_message(
        email,
        subject=subject,
        to_name=donor.name if donor else None,
        now=now,
        mail_from=config["MAIL_FROM"],
        reply_to=config.get("MAIL_REPLY_TO"),
    )
    message.set_content(render_template("emails/statement.txt", **context))
    message.add_attachment(
        email.attachment,
        maintype="application",
        subtype="pdf",
        filename=email.attachment_name or f"statement-{email.period}.pdf",
    )
    return message
