"""Recording donations: offline entries, provider payments once, voids and refunds."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from donation_drive.errors import Conflict, InvalidAmount, InvalidInput
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_dispute,
    apply_provider_refund,
    drive_progress,
    record_offline_donation,
    record_provider_payment,
    recount_drive,
    refund_offline_donation,
    void_donation,
)
from donation_drive.models import Donation, DonationEvent, Drive

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def raised(drive) -> int:
    return drive_progress(drive.slug).raised_amount


def test_offline_donation_counts_toward_the_goal(drive):
    record_offline_donation(
        drive,
        amount=10_000,
        method="check",
        received_at=NOW,
        entered_by="admin@example.org",
        reference="check #12",
    )
    progress = drive_progress(drive.slug)
    assert (progress.raised_amount, progress.donor_count) == (10_000, 1)
    assert recount_drive(drive.id) == (10_000, 1)


@pytest.mark.parametrize("amount", [0, -100, 10**13])
def test_bad_amounts_are_refused_and_nothing_is_written(drive, amount):
    with pytest.raises(InvalidAmount):
        record_offline_donation(
            drive, amount=amount, method="check", received_at=NOW, entered_by="cli"
        )
    assert db.session.query(Donation).count() == 0
    assert raised(drive) == 0


def test_card_is_not_an_offline_method(drive):
    with pytest.raises(InvalidInput) as error:
        record_offline_donation(drive, amount=100, method="card", received_at=NOW, entered_by="cli")
    assert error.value.field == "method"


def test_same_provider_payment_recorded_twice_counts_once(drive):
    payment = ProviderPayment(
        provider="stripe",
        provider_ref="pi_1",
        drive=drive,
        amount=2_500,
        currency="USD",
        received_at=NOW,
    )
    first = record_provider_payment(payment, actor="webhook")
    second = record_provider_payment(payment, actor="webhook")
    assert first.created and first.counted
    assert not second.created and not second.counted
    assert first.donation.id == second.donation.id
    assert raised(drive) == 2_500


def test_concurrent_recording_of_one_payment_counts_once(app, drive):
    barrier = threading.Barrier(8)
    drive_id = drive.id
    errors: list[BaseException] = []

    def record() -> None:
        with app.app_context():
            try:
                own_drive = db.session.get(Drive, drive_id)  # each thread has its own session
                barrier.wait()
                record_provider_payment(
                    ProviderPayment(
                        provider="stripe",
                        provider_ref="pi_race",
                        drive=own_drive,
                        amount=5_000,
                        currency="USD",
                        received_at=NOW,
                    ),
                    actor="webhook",
                )
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.session.query(Donation).filter_by(provider_ref="pi_race").count() == 1
    assert raised(drive) == 5_000
    assert recount_drive(drive.id) == (5_000, 1)


def test_concurrent_payments_adopting_one_pending_donation_count_once(app, drive):
    """The checkout's confirmation, the thank-you page and the webhook settle the same
    pending row at once: one of them counts it, the others find it counted."""
    from donation_drive.ledger import create_pending_card_donation

    pending = create_pending_card_donation(
        drive, amount=3_000, provider="stripe", donor=DonorDetails()
    )
    pending_id, drive_id = pending.id, drive.id
    barrier = threading.Barrier(6)
    results, errors = [], []

    def record() -> None:
        with app.app_context():
            try:
                own_drive = db.session.get(Drive, drive_id)
                barrier.wait()
                payment = ProviderPayment(
                    provider="stripe",
                    provider_ref="pi_adopted",
                    drive=own_drive,
                    amount=3_000,
                    currency="USD",
                    received_at=NOW,
                    pending_donation_id=pending_id,
                )
                results.append(record_provider_payment(payment, actor="webhook"))
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert {r.donation_id for r in results} == {pending_id}
    assert [r.counted for r in results].count(True) == 1
    assert db.session.query(Donation).count() == 1
    actions = [e.action for e in db.session.query(DonationEvent).order_by(DonationEvent.id)]
    assert actions == ["checkout_started", "payment_succeeded"]
    assert raised(drive) == 3_000
    assert recount_drive(drive.id) == (3_000, 1)


def test_refunds_are_cumulative_and_idempotent(drive):
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_r",
            drive=drive,
            amount=10_000,
            currency="USD",
            received_at=NOW,
        ),
        actor="webhook",
    )
    apply_provider_refund("stripe", "pi_r", refunded_total=2_500, actor="webhook")
    apply_provider_refund("stripe", "pi_r", refunded_total=2_500, actor="webhook")
    assert raised(drive) == 7_500
    apply_provider_refund("stripe", "pi_r", refunded_total=10_000, actor="webhook")
    # An older event arriving late does not undo the full refund.
    apply_provider_refund("stripe", "pi_r", refunded_total=2_500, actor="webhook")
    progress = drive_progress(drive.slug)
    assert (progress.raised_amount, progress.donor_count) == (0, 0)


def test_dispute_holds_funds_until_won(drive):
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_d",
            drive=drive,
            amount=4_000,
            currency="USD",
            received_at=NOW,
        ),
        actor="webhook",
    )
    apply_provider_dispute(
        "stripe", "pi_d", dispute_status="needs_response", disputed_amount=4_000, actor="webhook"
    )
    assert raised(drive) == 0
    apply_provider_dispute(
        "stripe", "pi_d", dispute_status="won", disputed_amount=4_000, actor="webhook"
    )
    # A late "created" event after the final "won" changes nothing.
    apply_provider_dispute(
        "stripe", "pi_d", dispute_status="needs_response", disputed_amount=4_000, actor="webhook"
    )
    assert raised(drive) == 4_000


def test_void_removes_from_total_and_keeps_history(drive):
    donation = record_offline_donation(
        drive, amount=10_000, method="check", received_at=NOW, entered_by="admin@example.org"
    )
    void_donation(donation.id, reason="bounced check", actor="admin@example.org")
    void_donation(donation.id, reason="bounced check", actor="admin@example.org")
    assert raised(drive) == 0
    actions = [e.action for e in db.session.query(DonationEvent).order_by(DonationEvent.id)]
    assert actions == ["recorded", "voided"]
    with pytest.raises(InvalidInput):
        void_donation(donation.id, reason="   ", actor="admin@example.org")


def test_offline_refund_cannot_exceed_the_gift(drive):
    donation = record_offline_donation(
        drive, amount=10_000, method="paypal", received_at=NOW, entered_by="admin@example.org"
    )
    refund_offline_donation(donation.id, amount=4_000, reason="partial", actor="a@b.org")
    with pytest.raises(InvalidInput):
        refund_offline_donation(donation.id, amount=6_001, reason="too much", actor="a@b.org")
    assert raised(drive) == 6_000


def test_card_payments_cannot_be_voided(drive):
    result = record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_v",
            drive=drive,
            amount=1_000,
            currency="USD",
            received_at=NOW,
        ),
        actor="webhook",
    )
    with pytest.raises(Conflict):
        void_donation(result.donation.id, reason="x", actor="a@b.org")


def test_hostile_donor_text_is_cleaned_not_refused(drive):
    donation = record_offline_donation(
        drive,
        amount=100,
        method="cash",
        received_at=NOW,
        entered_by="cli",
        donor=DonorDetails(name="<script>alert(1)</script>\r\nBcc: x@y.z", message="<b>hi</b>"),
    )
    assert "\n" not in donation.donor_name and "\r" not in donation.donor_name
    assert donation.donor_name.startswith("<script>")  # stored as typed; escaped on output


def test_refund_seen_before_a_smaller_payment_succeeds_is_capped_at_what_was_paid(drive):
    from donation_drive.ledger import attach_provider_ref, create_pending_card_donation

    pending = create_pending_card_donation(
        drive, amount=5_000, provider="stripe", donor=DonorDetails()
    )
    attach_provider_ref(pending.id, "pi_early_refund")
    # Events out of order: the full refund first, then success for a smaller amount.
    apply_provider_refund("stripe", "pi_early_refund", refunded_total=5_000, actor="webhook")
    result = record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_early_refund",
            drive=drive,
            amount=1_000,
            currency="USD",
            received_at=NOW,
        ),
        actor="webhook",
    )

    assert result.donation.refunded_amount == 1_000
    assert raised(drive) == 0
    assert recount_drive(drive.id) == (0, 0)


def test_payment_in_another_currency_than_the_drive_is_refused(drive):
    with pytest.raises(InvalidInput) as error:
        record_provider_payment(
            ProviderPayment(
                provider="stripe",
                provider_ref="pi_eur",
                drive=drive,
                amount=1_000,
                currency="EUR",
                received_at=NOW,
            ),
            actor="webhook",
        )
    assert error.value.field == "currency"
    assert db.session.query(Donation).count() == 0


def test_full_offline_refund_withdraws_the_unsent_receipt(drive):
    from donation_drive.models import OutboxEmail

    donation = record_offline_donation(
        drive,
        amount=5_000,
        method="check",
        received_at=NOW,
        entered_by="a@b.org",
        donor=DonorDetails(name="Ada", email="ada@example.org"),
    )
    refund_offline_donation(donation.id, amount=5_000, reason="returned", actor="a@b.org")
    email = db.session.query(OutboxEmail).filter_by(donation_id=donation.id).one()
    assert email.status == "canceled"
