"""Reconcile against the Stripe emulator: missed payments are recorded once, refunds
are applied, nothing is counted twice, a dry run writes nothing, an outage fails
the run and the next one recovers."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
import stripe
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    attach_provider_ref,
    create_pending_card_donation,
    drive_progress,
    record_provider_payment,
    recount_drive,
)
from donation_drive.models import (
    Donation,
    DonationEvent,
    OutboxEmail,
    ReconcileFinding,
    ReconcileRun,
    Status,
)
from donation_drive.reconcile import Kind, reconcile_payments
from tests.peers.ports import free_port

from .conftest import pay


def raised(drive) -> int:
    return drive_progress(drive.slug).raised_amount


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def checkout(drive, stripe_api, amount: int, email: str, *, store_id: bool = True):
    """What the checkout does: a pending donation, then a PaymentIntent naming it."""
    pending = create_pending_card_donation(
        drive, amount=amount, provider="stripe", donor=DonorDetails(email=email)
    )
    intent = pay(stripe_api, amount, metadata={"drive_slug": "eoy", "donation_id": str(pending.id)})
    if store_id:
        attach_provider_ref(pending.id, intent.id)
    return pending.id, intent


def kinds(run: ReconcileRun) -> list[str]:
    return [finding.kind for finding in run.findings]


def test_payments_missed_by_webhooks_are_all_recorded_by_one_run(app, drive, stripe_api):
    pending_ids = [
        checkout(drive, stripe_api, 2_500, "ada@example.org")[0],
        checkout(drive, stripe_api, 5_000, "grace@example.org")[0],
        # Checkout died before it stored the payment id: the metadata still names the row.
        checkout(drive, stripe_api, 10_000, "alan@example.org", store_id=False)[0],
    ]
    pay(stripe_api, 700)  # no pending row at all
    pay(stripe_api, 1_300)

    run = reconcile_payments()

    assert (run.status, run.checked, run.created, run.updated, run.flagged) == (
        "succeeded",
        5,
        5,
        0,
        0,
    )
    assert raised(drive) == 19_500
    assert recount_drive(drive.id) == (19_500, 5)
    assert count(Donation) == 5  # the three checkout rows were adopted, not copied
    statuses = db.session.scalars(select(Donation.status).where(Donation.id.in_(pending_ids)))
    assert set(statuses) == {Status.SUCCEEDED}
    # One receipt per donor who gave an email, queued by the ledger.
    assert count(OutboxEmail) == 3
    (missing,) = [f for f in run.findings if f.kind == Kind.WEBHOOKS_MISSING]
    assert missing.message.startswith("5 payments were missing: webhooks may not be arriving")
    assert "no Stripe webhook has ever arrived" in missing.message


def test_a_second_run_changes_nothing(app, drive, stripe_api):
    checkout(drive, stripe_api, 2_500, "ada@example.org")
    pay(stripe_api, 4_000)
    first = reconcile_payments()
    events, emails = count(DonationEvent), count(OutboxEmail)

    second = reconcile_payments()

    assert (first.created, second.created, second.updated, second.flagged) == (2, 0, 0, 0)
    assert second.checked == 2
    assert Kind.WEBHOOKS_MISSING not in kinds(second)
    assert raised(drive) == 6_500
    assert (count(Donation), count(DonationEvent), count(OutboxEmail)) == (2, events, emails)


def test_reconcile_racing_the_webhook_path_counts_each_payment_once(app, drive, stripe_api):
    intents = [pay(stripe_api, 1_000 + i) for i in range(20)]
    expected = sum(intent.amount for intent in intents)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def deliver_webhooks() -> None:
        # What the webhook handler does for each payment_intent.succeeded event.
        try:
            with app.app_context():
                start.wait()
                from donation_drive.ledger import get_drive

                target = get_drive("eoy")
                for intent in intents:
                    record_provider_payment(
                        ProviderPayment(
                            provider="stripe",
                            provider_ref=intent.id,
                            drive=target,
                            amount=intent.amount,
                            currency="USD",
                            received_at=datetime.fromtimestamp(intent.created, UTC),
                        ),
                        actor="webhook",
                    )
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    def run_reconcile() -> None:
        try:
            with app.app_context():
                start.wait()
                assert reconcile_payments().status == "succeeded"
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=deliver_webhooks),
        threading.Thread(target=deliver_webhooks),
        threading.Thread(target=run_reconcile),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert raised(drive) == expected
    assert recount_drive(drive.id) == (expected, 20)
    assert count(Donation) == 20
    recorded = db.session.scalar(
        select(func.count()).select_from(DonationEvent).where(DonationEvent.amount_delta > 0)
    )
    assert recorded == 20  # each payment moved the total exactly once


def test_a_refund_made_in_stripe_is_applied(app, drive, stripe_api):
    intent = pay(stripe_api, 10_000)
    reconcile_payments()
    stripe_api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2_500})

    partial = reconcile_payments()

    assert (partial.created, partial.updated) == (0, 1)
    assert raised(drive) == 7_500
    stripe_api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 7_500})
    full = reconcile_payments()
    again = reconcile_payments()
    assert (full.updated, again.updated) == (1, 0)
    assert raised(drive) == 0
    donation = db.session.scalar(select(Donation).where(Donation.provider_ref == intent.id))
    assert donation.refunded_amount == 10_000


def test_a_refund_of_a_payment_older_than_the_window_is_found(app, drive, stripe_api):
    app.config["RECONCILE_OVERLAP_SECONDS"] = 0
    intent = pay(stripe_api, 6_000)
    assert reconcile_payments().created == 1
    time.sleep(1.1)  # Stripe's clock has whole seconds: the refund is after the last run
    stripe_api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 1_000})

    run = reconcile_payments()

    assert run.since is not None and run.since > datetime.fromtimestamp(intent.created, UTC)
    assert (run.checked, run.updated) == (1, 1)  # reached through the refund list
    assert raised(drive) == 5_000


def test_a_dry_run_reports_the_same_and_writes_nothing(app, drive, stripe_api):
    known = pay(stripe_api, 3_000)
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=known.id,
            drive=drive,
            amount=3_000,
            currency="USD",
            received_at=datetime.fromtimestamp(known.created, UTC),
        ),
        actor="webhook",
    )
    stripe_api.v1.refunds.create(params={"payment_intent": known.id, "amount": 1_000})
    pay(stripe_api, 2_000)
    pay(stripe_api, 500, metadata={"drive_slug": "no-such-drive"})
    before = (count(Donation), count(DonationEvent), count(OutboxEmail), raised(drive))

    run = reconcile_payments(dry_run=True)

    assert (run.dry_run, run.status, run.checked, run.created, run.updated, run.flagged) == (
        True,
        "succeeded",
        3,
        1,
        1,
        1,
    )
    assert set(kinds(run)) >= {Kind.UNKNOWN_DRIVE, Kind.WEBHOOKS_MISSING}
    missing = next(f for f in run.findings if f.kind == Kind.WEBHOOKS_MISSING)
    assert missing.message.startswith(
        "1 payment is missing (dry run: nothing was recorded): webhooks may not be arriving"
    )
    db.session.expire_all()
    assert (count(Donation), count(DonationEvent), count(OutboxEmail), raised(drive)) == before
    assert (count(ReconcileRun), count(ReconcileFinding)) == (0, 0)

    real = reconcile_payments()
    assert (real.created, real.updated, real.flagged) == (1, 1, 1)


def test_a_stripe_outage_fails_the_run_and_the_next_run_recovers(app, drive, stripe_api, emulator):
    pay(stripe_api, 2_000)
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nothing listens

    failed = reconcile_payments()

    assert failed.status == "failed"
    assert "APIConnectionError" in failed.error
    assert failed.finished_at is not None
    assert raised(drive) == 0
    app.config["STRIPE_API_BASE"] = emulator
    recovered = reconcile_payments()
    assert (recovered.status, recovered.created) == ("succeeded", 1)
    assert recovered.since == failed.since  # the failed run did not move the window
    assert raised(drive) == 2_000
    stored = db.session.scalars(select(ReconcileRun.status).order_by(ReconcileRun.id)).all()
    assert stored == ["failed", "succeeded"]


def test_only_payments_stripe_says_succeeded_are_counted(app, drive, stripe_api):
    """Unconfirmed, canceled and declined PaymentIntents with our metadata are
    checked, and none of them adds a cent."""
    succeeded = pay(stripe_api, 2_500)
    pay(stripe_api, 4_000, confirm=False)  # requires_confirmation
    canceled = pay(stripe_api, 6_000, confirm=False)
    stripe_api.v1.payment_intents.cancel(canceled.id)
    with pytest.raises(stripe.CardError):  # declined: the intent waits for another card
        stripe_api.v1.payment_intents.create(
            params={
                "amount": 8_000,
                "currency": "usd",
                "payment_method": "pm_card_chargeCustomerFail",
                "metadata": {"drive_slug": "eoy"},
                "confirm": True,
            }
        )
    statuses = sorted(i.status for i in stripe_api.v1.payment_intents.list().data)
    assert statuses == ["canceled", "requires_confirmation", "requires_payment_method", "succeeded"]

    run = reconcile_payments()

    assert (run.status, run.checked, run.created) == ("succeeded", 4, 1)
    assert raised(drive) == 2_500
    assert [d.provider_ref for d in db.session.scalars(select(Donation))] == [succeeded.id]
