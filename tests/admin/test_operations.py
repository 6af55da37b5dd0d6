"""The operations page: failed webhooks and failed emails with their last errors, a
resend that really goes out, reconciliation runs and their findings, and when each
last happened. The failures are made by the real peers: a signed webhook the intake
cannot apply, and an SMTP server that refuses a message."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from donation_drive.emails import send_due_emails
from donation_drive.extensions import db
from donation_drive.models import OutboxEmail, ReconcileFinding, ReconcileRun, utcnow

from ..providers.stripe.support import deliver, payment_intent_object, stripe_event
from .entry_support import ADMIN_EMAIL, post_form, record_check


@pytest.fixture
def app_overrides(smtp_server):
    return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp_server.port, "SMTP_TIMEOUT": 5}


def _section(page: str, testid: str) -> str:
    match = re.search(rf'<table data-testid="{testid}">(.*?)</table>', page, re.S)
    assert match, f"no {testid} table"
    return match.group(1)


def test_a_failed_webhook_is_listed_with_its_error(app, admin_client, client, drive):
    event = stripe_event(
        "payment_intent.succeeded", payment_intent_object(amount=2_500, drive_slug="no-such-drive")
    )
    response = deliver(client, event, app.config["STRIPE_WEBHOOK_SECRET"])
    assert response.status_code == 200
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    failed = _section(page, "failed-webhook-list")
    assert event["id"] in failed and "payment_intent.succeeded" in failed
    assert "no-such-drive" in failed  # the last error says why
    assert re.search(r'data-testid="failed-webhooks">1<', page)
    assert 'data-testid="last-webhook">never<' not in page


def test_a_failed_email_is_listed_and_a_resend_goes_out(admin_client, smtp, drive):
    donation = record_check(drive)
    smtp.handler.fail_with = ["550 5.1.1 No such mailbox"]
    assert send_due_emails().failed == 1
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    failed = _section(page, "failed-emails")
    assert "grace@example.org" in failed and "No such mailbox" in failed
    [email_id] = db.session.scalars(select(OutboxEmail.id)).all()

    response = post_form(admin_client, f"/admin/operations/emails/{email_id}/resend", {})
    assert response.status_code == 302
    copy = db.session.scalar(select(OutboxEmail).where(OutboxEmail.requested_by == ADMIN_EMAIL))
    assert (copy.donation_id, copy.to_address, copy.status) == (
        donation.id,
        "grace@example.org",
        "pending",
    )
    assert send_due_emails().sent == 1
    assert [m["To"] for m in smtp.messages] == ["Grace Hopper <grace@example.org>"]
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    assert 'data-testid="last-email">never<' not in page


def test_pending_emails_are_listed(admin_client, drive):
    record_check(drive)
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    assert "grace@example.org" in _section(page, "pending-emails")


def test_reconciliation_runs_and_findings_are_listed(admin_client, drive):
    donation = record_check(drive)
    run = ReconcileRun(
        started_at=utcnow(), finished_at=utcnow(), status="succeeded", checked=12, flagged=1
    )
    db.session.add(run)
    db.session.flush()
    db.session.add(
        ReconcileFinding(
            run_id=run.id,
            kind="amount_mismatch",
            provider_ref="pi_123",
            donation_id=donation.id,
            message="Stripe says $90.00, the ledger $100.00",
        )
    )
    db.session.commit()
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    assert "succeeded" in _section(page, "reconcile-runs")
    findings = _section(page, "reconcile-findings")
    assert "amount mismatch" in findings and "Stripe says $90.00" in findings
    assert f"/admin/donations/{donation.id}" in findings


def test_an_empty_installation_says_nothing_has_happened_yet(admin_client):
    page = admin_client.get("/admin/operations").get_data(as_text=True)
    assert 'data-testid="last-webhook">never<' in page
    assert 'data-testid="last-reconcile">never<' in page


def test_resend_needs_a_csrf_token(admin_client, drive):
    record_check(drive)
    [email_id] = db.session.scalars(select(OutboxEmail.id)).all()
    assert admin_client.post(f"/admin/operations/emails/{email_id}/resend").status_code == 400
    assert len(db.session.scalars(select(OutboxEmail.id)).all()) == 1


def test_a_visitor_sees_no_operations(app, drive):
    # A fresh app context: the tests' shared one would remember the admin's login.
    with app.app_context():
        visitor = app.test_client()
        response = visitor.get("/admin/operations")
        assert response.status_code == 302
        assert "/admin/login" in response.headers["Location"]
        assert (
            visitor.get("/admin/operations", headers={"Accept": "application/json"}).status_code
            == 401
        )


def test_resending_an_unknown_email_says_so(admin_client, drive):
    response = post_form(
        admin_client, "/admin/operations/emails/999/resend", {}, follow_redirects=True
    )
    assert "Not resent: no email 999" in response.get_data(as_text=True)
