"""IPN of the classic Donate button, end to end against the PayPal peer: the peer
posts the message to the live app, the app validates it by postback at the peer."""

from __future__ import annotations

from datetime import timedelta

import requests
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import Donation, WebhookEvent
from donation_drive.webhooks.paypal import retry_stored_ipns

from ..peers.paypal.ipn import encode
from .conftest import raised


def ipn_url(served) -> str:
    return f"{served.url}/webhooks/paypal/ipn"


def stored(key: str) -> WebhookEvent:
    db.session.rollback()
    return db.session.scalars(
        select(WebhookEvent).where(
            WebhookEvent.provider == "paypal-ipn", WebhookEvent.event_id == key
        )
    ).one()


def test_completed_ipn_counts_once_and_names_the_donor(peer, served, running_drive):
    capture = peer.donate(2500, custom="eoy")
    first = peer.send_ipn(ipn_url(served), capture.id)
    again = peer.resend_ipn(first)
    assert (first.status_code, again.status_code) == (200, 200)
    assert raised(running_drive) == 2500
    donation = db.session.scalars(select(Donation).where(Donation.provider_ref == capture.id)).one()
    assert (donation.provider, donation.method, donation.amount) == ("paypal", "paypal", 2500)
    assert donation.donor_email == "jane.donor@example.com"
    assert stored(f"{capture.id}:Completed").status == "processed"
    # The replay was recognised before any postback.
    assert [answer for _body, answer in peer.ipn_validations] == ["VERIFIED"]


def test_drive_by_dates_when_the_button_names_none(peer, served, running_drive):
    capture = peer.donate(1000)  # no custom, no item_number: the running USD drive
    assert peer.send_ipn(ipn_url(served), capture.id).status_code == 200
    assert raised(running_drive) == 1000


def post_unsigned(url: str, fields: dict[str, str]) -> int:
    """An IPN that did not come from PayPal (the peer's postback answers INVALID)."""
    response = requests.post(
        url,
        data=encode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=10,
    )
    return response.status_code


def test_invalid_wrong_receiver_wrong_currency_unknown_drive_change_nothing(
    peer, served, running_drive
):
    url = ipn_url(served)
    genuine = peer.donate(700, custom="eoy")
    forged = peer.ipn_message(genuine.id, mc_gross="7000.00")
    assert post_unsigned(url, forged) == 200
    assert [answer for _body, answer in peer.ipn_validations] == ["INVALID"]
    assert stored(f"{genuine.id}:Completed").status == "failed"

    other = peer.donate(500, custom="eoy", receiver_email="someone-else@example.org")
    euros = peer.donate(600, "EUR", custom="eoy")
    nowhere = peer.donate(800, "GBP")
    for capture in (other, euros, nowhere):
        assert peer.send_ipn(url, capture.id).status_code == 200
    assert raised(running_drive) == 0
    assert "not PAYPAL_RECEIVER_EMAIL" in stored(f"{other.id}:Completed").last_error
    assert "EUR" in stored(f"{euros.id}:Completed").last_error
    needs = stored(f"{nowhere.id}:Completed")
    assert needs.status == "failed" and needs.last_error.startswith("needs a drive")

    # The genuine message, sent by PayPal after the forgery, still counts (once).
    assert peer.send_ipn(url, genuine.id).status_code == 200
    assert raised(running_drive) == 700


def test_pending_then_completed_counts_on_completion(peer, served, running_drive):
    capture = peer.donate(1500, custom="eoy", status="PENDING")
    assert peer.send_ipn(ipn_url(served), capture.id).status_code == 200
    assert raised(running_drive) == 0
    assert stored(f"{capture.id}:Pending").status == "ignored"
    peer.complete(capture.id)
    assert peer.send_ipn(ipn_url(served), capture.id).status_code == 200
    assert raised(running_drive) == 1500


def test_refund_reversal_and_cancelled_reversal(peer, served, running_drive):
    url = ipn_url(served)
    capture = peer.donate(10000, custom="eoy")
    refund = peer.refund(capture.id, 2500)
    # The refund's IPN arrives before the payment's: kept, applied once the payment is.
    assert peer.send_ipn(url, refund.id).status_code == 200
    assert raised(running_drive) == 0
    assert peer.send_ipn(url, capture.id).status_code == 200
    assert raised(running_drive) == 7500
    reversal = peer.reverse(capture.id)
    assert peer.send_ipn(url, reversal.id).status_code == 200
    assert raised(running_drive) == 0
    cancelled = peer.cancel_reversal(capture.id)
    assert peer.send_ipn(url, cancelled.id).status_code == 200
    assert raised(running_drive) == 7500
    for delivery in list(peer.ipns):  # every message again: nothing moves
        peer.resend_ipn(delivery)
    assert raised(running_drive) == 7500


def test_paypal_unreachable_during_validation_is_applied_later_once(peer, served, running_drive):
    capture = peer.donate(4200, custom="eoy")
    peer.ipn_unavailable = True
    delivery = peer.send_ipn(ipn_url(served), capture.id)
    assert delivery.status_code == 200  # stored: PayPal need not resend it
    assert raised(running_drive) == 0
    assert stored(f"{capture.id}:Completed").status == "error"
    assert retry_stored_ipns(older_than=timedelta(0)) == 1  # still unreachable: kept
    assert stored(f"{capture.id}:Completed").status == "error"
    peer.ipn_unavailable = False
    assert retry_stored_ipns(older_than=timedelta(0)) == 1
    assert raised(running_drive) == 4200
    assert retry_stored_ipns(older_than=timedelta(0)) == 0
    peer.resend_ipn(delivery)
    assert raised(running_drive) == 4200
    assert stored(f"{capture.id}:Completed").status == "processed"
