"""What monthly gifts announce, in the writer's transaction (before its commit), for
the modules that react: the outbox queues the donor's email. ``monthly`` imports none
of its listeners; ``donation_drive.subscriptions`` connects them, as for the ledger's
signals. Sent with the Flask app as the sender."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

gift_changed = _signals.signal(
    "monthly-gift-changed",
    doc="In the transaction: ``gift`` was changed; ``audit_event_id`` names the change.",
)
installment_failed = _signals.signal(
    "monthly-installment-failed",
    doc="In the transaction: invoice ``invoice_id`` of ``gift`` failed at ``attempt``.",
)
