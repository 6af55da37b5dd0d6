"""Who listens to the ledger: connected for each app in ``create_app``, so the web
processes, the worker and every CLI command have the same reactions.

- ``gift_counted``, in the ledger's transaction: the outbox queues the receipt;
- ``gift_refunded`` (in full) and ``gift_voided``, in the ledger's transaction: the
  outbox withdraws a receipt not sent yet;
- ``totals_changed``, after the commit: the progress cache forgets the drive's
  figures, and metrics count the gifts that started counting;
- monthly gifts' ``gift_changed`` and ``installment_failed``, in the writer's
  transaction: the outbox queues the donor's confirmation or failure email.
"""

from __future__ import annotations

from flask import Flask

from .emails.monthly_notices import on_gift_changed, on_installment_failed
from .emails.outbox import on_gift_counted, on_gift_refunded, on_gift_voided
from .ledger.signals import gift_counted, gift_refunded, gift_voided, totals_changed
from .ledger.totals import forget_changed_progress
from .monthly.signals import gift_changed, installment_failed
from .observability import count_donations_recorded

LEDGER_RECEIVERS = (
    (gift_counted, on_gift_counted),
    (gift_refunded, on_gift_refunded),
    (gift_voided, on_gift_voided),
    (totals_changed, forget_changed_progress),
    (totals_changed, count_donations_recorded),
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
