"""Emails: the outbox, the receipt's content, and SMTP delivery (the only module that
talks SMTP). See docs/emails.md.

The outbox listens to the ledger's signals and writes its rows inside the ledger's
transactions (``outbox``); ``send_due_emails`` delivers them; ``resend_receipt``
queues a copy on request.
"""

from .resend import resend_receipt
from .sender import SendReport, send_due_emails

__all__ = [
    "SendReport",
    "resend_receipt",
    "send_due_emails",
]
