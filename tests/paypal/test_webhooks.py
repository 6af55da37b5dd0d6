"""REST webhooks against the PayPal peer: verified by PayPal, stored once, applied
once in any order, from several threads."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import recount_drive
from donation_drive.models import Donation, PayPalAdjustment, WebhookEvent

from .conftest import raised


def hook_url(served) -> str:
    return f"{served.url}/webhooks/paypal"


def test_completed_event_counts_once(peer, served, running_drive):
    capture = peer.donate(3000, custom="eoy", channel="checkout")
    first = peer.deliver_webhook(hook_url(served), capture.id)
    again = peer.redeliver(first)
    assert (first.status_code, again.status_code) == (200, 200)
    assert first.response_text and '"processed"' in first.response_text
    assert raised(running_drive) == 3000
    donation = db.session.scalars(select(Donation).where(Donation.provider_ref == capture.id)).one()
    assert donation.donor_email == "jane.donor@example.com"  # from the capture's order
    assert [status for _payload, status in peer.verifications] == ["SUCCESS", "SUCCESS"]


def test_unverifiable_delivery_gets_400_and_changes_nothing(peer, served, running_drive):
    capture = peer.donate(3000, custom="eoy")
    event = peer.webhook_event(capture.id)
    forged = peer.deliver_webhook(hook_url(served), event=event, webhook_id="SOMEONEELSES")
    assert forged.status_code == 400
    unsigned = requests.post(hook_url(served), json=event, timeout=10)
    assert unsigned.status_code == 400
    assert raised(running_drive) == 0
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 0


def test_paypal_unreachable_during_verification_gets_503_and_stores_nothing(
    peer, served, running_drive
):
    capture = peer.donate(3000, custom="eoy")
    event = peer.webhook_event(capture.id)
    peer.api_unavailable = True
    delivery = peer.deliver_webhook(hook_url(served), event=event)
    assert delivery.status_code == 503
    peer.api_unavailable = False
    assert peer.redeliver(delivery).status_code == 200
    assert raised(running_drive) == 3000


def test_pending_and_denied_count_nothing_completed_does(peer, served, running_drive):
    pending = peer.donate(2000, custom="eoy", status="PENDING")
    assert peer.deliver_webhook(hook_url(served), pending.id).status_code == 200
    denied = peer.donate(2000, custom="eoy", status="DECLINED")
    assert peer.deliver_webhook(hook_url(served), denied.id).status_code == 200
    assert raised(running_drive) == 0
    peer.complete(pending.id)
    assert peer.deliver_webhook(hook_url(served), pending.id).status_code == 200
    assert raised(running_drive) == 2000


def test_completed_event_whose_capture_is_pending_is_refused(peer, served, running_drive):
    pending = peer.donate(2000, custom="eoy", status="PENDING")
    delivery = peer.deliver_webhook(hook_url(served), pending.id, "PAYMENT.CAPTURE.COMPLETED")
    assert delivery.status_code == 200 and '"failed"' in delivery.response_text
    assert raised(running_drive) == 0


def test_replayed_shuffled_concurrent_events_and_ipns_count_once(peer, served, running_drive):
    """Payments, partial refunds, a reversal: every webhook twice, shuffled, from four
    threads, and every IPN too; each payment and each refund counts once."""
    expected = 0
    resources = []
    for index in range(8):
        amount = 1000 + 111 * index
        capture = peer.donate(
            amount, custom="eoy", channel="checkout" if index % 2 else "donate_button"
        )
        resources.append(capture.id)
        expected += amount
        if index % 3 == 0:
            refund = peer.refund(capture.id, 300)
            resources.append(refund.id)
            expected -= 300
        if index == 4:
            reversal = peer.reverse(capture.id)
            resources.append(reversal.id)
            expected -= reversal.amount
    events = [peer.webhook_event(resource_id) for resource_id in resources]
    deliveries = events * 2
    random.Random(14).shuffle(deliveries)
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(
            pool.map(lambda event: peer.deliver_webhook(hook_url(served), event=event), deliveries)
        )
    assert all(answer.status_code == 200 for answer in answers), [
        (a.status_code, a.response_text) for a in answers if a.status_code != 200
    ]
    ipns = list(resources)
    random.Random(15).shuffle(ipns)
    with ThreadPoolExecutor(max_workers=4) as pool:
        ipn_answers = list(
            pool.map(lambda rid: peer.send_ipn(f"{served.url}/webhooks/paypal/ipn", rid), ipns)
        )
    assert all(answer.status_code == 200 for answer in ipn_answers)
    assert raised(running_drive) == expected
    db.session.rollback()
    assert recount_drive(running_drive.id)[0] == expected
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 8
    assert (
        db.session.scalar(select(func.count()).select_from(PayPalAdjustment)) == len(resources) - 8
    )
