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
