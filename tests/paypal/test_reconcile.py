"""Reconciliation against PayPal's Transaction Search at the peer: payments made while
no webhook reached us are recorded once by one run; a second run changes nothing; a
dry run writes nothing; and webhooks, IPNs, reconcile and the CSV import of the same
activity count each payment and each refund once."""

from __future__ import annotations

import csv
import io
import random
from datetime import timedelta

from sqlalchemy import func, select

from donation_drive.admin.imports.csv_import import apply_import, plan_import
from donation_drive.extensions import db
from donation_drive.ledger import recount_drive
from donation_drive.models import (
    Donation,
    PayPalAdjustment,
    ReconcileFinding,
    ReconcileRun,
    WebhookEvent,
    utcnow,
)
from donation_drive.reconcile import reconcile_paypal

from ..peers.paypal import to_value
from .conftest import raised


def rows(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def make_missed_activity(peer):
    """Payments at the peer, an hour old (searchable), none delivered to us."""
    at = utcnow() - timedelta(hours=1)
    first = peer.donate(5000, custom="eoy", at=at)
    second = peer.donate(2500, at=at)  # no drive named: the running USD drive
    third = peer.donate(1200, custom="eoy", at=at, channel="checkout")
    refund = peer.refund(first.id, 1000, at=at + timedelta(minutes=5))
    peer.donate(900, custom="eoy", at=at, status="PENDING")  # moves no money yet
    return (first, second, third), refund, 5000 + 2500 + 1200 - 1000


def test_missed_payments_are_recorded_once_dry_run_writes_nothing(peer, running_drive):
    _payments, _refund, expected = make_missed_activity(peer)

    dry = reconcile_paypal(dry_run=True)
    assert dry.status == "succeeded", dry.error
    assert (dry.created, dry.updated) == (3, 1)
    assert any(f.kind == "webhooks_missing" for f in dry.findings)
    assert rows(Donation) == rows(ReconcileRun) == rows(PayPalAdjustment) == 0
    assert raised(running_drive) == 0

    first = reconcile_paypal()
    assert first.status == "succeeded", first.error
    assert (first.provider, first.created, first.updated, first.flagged) == ("paypal", 3, 1, 0)
    assert raised(running_drive) == expected
    kinds = [f.kind for f in db.session.scalars(select(ReconcileFinding))]
    assert kinds == ["webhooks_missing"]

    second = reconcile_paypal()
    assert second.status == "succeeded", second.error
    assert (second.created, second.updated, second.flagged) == (0, 0, 0)
    assert raised(running_drive) == expected
    assert rows(Donation) == 3
    # The window searched again covers the first run (overlap and PayPal's lag).
    assert second.since <= first.started_at


def test_search_lag_and_mismatch_and_needs_drive_are_flagged(peer, running_drive):
    (first, _second, _third), _refund, _expected = make_missed_activity(peer)
    assert reconcile_paypal().status == "succeeded"
    db.session.rollback()
    donation = db.session.scalar(select(Donation).where(Donation.provider_ref == first.id))
    # Someone edits the recorded amount: reconcile flags it and does not "repair" it.
    donation.amount = 4000
    db.session.commit()
    nowhere = peer.donate(700, "GBP", at=utcnow() - timedelta(hours=1))
    run = reconcile_paypal()
    assert run.status == "succeeded"
    findings = {
        f.kind: f
        for f in db.session.scalars(
            select(ReconcileFinding).where(ReconcileFinding.run_id == run.id)
        )
    }
    assert findings["amount_mismatch"].provider_ref == first.id
    assert findings["unknown_drive"].provider_ref == nowhere.id
    assert findings["unknown_drive"].message.startswith("needs a drive")


def test_paypal_down_fails_the_run_and_the_next_covers_it(peer, running_drive):
    _payments, _refund, expected = make_missed_activity(peer)
    peer.api_unavailable = True
    down = reconcile_paypal()
    assert down.status == "failed" and "PayPal" in down.error
    assert raised(running_drive) == 0
    peer.api_unavailable = False
    assert reconcile_paypal().status == "succeeded"
    assert raised(running_drive) == expected


def test_cli_reconciles_paypal_alone(runner, peer, running_drive):
    _payments, _refund, expected = make_missed_activity(peer)
    result = runner.invoke(args=["reconcile", "--provider", "paypal", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run succeeded (PayPal records from ")
    assert raised(running_drive) == 0
    result = runner.invoke(args=["reconcile", "--provider", "paypal"])
    assert result.exit_code == 0, result.output
    assert "created 3, updated 1" in result.output
    assert raised(running_drive) == expected


def paypal_activity_csv(peer, captures) -> bytes:
    """PayPal's activity export of ``captures`` (and their refunds), as the admin
    import reads it."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross",
         "From Email Address", "Transaction ID", "Balance Impact"]
    )  # fmt: skip
    for capture in captures:
        when = capture.created
        writer.writerow(
            [when.strftime("%m/%d/%Y"), when.strftime("%H:%M:%S"), "UTC", "Jane Donor",
             "Donation Payment", "Completed", capture.currency,
             to_value(capture.amount, capture.currency), capture.payer.email, capture.id,
             "Credit"]
        )  # fmt: skip
        for refund in capture.refunds:
            writer.writerow(
                [when.strftime("%m/%d/%Y"), when.strftime("%H:%M:%S"), "UTC", "Jane Donor",
                 "Payment Refund", "Completed", capture.currency,
                 to_value(-refund.amount, capture.currency), capture.payer.email, refund.id,
                 "Debit"]
            )  # fmt: skip
    return out.getvalue().encode()


def test_every_path_at_once_counts_each_payment_and_refund_once(peer, served, running_drive):
    """The same activity as webhooks (twice, shuffled), IPNs, a reconcile run and the
    admin's CSV import of PayPal's export, interleaved: totals exact."""
    at = utcnow() - timedelta(hours=1)
    captures, adjustments, expected = [], [], 0
    for index in range(6):
        amount = 2000 + 250 * index
        capture = peer.donate(
            amount, custom="eoy", at=at, channel="checkout" if index % 2 else "donate_button"
        )
        captures.append(capture)
        expected += amount
        if index in (1, 4):
            adjustments.append(peer.refund(capture.id, 500, at=at))
            expected -= 500
    reversal = peer.reverse(captures[2].id, at=at)
    adjustments.append(reversal)
    expected -= reversal.amount

    # Half of the payments reach us by IPN first, a quarter by webhook.
    for capture in captures[:3]:
        assert peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", capture.id).status_code == 200
    assert peer.deliver_webhook(f"{served.url}/webhooks/paypal", captures[3].id).status_code == 200
    # The admin imports PayPal's export of all of it.
    plan = plan_import(paypal_activity_csv(peer, captures), running_drive)
    outcome = apply_import(plan, running_drive, actor="admin@example.org", send_receipts=False)
    assert not outcome.failed
    assert (len(outcome.imported), outcome.already) == (2, 4)
    # Reconcile, then everything again as webhooks (twice, shuffled) and IPNs.
    assert reconcile_paypal().status == "succeeded"
    events = [peer.webhook_event(c.id) for c in captures] + [
        peer.webhook_event(a.id) for a in adjustments
    ]
    deliveries = events * 2
    random.Random(7).shuffle(deliveries)
    for event in deliveries:
        assert peer.deliver_webhook(f"{served.url}/webhooks/paypal", event=event).status_code == 200
    for resource in [*captures, *adjustments]:
        assert peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", resource.id).status_code == 200
    assert reconcile_paypal().status == "succeeded"

    assert raised(running_drive) == expected
    db.session.rollback()
    assert recount_drive(running_drive.id)[0] == expected
    assert rows(Donation) == 6
    assert rows(PayPalAdjustment) == 3
    failed = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.status.in_(("failed", "error")))
    ).all()
    assert failed == []
