"""Faults the service must ride out without losing or doubling anything:

- PostgreSQL restarted in the middle of a burst of webhooks, which Stripe retries;
- the mail server down for an hour (simulated clock), then everything sent once.

The third, Stripe's API failing during reconciliation (the run records the error and
the next run completes), is tested where reconciliation lives:
tests/reconcile/test_payments.py::test_a_stripe_outage_fails_the_run_and_the_next_run_recovers.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from donation_drive.emails import send_due_emails
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    create_drive,
    drive_progress,
    record_offline_donation,
    recount_drive,
)
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Donation, OutboxEmail, WebhookEvent, utcnow

from ..conftest import make_app, migrate_to_head
from ..peers.live_server import LiveServer
from ..peers.ports import free_port
from ..providers.stripe.support import payment_intent_object, sign, stripe_event
from .metrics import scrape

WEBHOOK_SECRET = "whsec_fault_tests"


def _drive() -> object:
    return create_drive(
        slug="eoy",
        title="End of the Year Donation Drive",
        goal_amount=7_500_000,
        currency="USD",
        starts_at=parse_datetime("2026-11-15", "starts"),
        ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
    )


class StripeLikeSender:
    """Delivers signed events as Stripe does: any answer but a 2xx, or no answer at
    all, means "try again later" (with backoff, compressed from hours to seconds)."""

    def __init__(self, url: str, deadline: float) -> None:
        self.url = url
        self.deadline = deadline
        self.retries = 0
        self.refused: list[tuple[str, int]] = []  # 4xx: Stripe would not retry those
        self._lock = threading.Lock()

    def _post(self, payload: str) -> int:
        request = urllib.request.Request(  # noqa: S310 - the test's own live server
            self.url,
            data=payload.encode(),
            headers={
                "Content-Type": "application/json",
                "Stripe-Signature": sign(payload, WEBHOOK_SECRET),
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, OSError):
            return 0  # connection refused or reset: no answer

    def deliver(self, event: dict) -> bool:
        payload = json.dumps(event)
        delay = 0.05
        while time.monotonic() < self.deadline:
            status = self._post(payload)
            if 200 <= status < 300:
                return True
            if 400 <= status < 500:
                with self._lock:
                    self.refused.append((event["id"], status))
                return False
            with self._lock:
                self.retries += 1
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        return False


@pytest.mark.postgres
@pytest.mark.slow
def test_postgresql_restarted_during_a_webhook_burst_loses_and_doubles_nothing(postgres, tmp_path):
    url = postgres.create_database()
    migrate_to_head(url, tmp_path / "migrate")
    app = make_app(url, tmp_path / "instance", STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET)
    with app.app_context():
        _drive()
        db.session.remove()
    server = LiveServer(app).start()

    amounts = [100 + 37 * i for i in range(150)]
    events = [
        stripe_event(
            "payment_intent.succeeded", payment_intent_object(amount=amount, drive_slug="eoy")
        )
        for amount in amounts
    ]
    deliveries = events * 2  # every event delivered twice, the copies concurrently
    random.Random(7).shuffle(deliveries)
    sender = StripeLikeSender(f"{server.url}/webhooks/stripe", time.monotonic() + 90)
    done = threading.Semaphore(0)

    def deliver(event: dict) -> bool:
        try:
            return sender.deliver(event)
        finally:
            done.release()

    def restart_a_third_of_the_way_in() -> None:
        for _ in range(len(deliveries) // 3):
            done.acquire()
        postgres.restart()

    try:
        restarter = threading.Thread(target=restart_a_third_of_the_way_in)
        restarter.start()
        with ThreadPoolExecutor(8) as pool:
            delivered = list(pool.map(deliver, deliveries))
        restarter.join(timeout=60)
    finally:
        server.stop()

    assert sender.refused == []
    assert all(delivered)
    assert sender.retries > 0, "the restart should have failed some deliveries"
    with app.app_context():
        postgres.wait_ready()
        stored = db.session.execute(
            select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
        ).all()
        assert dict(stored) == {"processed": len(events)}
        assert db.session.scalar(select(func.count(Donation.id))) == len(events)
        drive_id = db.session.scalar(select(Donation.drive_id).limit(1))
        assert recount_drive(drive_id) == (sum(amounts), len(amounts))
        progress = drive_progress("eoy")
        assert (progress.raised_amount, progress.donor_count) == (sum(amounts), len(amounts))
        db.engine.dispose()


def test_smtp_down_for_an_hour_then_every_receipt_is_delivered_once(app, drive, smtp, client):
    """With the default retry settings, a one-hour outage gives up on no receipt, and
    the worker's every-minute runs afterwards send each one exactly once."""
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port())  # nothing listens
    failures_before = scrape(
        client, "donation_drive_email_failures_total", kind="receipt", outcome="retry"
    )
    start = utcnow()
    tick = timedelta(seconds=app.config["SEND_EMAILS_INTERVAL"])
    donors = []

    def give(minute: int) -> None:
        email = f"donor{minute}@example.org"
        donors.append(email)
        record_offline_donation(
            drive,
            amount=1_000 + minute,
            method="check",
            received_at=start,
            entered_by="admin",
            donor=DonorDetails(name=f"Donor {minute}", email=email),
        )

    clock = start
    for minute in range(60):  # an hour of the worker's runs while the server is down
        if minute % 10 == 0:
            give(minute)
        report = send_due_emails(now=clock)
        assert report.sent == 0 and report.failed == 0
        clock += tick
    assert (
        scrape(client, "donation_drive_email_failures_total", kind="receipt", outcome="retry")
        > failures_before
    )

    app.config["SMTP_PORT"] = smtp.port  # the server is back
    for _ in range(24 * 60):  # at most a day of runs; stops once nothing is pending
        send_due_emails(now=clock)
        pending = db.session.scalar(
            select(func.count(OutboxEmail.id)).where(OutboxEmail.status == "pending")
        )
        if not pending:
            break
        clock += tick

    statuses = db.session.execute(
        select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
    ).all()
    assert dict(statuses) == {"sent": len(donors)}
    received = sorted(message["To"].addresses[0].addr_spec for message in smtp.messages)
    assert received == sorted(donors)
    # Backed off, not hammering: well under one attempt per run while it was down.
    attempts = db.session.scalars(select(OutboxEmail.attempts)).all()
    assert max(attempts) < app.config["EMAIL_MAX_ATTEMPTS"]
    assert clock - start < timedelta(hours=3)
