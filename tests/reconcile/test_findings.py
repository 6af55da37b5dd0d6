"""What reconcile cannot fix by itself is flagged for an admin, and changes no money."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_refund,
    attach_provider_ref,
    create_drive,
    create_pending_card_donation,
    drive_progress,
    record_provider_payment,
)
from donation_drive.models import Donation, ReconcileFinding, Status
from donation_drive.providers.stripe.objects import DisputeInfo
from donation_drive.reconcile import Kind, reconcile_payments
from donation_drive.reconcile.compare import reconcile_dispute
from donation_drive.reconcile.runlog import RunLog

from .conftest import pay


def raised(drive) -> int:
    return drive_progress(drive.slug).raised_amount


def record(drive, provider_ref: str, amount: int, when: datetime | None = None):
    return record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=provider_ref,
            drive=drive,
            amount=amount,
            currency="USD",
            received_at=when or datetime.now(UTC),
        ),
        actor="webhook",
    ).donation


def flagged_kinds(run) -> list[str]:
    return sorted(f.kind for f in run.findings if f.kind != Kind.DISPUTES_UNAVAILABLE)


def test_an_amount_that_differs_from_the_ledger_is_flagged_not_changed(app, drive, stripe_api):
    intent = pay(stripe_api, 2_500)
    donation = record(drive, intent.id, 2_000)

    run = reconcile_payments()

    assert (run.created, run.updated, run.flagged) == (0, 0, 1)
    (finding,) = [f for f in run.findings if f.kind == Kind.AMOUNT_MISMATCH]
    assert (finding.provider_ref, finding.donation_id) == (intent.id, donation.id)
    assert "2500 USD" in finding.message and "2000 USD" in finding.message
    assert raised(drive) == 2_000


def test_payments_that_cannot_be_recorded_are_flagged(app, drive, stripe_api):
    euro = pay(stripe_api, 1_000, currency="eur")
    stranger = pay(stripe_api, 1_500, metadata={"drive_slug": "closed-drive"})
    bare = pay(stripe_api, 2_000, metadata={})

    run = reconcile_payments()

    assert (run.checked, run.created, run.flagged) == (3, 0, 2)
    by_kind = {f.kind: f for f in run.findings}
    assert by_kind[Kind.CURRENCY_MISMATCH].provider_ref == euro.id
    assert "in EUR but drive 'eoy' takes USD" in by_kind[Kind.CURRENCY_MISMATCH].message
    assert by_kind[Kind.UNKNOWN_DRIVE].provider_ref == stranger.id
    assert "'closed-drive' that does not exist" in by_kind[Kind.UNKNOWN_DRIVE].message
    assert by_kind[Kind.MISSING_METADATA].message == (
        "1 succeeded payment names no drive in its metadata, so no Donation Drive "
        f"checkout started it; left alone: {bare.id}"
    )
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0
    assert raised(drive) == 0


def test_a_ledger_payment_stripe_does_not_know_is_flagged(app, drive, stripe_api):
    donation = record(drive, "pi_NotInStripe0001", 4_200)

    run = reconcile_payments()

    assert flagged_kinds(run) == [Kind.UNKNOWN_TO_STRIPE]
    (finding,) = [f for f in run.findings if f.kind == Kind.UNKNOWN_TO_STRIPE]
    assert finding.donation_id == donation.id
    assert "which Stripe does not know" in finding.message
    assert raised(drive) == 4_200  # an admin decides; reconcile does not take money away


def test_a_ledger_refund_larger_than_stripes_is_flagged(app, drive, stripe_api):
    intent = pay(stripe_api, 3_000)
    record(drive, intent.id, 3_000)
    apply_provider_refund("stripe", intent.id, refunded_total=500, actor="admin")

    run = reconcile_payments()

    assert flagged_kinds(run) == [Kind.REFUND_MISMATCH]
    assert raised(drive) == 2_500


def test_a_payment_canceled_in_stripe_closes_its_pending_donation(app, drive, stripe_api):
    pending = create_pending_card_donation(
        drive, amount=5_000, provider="stripe", donor=DonorDetails(email="ada@example.org")
    )
    intent = pay(
        stripe_api,
        5_000,
        metadata={"drive_slug": "eoy", "donation_id": str(pending.id)},
        confirm=False,
    )
    attach_provider_ref(pending.id, intent.id)
    stripe_api.v1.payment_intents.cancel(intent.id)

    run = reconcile_payments()

    assert (run.checked, run.created, run.updated, run.flagged) == (1, 0, 1, 0)
    assert db.session.get(Donation, pending.id, populate_existing=True).status == Status.CANCELED


def test_missing_disputes_api_is_noted_without_failing_the_run(app, drive, stripe_api):
    run = reconcile_payments()

    assert (run.status, run.flagged) == ("succeeded", 0)
    (notice,) = [f for f in run.findings if f.kind == Kind.DISPUTES_UNAVAILABLE]
    assert "Disputes were not checked" in notice.message
    stored = db.session.scalar(
        select(func.count()).select_from(ReconcileFinding).where(ReconcileFinding.run_id == run.id)
    )
    assert stored == 1


def test_a_dispute_stripe_reports_holds_back_the_money_until_won(app, drive, stripe_api):
    # The emulator has no disputes, so this feeds the comparison Stripe's shape directly.
    intent = pay(stripe_api, 8_000)
    record(drive, intent.id, 8_000)
    run_log = RunLog.start(since=None, dry_run=False)

    def dispute(status: str) -> DisputeInfo:
        return DisputeInfo(
            id="dp_1", charge_id=None, payment_intent_id=intent.id, amount=8_000, status=status
        )

    reconcile_dispute(dispute("needs_response"), run_log)
    assert raised(drive) == 0
    reconcile_dispute(dispute("needs_response"), run_log)  # already in step: no change
    reconcile_dispute(dispute("won"), run_log)
    assert raised(drive) == 8_000
    reconcile_dispute(dispute("under_review"), run_log)  # a late event cannot undo "won"
    assert raised(drive) == 8_000
    assert run_log.counts.updated == 2


def test_a_payment_naming_another_drive_than_its_donation_is_flagged(app, drive, stripe_api):
    create_drive(
        slug="spring",
        title="Spring appeal",
        goal_amount=100_000,
        currency="USD",
        starts_at=drive.starts_at,
        ends_at=drive.starts_at + timedelta(days=60),
    )
    intent = pay(stripe_api, 1_200, metadata={"drive_slug": "spring"})
    donation = record(drive, intent.id, 1_200)

    run = reconcile_payments()

    assert flagged_kinds(run) == [Kind.DRIVE_MISMATCH]
    (finding,) = [f for f in run.findings if f.kind == Kind.DRIVE_MISMATCH]
    assert finding.donation_id == donation.id
    assert "names drive 'spring' but donation" in finding.message
    assert raised(drive) == 1_200
