"""The ledger announces what happened and the outbox and metrics
listen: a receipt exists only because the outbox listens, it is written in the
ledger's own transaction (a rollback leaves none), and ``totals_changed`` comes only
after a commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from blinker import Signal
from flask import Flask
from sqlalchemy import func, select

from donation_drive.emails.outbox import on_gift_counted
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    drive_progress,
    gift_counted,
    gift_refunded,
    gift_voided,
    record_offline_donation,
    record_provider_payment,
    totals_changed,
)
from donation_drive.ledger.signals import donor_erased, donors_merged
from donation_drive.models import Donation, OutboxEmail
from donation_drive.subscriptions import LEDGER_RECEIVERS

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
ADA = DonorDetails(name="Ada", email="ada@example.org")


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@contextmanager
def disconnected(signal: Signal, receiver, app: Flask) -> Iterator[None]:
    signal.disconnect(receiver, sender=app)
    try:
        yield
    finally:
        signal.connect(receiver, sender=app)


def _card_payment(ref: str, drive) -> ProviderPayment:
    return ProviderPayment(
        provider="stripe",
        provider_ref=ref,
        drive=drive,
        amount=2_500,
        currency="USD",
        received_at=NOW,
        donor=ADA,
    )


def test_every_app_listens_to_the_ledger_from_its_creation(app):
    for signal, receiver in LEDGER_RECEIVERS:
        assert receiver in list(signal.receivers_for(app)), (signal.name, receiver.__name__)
    assert {signal for signal, _ in LEDGER_RECEIVERS} == {
        gift_counted,
        gift_refunded,
        gift_voided,
        totals_changed,
        donor_erased,
        donors_merged,
    }


def test_a_gift_gets_its_receipt_only_because_the_outbox_listens(app, drive):
    with disconnected(gift_counted, on_gift_counted, app):
        unheard = record_offline_donation(
            drive, amount=5_000, method="check", received_at=NOW, entered_by="a", donor=ADA
        )
    heard = record_offline_donation(
        drive, amount=5_000, method="check", received_at=NOW, entered_by="a", donor=ADA
    )

    keys = set(db.session.scalars(select(OutboxEmail.dedupe_key)))
    assert keys == {f"receipt:{heard.id}"}
    assert unheard.id != heard.id
    assert drive_progress(drive.slug).raised_amount == 10_000  # both counted


def test_a_provider_payment_gets_its_receipt_only_because_the_outbox_listens(app, drive):
    with disconnected(gift_counted, on_gift_counted, app):
        record_provider_payment(_card_payment("pi_unheard", drive), actor="webhook")
    heard = record_provider_payment(_card_payment("pi_heard", drive), actor="webhook")

    keys = set(db.session.scalars(select(OutboxEmail.dedupe_key)))
    assert keys == {f"receipt:{heard.donation_id}"}


class Crash(Exception):
    """Something failing at the very end of the ledger's transaction."""


def crash() -> None:
    raise Crash


def test_the_receipt_is_written_in_the_ledgers_transaction_and_rolls_back_with_it(app, drive):
    seen_inside: list[int] = []

    def look_then_fail() -> None:
        # Inside the ledger's transaction, after the receivers ran: the row is there.
        seen_inside.append(_count(OutboxEmail))
        raise Crash

    with pytest.raises(Crash):
        record_provider_payment(
            _card_payment("pi_rolled_back", drive), actor="webhook", also_write=look_then_fail
        )

    db.session.rollback()
    assert seen_inside == [1]
    assert (_count(OutboxEmail), _count(Donation)) == (0, 0)
    assert drive_progress(drive.slug).raised_amount == 0


def test_totals_changed_comes_after_the_commit_and_never_for_a_rollback(app, drive):
    heard: list[tuple[int, tuple[str, ...], int]] = []

    def listener(_app, *, drive_id, counted_methods, **_):
        # Another connection sees the change: it was committed before we were told.
        with db.engine.connect() as other:
            rows = other.execute(select(func.count()).select_from(Donation)).scalar()
        heard.append((drive_id, counted_methods, rows))

    totals_changed.connect(listener, sender=app)
    try:
        record_provider_payment(_card_payment("pi_told", drive), actor="webhook")
        record_provider_payment(_card_payment("pi_told", drive), actor="webhook")  # replay
        with pytest.raises(Crash):
            record_provider_payment(
                _card_payment("pi_never", drive),
                actor="webhook",
                also_write=crash,
            )
        db.session.rollback()
        record_offline_donation(
            drive, amount=1_000, method="cash", received_at=NOW, entered_by="admin"
        )
    finally:
        totals_changed.disconnect(listener, sender=app)

    assert heard == [(drive.id, ("card",), 1), (drive.id, ("cash",), 2)]
