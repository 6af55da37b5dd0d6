"""Who listens to the ledger: connected for each app in ``create_app``, so the web
processes, the worker and every CLI command have the same reactions.

- ``gift_counted``, in the ledger's transaction: the outbox queues the receipt;
- ``gift_refunded`` (in full) and ``gift_voided``, in the ledger's transaction: the
  outbox withdraws a receipt not sent yet;
- ``donor_erased``, in the ledger's transaction: the outbox, the stored webhook
  payloads, the checkout attempt log, monthly gifts and staged CSV imports drop the
  donor's text (a privacy request);
  ``donors_merged``: the outbox moves the merged donor's statements;
- ``totals_changed``, after the commit: metrics count the gifts that started
  counting, and the widget forgets the answers it keeps (``widget.response_cache``);
- monthly gifts' ``gift_changed`` and ``installment_failed``, in the writer's
  transaction: the outbox queues the donor's confirmation or failure email.
"""

from __future__ import annotations

from flask import Flask

from .admin.imports.staging import on_donor_erased as forget_staged_import_rows
from .checkout.attempts import on_donor_erased as forget_attempt_emails
from .emails.monthly_notices import on_gift_changed, on_installment_failed
from .emails.outbox import (
    on_donor_erased,
    on_donors_merged,
    on_gift_counted,
    on_gift_refunded,
    on_gift_voided,
)
from .ledger.signals import (
    donor_erased,
    donors_merged,
    gift_counted,
    gift_refunded,
    gift_voided,
    totals_changed,
)
from .monthly.records import on_donor_erased as forget_monthly_donor
from .monthly.signals import gift_changed, installment_failed
from .observability import count_donations_recorded
from .webhooks.privacy import on_donor_erased as scrub_stored_events
from .widget.response_cache import forget_kept_answers

LEDGER_RECEIVERS = (
    (gift_counted, on_gift_counted),
    (gift_refunded, on_gift_refunded),
    (gift_voided, on_gift_voided),
    (donor_erased, on_donor_erased),
    (donor_erased, scrub_stored_events),
    (donor_erased, forget_attempt_emails),
    (donor_erased, forget_monthly_donor),
    (donor_erased, forget_staged_import_rows),
    (donors_merged, on_donors_merged),
    (totals_changed, count_donations_recorded),
    (totals_changed, forget_kept_answers),
)
# Monthly gifts' signals (``monthly.signals``): the outbox queues the donor's email.
MONTHLY_RECEIVERS = (
    (gift_changed, on_gift_changed),
    (installment_failed, on_installment_failed),
)


def connect_ledger_receivers(app: Flask) -> None:
    """Connect every receiver to the ledger's and monthly gifts' signals as sent by ``app``."""
    for signal, receiver in LEDGER_RECEIVERS + MONTHLY_RECEIVERS:
        signal.connect(receiver, sender=app)
