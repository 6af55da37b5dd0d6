"""The operations snapshot: last webhook, last reconcile and its findings, backlogs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from donation_drive.extensions import db
from donation_drive.leases import Lease
from donation_drive.ledger import DonorDetails, record_offline_donation
from donation_drive.models import WebhookEvent
from donation_drive.reconcile import Kind, operations_health, reconcile_payments

from .conftest import pay


def webhook(event_id: str, status: str, received_at: datetime) -> WebhookEvent:
    return WebhookEvent(
        provider="stripe",
        event_id=event_id,
        type="payment_intent.succeeded",
        payload={},
        status=status,
        received_at=received_at,
    )


def test_a_fresh_install_reports_nothing_yet(app):
    health = operations_health()

    assert health["last_webhook_at"] is None
    assert health["last_reconcile"] is None
    assert health["webhooks_missing"] is False
    assert (health["failed_webhooks"], health["emails_pending"], health["emails_failed"]) == (
        0,
        0,
        0,
    )


def test_health_says_when_webhooks_stopped_and_what_reconcile_found(app, drive, stripe_api):
    last_heard = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
    db.session.add_all(
        [
            webhook("evt_1", "processed", last_heard - timedelta(hours=1)),
            webhook("evt_2", "error", last_heard),
        ]
    )
    db.session.commit()
    pay(stripe_api, 2_500)
    pay(stripe_api, 900, metadata={"drive_slug": "gone"})
    record_offline_donation(
        drive,
        amount=1_000,
        method="check",
        received_at=datetime.now(UTC),
        entered_by="admin@example.org",
        donor=DonorDetails(email="kate@example.org"),
    )
    run = reconcile_payments()

    health = operations_health()

    assert health["last_webhook_at"] == last_heard
    assert health["failed_webhooks"] == 1
    assert health["webhooks_missing"] is True
    assert health["emails_pending"] == 1  # the check's receipt, not yet sent
    assert health["last_successful_reconcile_at"] == run.finished_at
    last = health["last_reconcile"]
    assert (last["id"], last["status"], last["created"], last["flagged"]) == (
        run.id,
        "succeeded",
        1,
        1,
    )
    assert last["findings_total"] == 3
    messages = {f["kind"]: f["message"] for f in last["findings"]}
    assert set(messages) == {Kind.UNKNOWN_DRIVE, Kind.WEBHOOKS_MISSING, Kind.DISPUTES_UNAVAILABLE}
    assert messages[Kind.WEBHOOKS_MISSING].startswith(
        "1 payment was missing: webhooks may not be arriving; "
        "the last Stripe webhook arrived 2026-11-20T09:30:00+00:00"
    )


def test_health_lists_who_holds_each_job(app):
    assert Lease("reconcile", "worker-a").acquire()

    (job,) = operations_health()["jobs"]

    assert (job["name"], job["holder"]) == ("reconcile", "worker-a")
    assert job["expires_at"] > job["last_started_at"]
    assert job["last_finished_at"] is None
