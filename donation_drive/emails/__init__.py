"""Emails: the outbox, the receipt's content, and SMTP delivery (the only module that
talks SMTP). See docs/emails.md.

The ledger writes outbox rows in its own transactions (``outbox.queue_receipt``);
``send_due_emails`` delivers them; ``resend_receipt`` queues a copy on request.
"""

from .outbox import cancel_unsent_receipts, queue_receipt
from .resend import resend_receipt
from .sender import SendReport, send_due_emails

__all__ = [
    "SendReport",
    "cancel_unsent_receipts",
    "queue_receipt",
    "resend_receipt",
    "send_due_emails",
]
