"""Corrections to a donation: edit, void with a reason, money given back, a receipt
resent. Each goes through the ledger and leaves an audit row naming the admin."""

from __future__ import annotations

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import DonorDetails, create_pending_card_donation
from donation_drive.models import OutboxEmail, Status

from ..conftest import csrf_token_from
from .entry_support import ADMIN_EMAIL, donations, events, post_form, raised, record_check


def test_the_correction_page_shows_the_form_the_actions_and_the_audit_trail(admin_client, drive):
    donation = record_check(drive)
    page = admin_client.get(f"/admin/donations/{donation.id}/edit").get_data(as_text=True)
    assert 'value="100.00"' in page and 'value="2001"' in page
    assert 'data-testid="void-form"' in page and 'data-testid="refund-form"' in page
    assert 'data-testid="resend-form"' in page
    assert "treasurer@example.org" in page  # who recorded it, in the audit trail


def test_the_detail_page_carries_the_actions(admin_client, drive):
    donation = record_check(drive)
    page = admin_client.get(f"/admin/donations/{donation.id}").get_data(as_text=True)
    assert 'data-testid="entry-actions"' in page
    assert f'action="/admin/donations/{donation.id}/void"' in page


def test_correcting_the_amount_moves_the_total_and_records_old_and_new(admin_client, drive):
    donation = record_check(drive)
    form = {
        "method": "check",
        "amount": "150",
        "received_at": donation.received_at.date().isoformat(),
        "donor_name": "Grace Hopper",
        "donor_email": "grace@example.org",
        "reference": "2001",
    }
    response = post_form(admin_client, f"/admin/donations/{donation.id}/edit", form)
    assert response.status_code == 302
    assert raised() == 15_000
    edit = events(donation.id)[-1]
    assert (edit.actor, edit.action, edit.amount_delta) == (ADMIN_EMAIL, "edited", 5_000)
    assert edit.details == {"amount": {"from": 10_000, "to": 15_000}}


def test_resubmitting_the_same_day_keeps_the_recorded_time(admin_client, drive):
    donation = record_check(drive)
    received = donation.received_at
    form = {
        "method": "cash",
        "amount": "100.00",
        "received_at": received.date().isoformat(),
        "donor_name": "Grace Hopper",
        "donor_email": "grace@example.org",
        "reference": "2001",
    }
    post_form(admin_client, f"/admin/donations/{donation.id}/edit", form)
    [after] = donations()
    assert (after.method, after.received_at) == ("cash", received)
    assert events(donation.id)[-1].details == {"method": {"from": "check", "to": "cash"}}


def test_a_bad_correction_is_refused_and_changes_nothing(admin_client, drive):
    donation = record_check(drive)
    form = {"method": "check", "amount": "-3", "received_at": "2026-13-01"}
    response = post_form(admin_client, f"/admin/donations/{donation.id}/edit", form)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-testid="error-amount"' in page and 'data-testid="error-received_at"' in page
    assert raised() == 10_000
    assert [e.action for e in events(donation.id)] == ["recorded"]


def test_void_requires_a_reason(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client, f"/admin/donations/{donation.id}/void", {"void_reason": "  "}
    )
    assert response.status_code == 400
    assert "this field is required" in response.get_data(as_text=True)
    assert donations()[0].status == Status.SUCCEEDED
    assert raised() == 10_000


def test_void_with_a_reason_takes_the_gift_off_the_total(admin_client, client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/void",
        {"void_reason": "check bounced", "next": f"/admin/donations/{donation.id}"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/donations/{donation.id}"
    [voided] = donations()
    assert (voided.status, voided.void_reason) == (Status.VOIDED, "check bounced")
    assert raised() == 0
    assert client.get("/api/v1/drives/eoy").get_json()["raised_amount"] == 0
    void = events(donation.id)[-1]
    assert (void.actor, void.action, void.amount_delta) == (ADMIN_EMAIL, "voided", -10_000)
    assert void.details == {"reason": "check bounced"}


def test_void_will_not_return_to_another_site(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/void",
        {"void_reason": "typo", "next": "//evil.example/phish"},
    )
    assert response.headers["Location"] == f"/admin/donations/{donation.id}"


def test_a_voided_entry_can_no_longer_be_edited(admin_client, drive):
    donation = record_check(drive)
    post_form(admin_client, f"/admin/donations/{donation.id}/void", {"void_reason": "dup"})
    form = {"method": "check", "amount": "500", "received_at": "2026-11-20"}
    response = post_form(admin_client, f"/admin/donations/{donation.id}/edit", form)
    assert response.status_code == 409
    assert raised() == 0


def test_money_given_back_lowers_the_total_and_is_audited(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/refund",
        {"refund_amount": "30", "refund_reason": "donor asked for part back"},
    )
    assert response.status_code == 302
    assert raised() == 7_000
    refund = events(donation.id)[-1]
    assert (refund.actor, refund.action, refund.amount_delta) == (ADMIN_EMAIL, "refunded", -3_000)


def test_a_refund_larger_than_the_gift_is_refused_next_to_the_amount(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/refund",
        {"refund_amount": "100.01", "refund_reason": "oops"},
    )
    assert response.status_code == 400
    assert "larger than what is left" in response.get_data(as_text=True)
    assert raised() == 10_000


def test_a_receipt_can_be_resent_to_a_corrected_address(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/resend-receipt",
        {"receipt_to": "grace.hopper@example.org"},
    )
    assert response.status_code == 302
    resent = db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.requested_by == ADMIN_EMAIL)
    ).all()
    assert [(m.to_address, m.donation_id) for m in resent] == [
        ("grace.hopper@example.org", donation.id)
    ]
    assert donations()[0].donor_email == "grace@example.org"  # the record is left as is


def test_a_resend_to_a_bad_address_is_refused_next_to_the_field(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/resend-receipt",
        {"receipt_to": "grace at example"},
    )
    assert response.status_code == 400
    assert "is not an email address" in response.get_data(as_text=True)


def test_card_donations_are_not_edited_or_voided_here(admin_client, drive):
    pending = create_pending_card_donation(
        drive, amount=5_000, provider="stripe", donor=DonorDetails(name="Card Donor")
    )
    page = admin_client.get(f"/admin/donations/{pending.id}/edit").get_data(as_text=True)
    assert 'data-testid="void-form"' not in page
    response = post_form(admin_client, f"/admin/donations/{pending.id}/void", {"void_reason": "x"})
    assert response.status_code == 400
    assert "refunded through Stripe, not voided" in response.get_data(as_text=True)


def test_an_unknown_donation_is_a_404(admin_client, drive):
    assert admin_client.get("/admin/donations/999/edit").status_code == 404
    response = post_form(admin_client, "/admin/donations/999/void", {"void_reason": "x"})
    assert response.status_code == 404


def test_actions_need_a_csrf_token(admin_client, drive):
    donation = record_check(drive)
    response = admin_client.post(
        f"/admin/donations/{donation.id}/void", data={"void_reason": "no token"}
    )
    assert response.status_code == 400
    assert raised() == 10_000


def test_a_visitor_cannot_act_on_a_donation(client, drive):
    donation = record_check(drive)
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        f"/admin/donations/{donation.id}/void", data={"void_reason": "x", "csrf_token": token}
    )
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]
    assert donations()[0].status == Status.SUCCEEDED
    assert raised() == 10_000
