"""Totals to the cent on thousands of random ledger operations.

Hypothesis draws long batches of offline gifts, provider payments (some replayed),
pending checkouts that succeed or fail, provider refunds and disputes in any order,
offline refunds and voids. A plain-Python model applies the same batch by the rules
the ledger documents; the drive's running aggregate must equal the model's sum, and
equal a recount from the donation rows, after every batch.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from donation_drive.errors import Conflict, InvalidInput
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_dispute,
    apply_provider_refund,
    attach_provider_ref,
    create_drive,
    create_pending_card_donation,
    drive_progress,
    mark_payment_unsuccessful,
    record_offline_donation,
    record_provider_payment,
    recount_drive,
    refund_offline_donation,
    void_donation,
)
from donation_drive.ledger.adjustments import DISPUTE_FINAL, DISPUTE_HOLDS_FUNDS
from donation_drive.ledger.breakdown import check_breakdown
from donation_drive.models import OFFLINE_METHODS

WHEN = datetime(2026, 12, 1, 12, tzinfo=UTC)
DISPUTE_STATES = sorted(DISPUTE_HOLDS_FUNDS | DISPUTE_FINAL | {"warning_closed", "charge_refunded"})
REFS = 150  # provider payment ids drawn from a small pool, so replays are common
_drive_numbers = itertools.count()

cents = st.integers(min_value=1, max_value=5_000_000)
ref = st.integers(min_value=0, max_value=REFS - 1)
pick = st.integers(min_value=0, max_value=10_000)  # an index into what exists so far

offline_gift = st.tuples(st.just("offline"), cents, st.sampled_from(OFFLINE_METHODS))
provider_payment = st.tuples(st.just("payment"), ref, cents)
# Gifts are drawn twice as often as each other operation, so most operations add money.
operation = st.one_of(
    offline_gift,
    offline_gift,
    provider_payment,
    provider_payment,
    st.tuples(st.just("checkout"), ref, cents),
    st.tuples(st.just("failed"), ref, st.sampled_from(["failed", "canceled"])),
    st.tuples(st.just("provider_refund"), ref, st.integers(0, 6_000_000)),
    st.tuples(st.just("dispute"), ref, st.sampled_from(DISPUTE_STATES), cents),
    st.tuples(st.just("offline_refund"), pick, cents),
    st.tuples(st.just("void"), pick),
)


@dataclass
class Gift:
    """The model of one donation: just the figures that decide what it counts."""

    amount: int
    status: str = "succeeded"
    refunded: int = 0
    disputed: int = 0
    dispute_status: str | None = None

    @property
    def counted(self) -> int:
        if self.status != "succeeded":
            return 0
        return max(self.amount - self.refunded - self.disputed, 0)


class Model:
    def __init__(self) -> None:
        self.offline: list[tuple[int, Gift]] = []  # (ledger id, gift)
        self.provider: dict[str, Gift] = {}

    def total(self) -> tuple[int, int]:
        gifts = [gift for _, gift in self.offline] + list(self.provider.values())
        return sum(g.counted for g in gifts), sum(1 for g in gifts if g.counted > 0)


def apply(drive, model: Model, op: tuple) -> None:
    """Apply one operation to the ledger and to the model."""
    kind = op[0]
    if kind == "offline":
        _, amount, method = op
        donation = record_offline_donation(
            drive, amount=amount, method=method, received_at=WHEN, entered_by="prop"
        )
        model.offline.append((donation.id, Gift(amount)))
    elif kind == "payment":
        _, number, amount = op
        key = f"pi_{drive.id}_{number}"
        record_provider_payment(
            ProviderPayment(
                provider="stripe",
                provider_ref=key,
                drive=drive,
                amount=amount,
                currency=drive.currency,
                received_at=WHEN,
            ),
            actor="prop",
        )
        gift = model.provider.get(key)
        if gift is None:
            model.provider[key] = Gift(amount)
        elif gift.status not in ("succeeded", "voided"):
            gift.status, gift.amount = "succeeded", amount
            gift.refunded = min(gift.refunded, amount)
            gift.disputed = min(gift.disputed, amount)
    elif kind == "checkout":
        # A checkout started for a payment id not yet seen: pending, counts nothing.
        _, number, amount = op
        key = f"pi_{drive.id}_{number}"
        if key in model.provider:
            return
        pending = create_pending_card_donation(
            drive, amount=amount, provider="stripe", donor=DonorDetails()
        )
        attach_provider_ref(pending.id, key)
        model.provider[key] = Gift(amount, status="pending")
    elif kind == "failed":
        _, number, status = op
        key = f"pi_{drive.id}_{number}"
        mark_payment_unsuccessful("stripe", key, status=status, reason="declined", actor="prop")
        gift = model.provider.get(key)
        if gift is not None and gift.status == "pending":
            gift.status = status
    elif kind == "provider_refund":
        _, number, refunded_total = op
        key = f"pi_{drive.id}_{number}"
        apply_provider_refund("stripe", key, refunded_total=refunded_total, actor="prop")
        gift = model.provider.get(key)
        if gift is not None:
            gift.refunded = min(max(gift.refunded, refunded_total), gift.amount)
    elif kind == "dispute":
        _, number, state, amount = op
        key = f"pi_{drive.id}_{number}"
        apply_provider_dispute(
            "stripe", key, dispute_status=state, disputed_amount=amount, actor="prop"
        )
        gift = model.provider.get(key)
        if gift is not None and not (
            gift.dispute_status in DISPUTE_FINAL and state not in DISPUTE_FINAL
        ):
            gift.dispute_status = state
            gift.disputed = min(amount, gift.amount) if state in DISPUTE_HOLDS_FUNDS else 0
    elif kind == "offline_refund":
        _, index, amount = op
        if not model.offline:
            return
        donation_id, gift = model.offline[index % len(model.offline)]
        allowed = gift.status == "succeeded" and gift.refunded + amount <= gift.amount
        try:
            refund_offline_donation(donation_id, amount=amount, reason="returned", actor="prop")
        except (InvalidInput, Conflict):
            assert not allowed
        else:
            assert allowed
            gift.refunded += amount
    elif kind == "void":
        _, index = op
        if not model.offline:
            return
        donation_id, gift = model.offline[index % len(model.offline)]
        void_donation(donation_id, reason="entered in error", actor="prop")
        gift.status = "voided"


def new_drive():
    number = next(_drive_numbers)
    return create_drive(
        slug=f"prop-{number}",
        title=f"Property drive {number}",
        goal_amount=7_500_000,
        currency="USD",
        starts_at=datetime(2026, 11, 1, tzinfo=UTC),
        ends_at=datetime(2026, 12, 31, tzinfo=UTC),
    )


@pytest.fixture
def fast_commits(app):
    """Durability is not what this test is about: let SQLite skip the fsync on each
    of the thousands of commits (the PostgreSQL test cluster already does)."""
    if db.engine.dialect.name == "sqlite":
        event.listen(db.engine, "connect", _no_fsync)
        db.engine.dispose()


def _no_fsync(dbapi_connection, _record) -> None:
    dbapi_connection.execute("PRAGMA synchronous=OFF")


@settings(
    max_examples=5,
    deadline=None,
    # Each example makes its own drive, so sharing the function's database is safe.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(operation, min_size=300, max_size=450))
def test_drive_total_equals_the_sum_of_its_donations_to_the_cent(app, fast_commits, batch):
    drive = new_drive()
    model = Model()

    for op in batch:
        apply(drive, model, op)

    progress = drive_progress(drive.slug)
    expected = model.total()
    assert (progress.raised_amount, progress.donor_count) == expected
    assert recount_drive(drive.id) == expected
    # The breakdown per hour, method and amount moved with every change.
    assert check_breakdown(drive.id) == {}
    # And what the widget would serve from its cache is the same.
    cached = drive_progress(drive.slug)
    assert (cached.raised_amount, cached.donor_count) == expected
