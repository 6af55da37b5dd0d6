"""Reconcile covers monthly gifts: a paid invoice whose webhook never arrived is
recorded once by the next run (its gift stored from Stripe's record), and a
subscription canceled at Stripe shows canceled here."""

from __future__ import annotations

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress
from donation_drive.models import Donation, MonthlyGift, OutboxEmail
from donation_drive.providers.stripe.subscriptions import cancel_subscription
from donation_drive.reconcile import reconcile_payments

from .support import subscribe_at_stripe


def test_a_paid_invoice_without_its_webhook_is_recorded_once_and_a_cancel_followed(
    app, drive, emulator
):
    first = subscribe_at_stripe(3_300, card_token=emulator.card_token())
    assert first.invoice.status == "paid"
    assert db.session.scalars(select(Donation)).all() == []

    run = reconcile_payments(None)
    assert run.status == "succeeded", run.error
    db.session.rollback()
    gift = db.session.scalars(select(MonthlyGift)).one()
    assert (gift.provider_ref, gift.donor_email, gift.amount, gift.status) == (
        first.subscription.id,
        "grace@example.org",
        3_300,
        "active",
    )
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.provider_ref, donation.amount) == (first.invoice.payment_intent_id, 3_300)
    assert drive_progress("eoy").raised_amount == 3_300
    assert db.session.scalars(select(OutboxEmail.kind)).all() == ["receipt"]

    again = reconcile_payments(None)
    assert again.status == "succeeded"
    db.session.rollback()
    assert db.session.scalars(select(Donation)).all() == [donation]
    assert drive_progress("eoy").raised_amount == 3_300

    cancel_subscription(first.subscription.id)
    reconcile_payments(None)
    db.session.rollback()
    assert db.session.get(MonthlyGift, gift.id).status == "canceled"


def test_a_dry_run_records_nothing(app, drive, emulator):
    subscribe_at_stripe(1_500, card_token=emulator.card_token())
    run = reconcile_payments(None, dry_run=True)
    assert run.status == "succeeded"
    assert run.created >= 1
    db.session.rollback()
    assert db.session.scalars(select(Donation)).all() == []
    assert db.session.scalars(select(MonthlyGift)).all() == []
