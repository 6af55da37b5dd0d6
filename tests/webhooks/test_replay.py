"""Replays: every event of a run (the emulator's own payment events plus refund and
dispute events signed here) delivered twice, shuffled and from several threads at
once, leaves exactly the totals of one in-order delivery. Events that arrive before
their payment get a 5xx and are delivered again, as Stripe does."""

from __future__ import annotations

import json
import random
import shutil
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import create_drive, drive_progress, recount_drive
from donation_drive.models import Donation, WebhookEvent
from donation_drive.providers.stripe import PaymentDeclined

from ..conftest import TEST_DATABASE, make_app
from ..providers.stripe.support import (
    charge_object,
    deliver,
    dispute_object,
    new_id,
    pay_at_stripe,
    sign,
    stripe_event,
)


@dataclass(frozen=True)
class Planned:
    amount: int
    refunded: int = 0  # final cumulative refund
    dispute: str | None = None  # final dispute status

    @property
    def counted(self) -> int:
        if self.dispute == "lost":
            return 0
        return self.amount - self.refunded


PLAN = [
    Planned(2_500),
    Planned(5_000, refunded=5_000),  # a partial refund, then the rest
    Planned(10_000, dispute="lost"),
    Planned(7_500, dispute="won"),
    Planned(1_234, refunded=234),
]


def _run_events(emulator) -> list[dict]:
    """Make the payments at the emulator and return every event of the run in the
    order Stripe would send them."""
    paid = [pay_at_stripe(plan.amount) for plan in PLAN]
    with pytest.raises(PaymentDeclined):  # a declined card belongs to a run too
        pay_at_stripe(900, card="pm_card_chargeCustomerFail")
    events = [e for e in emulator.events() if e["type"].startswith("payment_intent.")]
    assert sorted(e["type"] for e in events) == ["payment_intent.payment_failed"] + [
        "payment_intent.succeeded"
    ] * len(PLAN)

    for plan, intent in zip(PLAN, paid, strict=True):
        charge = {"charge_id": intent.latest_charge_id, "payment_intent_id": intent.id}
        if plan.refunded:
            for total in (plan.refunded // 5, plan.refunded):
                refund = charge_object(**charge, amount=plan.amount, amount_refunded=total)
                events.append(stripe_event("charge.refunded", refund))
        if plan.dispute:
            dispute_id = new_id("dp")
            for event_type, status in [
                ("charge.dispute.created", "needs_response"),
                ("charge.dispute.funds_withdrawn", "needs_response"),
                ("charge.dispute.closed", plan.dispute),
            ] + ([("charge.dispute.funds_reinstated", "won")] if plan.dispute == "won" else []):
                dispute = dispute_object(
                    dispute_id=dispute_id,
                    charge_id=charge["charge_id"],
                    payment_intent_id=charge["payment_intent_id"],
                    amount=plan.amount,
                    status=status,
                )
                events.append(stripe_event(event_type, dispute))
    events.append(stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    return events


def _state() -> tuple:
    """Totals and every donation's money state, keyed by its Stripe id."""
    db.session.rollback()
    progress = drive_progress("eoy")
    drive_id = db.session.scalar(select(Donation.drive_id).limit(1))
    donations = {
        d.provider_ref: (d.status, d.amount, d.refunded_amount, d.disputed_amount, d.dispute_status)
        for d in db.session.scalars(select(Donation))
    }
    return (progress.raised_amount, progress.donor_count), recount_drive(drive_id), donations


def _post(url: str, payload: str, secret: str) -> int:
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        url,
        data=payload.encode(),
        headers={"Content-Type": "application/json", "Stripe-Signature": sign(payload, secret)},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def in_order_app(request, tmp_path, app_overrides, drive):
    """A second app on a database of its own, for the in-order delivery."""
    if TEST_DATABASE == "postgresql":
        import psycopg

        cluster = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        url = cluster.sqlalchemy_url(name)
    else:
        path = tmp_path / "in-order.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    same_drive = {
        "slug": drive.slug,
        "title": drive.title,
        "goal_amount": drive.goal_amount,
        "currency": drive.currency,
        "starts_at": drive.starts_at,
        "ends_at": drive.ends_at,
    }  # read here: inside the other app's context, ``drive`` would load from its database
    other = make_app(url, tmp_path / "in-order-instance", **app_overrides)
    with other.app_context():
        create_drive(**same_drive)
    yield other
    with other.app_context():
        db.engine.dispose()


def test_every_event_twice_shuffled_and_concurrent_gives_the_in_order_totals(
    app, drive, emulator, live_server, in_order_app, webhook_secret
):
    events = _run_events(emulator)
    payloads = [json.dumps(event) for event in events]

    with in_order_app.app_context():
        client = in_order_app.test_client()
        statuses = [deliver(client, payload, webhook_secret).status_code for payload in payloads]
        assert set(statuses) == {200}
        in_order = _state()

    pending = payloads * 2
    random.Random(20241231).shuffle(pending)
    url = f"{live_server.url}/webhooks/stripe"
    rounds = 0
    with ThreadPoolExecutor(max_workers=6) as pool:
        while pending:
            rounds += 1
            assert rounds <= 10, f"{len(pending)} events still refused after 10 rounds"
            codes = list(pool.map(lambda p: _post(url, p, webhook_secret), pending))
            assert all(code == 200 or code >= 500 for code in codes), codes
            pending = [p for p, code in zip(pending, codes, strict=True) if code >= 500]
            random.Random(rounds).shuffle(pending)

    assert _state() == in_order
    expected = sum(plan.counted for plan in PLAN)
    assert in_order[0] == (expected, sum(1 for plan in PLAN if plan.counted))
    assert in_order[0] == in_order[1]  # the running total agrees with the rows
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == len(events)
    settled = db.session.scalars(select(WebhookEvent.status).distinct()).all()
    assert set(settled) <= {"processed", "ignored"}
