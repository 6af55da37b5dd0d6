"""Installment and subscription events: the emulator's own (``invoice.payment_succeeded``,
``customer.subscription.deleted``, ...) plus signed copies of those it never sends
(``invoice.paid``, with the subscription where API 2025-03-31 puts it;
``invoice.payment_failed`` for a renewal; ``customer.subscription.updated``),
delivered twice, shuffled, from several threads: each installment is counted once,
and the gifts end as one in-order delivery leaves them."""

from __future__ import annotations

import json
import random
import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress, recount_drive
from donation_drive.models import Donation, MonthlyGift, OutboxEmail, WebhookEvent
from donation_drive.providers.stripe.subscriptions import cancel_subscription

from ..providers.stripe.support import deliver, stripe_event
from ..webhooks.test_replay import _post
from .support import invoice_event, start_monthly, stripe_get, subscribe_at_stripe

AMOUNTS = (2_500, 1_000, 4_200)


def _run_events(emulator) -> tuple[list[dict], list[str]]:
    """Three monthly gifts at Stripe (one later canceled) and every event of the run."""
    started = [
        subscribe_at_stripe(
            amount, card_token=emulator.card_token(), email=f"d{amount}@example.org"
        )
        for amount in AMOUNTS
    ]
    cancel_subscription(started[2].subscription.id)
    own = [
        e
        for e in emulator.events()
        if e["type"] in ("invoice.payment_succeeded", "customer.subscription.deleted")
    ]
    assert (
        sorted(e["type"] for e in own)
        == ["customer.subscription.deleted"] + ["invoice.payment_succeeded"] * 3
    )
    events = list(own)
    for number, first in enumerate(started):
        invoice = stripe_get(emulator, f"/v1/invoices/{first.invoice.id}")
        events.append(invoice_event("invoice.paid", invoice, new_api=number % 2 == 0))
        subscription = stripe_get(emulator, f"/v1/subscriptions/{first.subscription.id}")
        updated = dict(subscription, status="active")
        events.append(stripe_event("customer.subscription.updated", updated, created=1))
    # Unrelated and foreign events belong to a run too.
    events.append(stripe_event("customer.created", {"id": "cus_1", "object": "customer"}))
    events.append(
        invoice_event(
            "invoice.paid",
            {"id": "in_x", "object": "invoice", "status": "paid", "subscription": None},
        )
    )
    return events, [first.invoice.payment_intent_id for first in started]


def _state():
    db.session.rollback()
    progress = drive_progress("eoy")
    donations = sorted(
        (d.provider_ref, d.amount, d.status, d.reference)
        for d in db.session.scalars(select(Donation))
    )
    gifts = sorted(
        (g.provider_ref, g.status, g.amount) for g in db.session.scalars(select(MonthlyGift))
    )
    return (progress.raised_amount, progress.donor_count), donations, gifts


def test_installment_events_twice_shuffled_and_concurrent_count_each_installment_once(
    app, drive, emulator, live_server, webhook_secret
):
    events, payment_intents = _run_events(emulator)
    payloads = [json.dumps(event) for event in events] * 2
    random.Random(15).shuffle(payloads)
    url = f"{live_server.url}/webhooks/stripe"
    pending, rounds = payloads, 0
    with ThreadPoolExecutor(max_workers=6) as pool:
        while pending:
            rounds += 1
            assert rounds <= 10, f"{len(pending)} events still refused"
            codes = list(pool.map(lambda p: _post(url, p, webhook_secret), pending))
            assert all(code == 200 or code >= 500 for code in codes), codes
            pending = [p for p, code in zip(pending, codes, strict=True) if code >= 500]

    totals, donations, gifts = _state()
    assert totals == (sum(AMOUNTS), 3)
    assert totals[0] == recount_drive(drive.id)[0]
    assert sorted(ref for ref, *_ in donations) == sorted(payment_intents)
    assert [status for _, status, _ in gifts].count("canceled") == 1  # the update came later
    assert [status for _, status, _ in gifts].count("active") == 2
    assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == len(events)
    assert set(db.session.scalars(select(WebhookEvent.status).distinct())) <= {
        "processed",
        "ignored",
    }
    receipts = db.session.scalars(select(OutboxEmail.to_address).order_by(OutboxEmail.id)).all()
    assert sorted(receipts) == sorted(f"d{amount}@example.org" for amount in AMOUNTS)


def test_a_failed_then_a_paid_event_for_one_invoice_count_it_once_and_tell_the_donor(
    client, drive, emulator, webhook_secret
):
    assert start_monthly(client, emulator).status_code == 200
    gift = db.session.scalars(select(MonthlyGift)).one()
    subscription = stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")
    invoice = stripe_get(emulator, f"/v1/invoices/{subscription['latest_invoice']}")
    # A renewal: a new invoice of the same gift whose first attempt failed, then paid.
    renewal = dict(
        invoice,
        id="in_renewal1",
        payment_intent="pi_renewal1",
        status="open",
        amount_paid=0,
        attempt_count=1,
        created=int(time.time()),
    )
    renewal["status_transitions"] = {"paid_at": None}
    failed = invoice_event("invoice.payment_failed", renewal)
    paid_invoice = dict(renewal, status="paid", amount_paid=2500, attempt_count=2)
    paid_invoice["status_transitions"] = {"paid_at": int(time.time())}
    paid = invoice_event("invoice.paid", paid_invoice, new_api=True)

    # The emulator does not know this invoice: the handler reads the event's object.
    for event in (failed, paid, failed, paid):
        assert deliver(client, event, webhook_secret).status_code == 200
    db.session.rollback()
    renewals = db.session.scalars(
        select(Donation).where(Donation.provider_ref == "pi_renewal1")
    ).all()
    assert [(d.amount, d.status) for d in renewals] == [(2500, "succeeded")]
    assert drive_progress("eoy").raised_amount == 5000
    assert db.session.get(MonthlyGift, gift.id).status == "active"  # past due, then paid
    kinds = db.session.scalars(select(OutboxEmail.kind).order_by(OutboxEmail.id)).all()
    assert kinds.count("monthly_failed") == 1
    assert kinds.count("receipt") == 2


def test_a_paid_event_before_the_failed_one_sends_no_failure_email(
    client, drive, emulator, webhook_secret
):
    assert start_monthly(client, emulator).status_code == 200
    gift = db.session.scalars(select(MonthlyGift)).one()
    base = {
        "object": "invoice",
        "id": "in_r2",
        "subscription": gift.provider_ref,
        "customer": gift.customer_ref,
        "currency": "usd",
        "amount_due": 2500,
        "payment_intent": "pi_r2",
        "attempt_count": 1,
        "created": int(time.time()),
    }
    paid = invoice_event(
        "invoice.paid",
        {
            **base,
            "status": "paid",
            "amount_paid": 2500,
            "status_transitions": {"paid_at": int(time.time())},
        },
    )
    failed = invoice_event("invoice.payment_failed", {**base, "status": "open", "amount_paid": 0})
    assert deliver(client, paid, webhook_secret).status_code == 200
    assert deliver(client, failed, webhook_secret).status_code == 200
    db.session.rollback()
    assert db.session.get(MonthlyGift, gift.id).status == "active"
    assert "monthly_failed" not in db.session.scalars(select(OutboxEmail.kind)).all()


def test_an_event_whose_object_says_unpaid_is_refused_not_counted(
    client, drive, emulator, webhook_secret
):
    assert start_monthly(client, emulator).status_code == 200
    gift = db.session.scalars(select(MonthlyGift)).one()
    sub = stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")
    open_invoice = stripe_get(emulator, f"/v1/invoices/{sub['latest_invoice']}")
    lying = invoice_event("invoice.paid", dict(open_invoice, id="in_unknown", status="open"))
    response = deliver(client, lying, webhook_secret)
    assert response.get_json()["status"] == "failed"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 1


def test_an_older_update_after_a_deletion_leaves_the_gift_canceled(
    client, drive, emulator, webhook_secret
):
    assert start_monthly(client, emulator).status_code == 200
    gift = db.session.scalars(select(MonthlyGift)).one()
    sub = stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")
    now = int(time.time())
    deleted = stripe_event(
        "customer.subscription.deleted", dict(sub, status="canceled"), created=now
    )
    past_due = stripe_event(
        "customer.subscription.updated", dict(sub, status="past_due"), created=now - 60
    )
    assert deliver(client, deleted, webhook_secret).status_code == 200
    assert deliver(client, past_due, webhook_secret).status_code == 200
    db.session.rollback()
    assert db.session.get(MonthlyGift, gift.id).status == "canceled"


def test_a_refund_of_an_installment_lowers_the_total(client, drive, emulator, webhook_secret):
    from donation_drive.providers.stripe import refund_payment

    from ..providers.stripe.support import charge_object

    assert start_monthly(client, emulator).status_code == 200
    donation = db.session.scalars(select(Donation)).one()
    refund = refund_payment(donation.provider_ref, 1000)
    charge = charge_object(
        charge_id=stripe_get(emulator, f"/v1/refunds/{refund.refund_id}")["charge"],
        payment_intent_id=donation.provider_ref,
        amount=2500,
        amount_refunded=refund.charge_refunded_total,
    )
    assert (
        deliver(client, stripe_event("charge.refunded", charge), webhook_secret).status_code == 200
    )
    assert drive_progress("eoy").raised_amount == 1500


def test_a_failed_renewal_emails_the_donor_a_link_to_give_a_new_card(
    admin_client, drive, emulator, webhook_secret, smtp
):
    from donation_drive.emails import send_due_emails

    assert start_monthly(admin_client, emulator).status_code == 200
    gift = db.session.scalars(select(MonthlyGift)).one()
    failed = invoice_event(
        "invoice.payment_failed",
        {
            "object": "invoice",
            "id": "in_r3",
            "status": "open",
            "subscription": gift.provider_ref,
            "customer": gift.customer_ref,
            "currency": "usd",
            "amount_due": 2500,
            "amount_paid": 0,
            "payment_intent": "pi_r3",
            "attempt_count": 1,
            "created": int(time.time()),
        },
    )
    assert deliver(admin_client, failed, webhook_secret).status_code == 200
    db.session.rollback()
    assert db.session.get(MonthlyGift, gift.id).status == "past_due"
    assert 'data-testid="past-due-count">1<' in admin_client.get("/admin/monthly").get_data(
        as_text=True
    )
    assert send_due_emails().sent == 2  # the first month's receipt and the notice
    notice = next(m for m in smtp.messages if "could not be charged" in m["Subject"])
    text = notice.get_body(("plain",)).get_content()
    assert "$25.00" in text
    link = next(word for word in text.split() if "/monthly/manage/" in word)
    page = admin_client.get(link.split("example.org", 1)[1])
    assert "past due" in page.get_data(as_text=True)
