"""The admin's PayPal page: status, and assigning a drive to a payment that needs one."""

from __future__ import annotations

from datetime import timedelta

from donation_drive.ledger import create_drive
from donation_drive.models import utcnow

from ..conftest import csrf_token_from
from .conftest import raised


def test_a_payment_that_needs_a_drive_is_counted_once_where_the_admin_says(
    peer, served, running_drive, admin_client
):
    now = utcnow()
    # A second running USD drive: a payment naming no drive could be either's.
    other = create_drive(
        slug="spring",
        title="Spring",
        goal_amount=100_000,
        currency="USD",
        starts_at=now - timedelta(days=1),
        ends_at=now + timedelta(days=5),
    )
    capture = peer.donate(1234)
    assert peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", capture.id).status_code == 200
    assert raised(running_drive) == raised(other) == 0
    page = admin_client.get("/admin/paypal")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and capture.id in html and "needs a drive" in html
    token = csrf_token_from(html)
    from sqlalchemy import select

    from donation_drive.extensions import db
    from donation_drive.models import WebhookEvent

    row = db.session.scalar(
        select(WebhookEvent.id).where(WebhookEvent.event_id.startswith(capture.id))
    )
    forged = admin_client.post(f"/admin/paypal/events/{row}/assign", data={"drive": "spring"})
    assert forged.status_code == 400 and raised(other) == 0  # no CSRF token: nothing
    answer = admin_client.post(
        f"/admin/paypal/events/{row}/assign", data={"drive": "spring", "csrf_token": token}
    )
    assert answer.status_code == 302
    assert raised(other) == 1234 and raised(running_drive) == 0
    again = admin_client.post(
        f"/admin/paypal/events/{row}/assign", data={"drive": "eoy", "csrf_token": token}
    )
    assert again.status_code == 302
    assert raised(other) == 1234 and raised(running_drive) == 0
    listing = admin_client.get("/admin/paypal").get_data(as_text=True)
    assert "None: every PayPal payment found its drive." in listing


def test_drive_settings_page_states_the_paypal_rule(admin_client, running_drive):
    html = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert 'data-testid="paypal-drive-rule"' in html and "item_number" in html


def test_a_paypal_gift_shows_its_channel_and_link_and_is_refunded_through_paypal(
    peer, served, running_drive, admin_client
):
    capture = peer.donate(5000, custom="eoy")
    assert peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", capture.id).status_code == 200
    from sqlalchemy import select

    from donation_drive.extensions import db
    from donation_drive.models import Donation

    donation_id = db.session.scalar(select(Donation.id).where(Donation.provider_ref == capture.id))
    page = admin_client.get(f"/admin/donations/{donation_id}").get_data(as_text=True)
    assert "Donate button (IPN)" in page
    assert f"https://www.paypal.com/activity/payment/{capture.id}" in page
    token = csrf_token_from(page)
    url = f"/admin/donations/{donation_id}/paypal-refund"
    too_much = admin_client.post(url, data={"csrf_token": token, "paypal_refund_amount": "60"})
    assert too_much.status_code == 302 and raised(running_drive) == 5000
    assert peer.captures[capture.id].refunds == []
    answer = admin_client.post(url, data={"csrf_token": token, "paypal_refund_amount": "12.50"})
    assert answer.status_code == 302
    assert raised(running_drive) == 3750
    (refund,) = peer.captures[capture.id].refunds
    assert refund.amount == 1250
    # PayPal's own refund webhook and IPN come later: nothing moves twice.
    assert peer.deliver_webhook(f"{served.url}/webhooks/paypal", refund.id).status_code == 200
    assert peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", refund.id).status_code == 200
    assert raised(running_drive) == 3750
    ops = admin_client.get("/admin/operations").get_data(as_text=True)
    assert 'data-testid="paypal-operations"' in ops and "Last IPN" in ops


def test_a_payment_only_reconcile_found_can_be_assigned_too(peer, running_drive, admin_client):
    from sqlalchemy import select

    from donation_drive.extensions import db
    from donation_drive.models import WebhookEvent
    from donation_drive.reconcile import reconcile_paypal

    capture = peer.donate(3300, "EUR", at=utcnow() - timedelta(hours=1))  # no EUR drive
    euro = create_drive(
        slug="euro",
        title="Euro drive",
        goal_amount=100_000,
        currency="EUR",
        starts_at=utcnow() + timedelta(days=10),
        ends_at=utcnow() + timedelta(days=40),
    )
    assert reconcile_paypal().status == "succeeded"
    assert reconcile_paypal().status == "succeeded"  # a second run keeps one row
    db.session.rollback()
    (row,) = db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.provider == "paypal-search")
    ).all()
    assert row.event_id == capture.id and row.status == "failed"
    html = admin_client.get("/admin/paypal").get_data(as_text=True)
    assert capture.id in html
    answer = admin_client.post(
        f"/admin/paypal/events/{row.id}/assign",
        data={"drive": "euro", "csrf_token": csrf_token_from(html)},
    )
    assert answer.status_code == 302
    assert raised(euro) == 3300 and raised(running_drive) == 0
    assert reconcile_paypal().status == "succeeded"
    assert raised(euro) == 3300
