"""``/admin/monthly``: gifts by status, the monthly recurring amount, new and lost
this month, a donor's installments, cancel and refund from there (reaching the
Stripe emulator), and the overview's monthly recurring card."""

from __future__ import annotations

import re

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress
from donation_drive.models import Donation, MonthlyGift

from ..conftest import csrf_token_from
from .support import start_monthly, stripe_get


def _gifts():
    db.session.rollback()
    return {g.donor_email: g for g in db.session.scalars(select(MonthlyGift))}


def test_the_monthly_page_cancel_and_refund(admin_client, drive, emulator):
    # One test client for donor and admin: the test's app context (and so Flask-WTF's
    # cached CSRF token in ``g``) is shared by every client's requests.
    assert start_monthly(admin_client, emulator, amount="25").status_code == 200
    assert (
        start_monthly(admin_client, emulator, amount="10", email="bo@example.org").status_code
        == 200
    )
    gifts = _gifts()

    page = admin_client.get("/admin/monthly")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert re.search(r'data-testid="monthly-recurring">\$35\.00<', html)
    assert re.search(r'data-testid="active-count">2<', html)
    assert re.search(r'data-testid="new-this-month">2<', html)
    assert re.search(r'data-testid="lost-this-month">0<', html)
    assert "Monthly gifts" in admin_client.get("/admin/").get_data(as_text=True)
    overview = admin_client.get("/admin/").get_data(as_text=True)
    assert re.search(r'data-testid="monthly-recurring">\$35\.00<', overview)

    bo = gifts["bo@example.org"]
    detail = admin_client.get(f"/admin/monthly/{bo.id}")
    token = csrf_token_from(detail.get_data(as_text=True))
    assert detail.get_data(as_text=True).count('data-testid="installment"') == 1

    installment = db.session.scalars(
        select(Donation).where(Donation.reference == bo.provider_ref)
    ).one()
    refund = admin_client.post(
        f"/admin/monthly/{bo.id}/installments/{installment.id}/refund", data={"csrf_token": token}
    )
    assert refund.status_code == 303
    db.session.rollback()
    assert db.session.get(Donation, installment.id).refunded_amount == 1000
    assert drive_progress("eoy").raised_amount == 2500
    charge = stripe_get(emulator, f"/v1/payment_intents/{installment.provider_ref}")
    assert charge["status"] == "succeeded"

    cancel = admin_client.post(f"/admin/monthly/{bo.id}/cancel", data={"csrf_token": token})
    assert cancel.status_code == 303
    assert _gifts()["bo@example.org"].status == "canceled"
    assert stripe_get(emulator, f"/v1/subscriptions/{bo.provider_ref}")["status"] == "canceled"
    html = admin_client.get("/admin/monthly").get_data(as_text=True)
    assert re.search(r'data-testid="monthly-recurring">\$25\.00<', html)
    assert re.search(r'data-testid="canceled-count">1<', html)
    assert re.search(r'data-testid="lost-this-month">1<', html)


def test_the_monthly_pages_need_a_login(client, drive):
    assert client.get("/admin/monthly").status_code == 302
    assert client.get("/admin/monthly/1").status_code == 302
    assert client.post("/admin/monthly/1/cancel").status_code in (302, 400)


def test_the_monthly_forms_need_a_csrf_token(admin_client, drive, emulator):
    assert start_monthly(admin_client, emulator).status_code == 200
    gift = next(iter(_gifts().values()))
    assert admin_client.post(f"/admin/monthly/{gift.id}/cancel", data={}).status_code == 400
    assert _gifts()[gift.donor_email].status == "active"
