"""Offline entry: the form records checks (and PayPal, gift cards, bitcoin, cash,
other) through the ledger, refuses bad input next to the field, and audits the admin."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.models import OutboxEmail, utcnow

from .entry_support import (
    ADMIN_EMAIL,
    check_entry,
    donations,
    events,
    post_form,
    raised,
    yesterday,
)


def _error(page: str, field: str) -> str:
    match = re.search(rf'data-testid="error-{field}"[^>]*>(.*?)</div>', page, re.S)
    assert match, f"no error shown for {field}"
    return match.group(1)


def test_the_form_offers_the_current_drive_and_today(admin_client, drive):
    page = admin_client.get("/admin/donations/new").get_data(as_text=True)
    assert '<option selected value="eoy">' in page
    assert 'value="check"' in page and "Amazon gift card" in page
    assert f'value="{utcnow().date().isoformat()}"' in page
    assert 'name="csrf_token"' in page


def test_a_recorded_check_raises_the_drive_total(admin_client, client, drive):
    assert raised() == 0
    response = post_form(admin_client, "/admin/donations/new", check_entry())
    assert response.status_code == 302
    [donation] = donations()
    assert response.headers["Location"].endswith(f"/admin/donations/{donation.id}")
    assert (donation.amount, donation.currency, donation.method) == (10_000, "USD", "check")
    assert (donation.reference, donation.donor_name) == ("1042", "Ada Lovelace")
    assert donation.entered_by == ADMIN_EMAIL
    assert raised() == 10_000
    assert client.get("/api/v1/drives/eoy").get_json()["raised_amount"] == 10_000


def test_the_confirmation_names_the_new_total(admin_client, drive):
    response = post_form(admin_client, "/admin/donations/new", check_entry(), follow_redirects=True)
    assert "Recorded $100.00 (Check) from Ada Lovelace" in response.get_data(as_text=True)
    assert "has now raised $100.00" in response.get_data(as_text=True)


def test_recording_is_audited_under_the_admins_email(admin_client, drive):
    post_form(admin_client, "/admin/donations/new", check_entry())
    [donation] = donations()
    [event] = events(donation.id)
    assert (event.actor, event.action, event.amount_delta) == (ADMIN_EMAIL, "recorded", 10_000)


@pytest.mark.parametrize(
    "method", ["check", "paypal", "amazon_gift_card", "bitcoin", "cash", "other"]
)
def test_every_offline_method_can_be_recorded(admin_client, drive, method):
    response = post_form(admin_client, "/admin/donations/new", check_entry(method=method))
    assert response.status_code == 302
    assert [d.method for d in donations()] == [method]


def test_a_post_without_a_csrf_token_is_refused(admin_client, drive):
    response = admin_client.post("/admin/donations/new", data=check_entry())
    assert response.status_code == 400
    assert donations() == []


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("-5", "greater than zero"),
        ("0", "greater than zero"),
        ("0.00", "greater than zero"),
        ("ten dollars", "is not a number"),
        ("", "an amount is required"),
        ("100,00", "write it like 1,234.56"),
        ("10.001", "at most 2 decimal places"),
        ("1e40", "is not a number"),
        ("99999999999", "too large"),
        ("NaN", "is not a number"),
    ],
)
def test_bad_amounts_are_refused_next_to_the_amount(admin_client, drive, amount, message):
    response = post_form(admin_client, "/admin/donations/new", check_entry(amount=amount))
    assert response.status_code == 400
    assert message in _error(response.get_data(as_text=True), "amount")
    assert donations() == []
    assert raised() == 0


@pytest.mark.parametrize(
    ("received", "message"),
    [
        ("2026-02-30", "is not a date"),
        ("last tuesday", "is not a date"),
        ("", "is required"),
        ("1900-01-01", "out of range"),
        ((utcnow() + timedelta(days=3)).date().isoformat(), "cannot be in the future"),
    ],
)
def test_bad_dates_are_refused_next_to_the_date(admin_client, drive, received, message):
    response = post_form(admin_client, "/admin/donations/new", check_entry(received_at=received))
    assert response.status_code == 400
    assert message in _error(response.get_data(as_text=True), "received_at")
    assert donations() == []


def test_an_unknown_method_is_refused(admin_client, drive):
    response = post_form(admin_client, "/admin/donations/new", check_entry(method="wire"))
    assert response.status_code == 400
    assert "method must be one of" in _error(response.get_data(as_text=True), "method")
    assert donations() == []


def test_a_card_payment_cannot_be_entered_by_hand(admin_client, drive):
    response = post_form(admin_client, "/admin/donations/new", check_entry(method="card"))
    assert response.status_code == 400
    assert donations() == []


def test_an_unknown_drive_is_refused(admin_client, drive):
    response = post_form(admin_client, "/admin/donations/new", check_entry(drive="nope"))
    assert response.status_code == 400
    assert "choose one of the drives" in _error(response.get_data(as_text=True), "drive")


def test_every_problem_is_reported_at_once_and_what_was_typed_is_kept(admin_client, drive):
    response = post_form(
        admin_client,
        "/admin/donations/new",
        check_entry(amount="abc", received_at="soon", donor_email="not-an-email"),
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "is not a number" in _error(page, "amount")
    assert "is not a date" in _error(page, "received_at")
    assert "is not an email address" in _error(page, "donor_email")
    assert 'value="Ada Lovelace"' in page
    assert 'aria-invalid="true"' in page


def test_a_donor_name_with_markup_is_shown_as_text(admin_client, drive):
    response = post_form(
        admin_client,
        "/admin/donations/new",
        check_entry(amount="x", donor_name="<script>alert(1)</script>"),
    )
    page = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_thank_you_is_queued_unless_unticked(admin_client, drive):
    post_form(admin_client, "/admin/donations/new", check_entry())
    without = check_entry(donor_email="bob@example.org", reference="1043")
    del without["send_receipt"]
    post_form(admin_client, "/admin/donations/new", without)
    queued = db.session.scalars(select(OutboxEmail.to_address)).all()
    assert queued == ["ada@example.org"]
    assert [d.send_receipt for d in donations()] == [True, False]


def test_an_anonymous_gift_keeps_the_name_private(admin_client, drive):
    post_form(admin_client, "/admin/donations/new", check_entry(is_anonymous="y"))
    [donation] = donations()
    assert donation.is_anonymous and donation.public_name is None
    assert donation.donor_name == "Ada Lovelace"


def test_a_recorded_date_is_midday_of_that_day_in_the_admin_time_zone(app, admin_client, drive):
    app.config["ADMIN_TIMEZONE"] = "America/New_York"
    post_form(admin_client, "/admin/donations/new", check_entry(received_at=yesterday()))
    [donation] = donations()
    local = donation.received_at.astimezone(ZoneInfo("America/New_York"))
    assert (local.date().isoformat(), local.hour) == (yesterday(), 12)


def test_no_drive_yet_sends_the_admin_to_create_one(admin_client):
    response = admin_client.get("/admin/donations/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/drives")
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0
