"""Reconciliation: comparing Stripe (``runs``) and PayPal (``paypal``) with the ledger,
repairing gaps, flagging the rest.

``reconcile_payments`` is one run (see ``runs``); ``operations_health`` is what the
admin operations page reads (see ``health``).
"""

from .health import operations_health
from .paypal import reconcile_paypal
from .runlog import Kind
from .runs import abandon_interrupted_runs, reconcile_payments

__all__ = [
    "Kind",
    "abandon_interrupted_runs",
    "operations_health",
    "reconcile_payments",
    "reconcile_paypal",
]
