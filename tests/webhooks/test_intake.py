"""Webhook intake with events signed in the test exactly as Stripe signs them:
each event is stored once before it is applied, replays change nothing, events
that cannot be applied yet get a 5xx (Stripe retries) and stay visible, and bad
deliveries get 400 and write nothing."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    attach_provider_ref,
    create_drive,
    create_pending_card_donation,
    drive_progress,
    recount_drive,
)
from donation_drive.models import Donation, WebhookEvent
from donation_drive.webhooks import events_needing_attention
from donation_drive.webhooks import handlers as webhook_handlers

from ..providers.stripe.support import (
    charge_object,
    deliver,
    dispute_object,
    new_id,
    pay_at_stripe,
    payment_intent_object,
    refund_object,
    sign,
    stripe_event,
)


def _progress(slug: str = "eoy") -> tuple[int, int]:
    db.session.rollback()
    progress = drive_progress(slug)
    return progress.raised_amount, progress.donor_count


def _row(event: dict) -> WebhookEvent:
    db.session.rollback()
    return db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.event_id == event["id"])
    ).one()


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _succeeded(amount: int, **kwargs) -> dict:
    return stripe_event("payment_intent.succeeded", payment_intent_object(amount=amount, **kwargs))


def _refunded(intent: dict, total_refunded: int) -> dict:
    charge = charge_object(
        charge_id=intent["latest_charge"],
        payment_intent_id=intent["id"],
        amount=intent["amount"],
        amount_refunded=total_refunded,
    )
    return stripe_event("charge.refunded", charge)


def _dispute(intent: dict, event_type: str, status: str, dispute_id: str) -> dict:
    dispute = dispute_object(
        dispute_id=dispute_id,
        charge_id=intent["latest_charge"],
        payment_intent_id=intent["id"],
        amount=intent["amount"],
        status=status,
    )
    return stripe_event(event_type, dispute)


# -- payments --------------------------------------------------------------------------


def test_a_replayed_payment_event_is_counted_once(client, drive, webhook_secret):
    event = _succeeded(2_500, drive_slug="eoy", donation_id=999)

    responses = [deliver(client, event, webhook_secret) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert [r.get_json()["status"] for r in responses] == ["processed", "duplicate", "duplicate"]
    assert _progress() == (2_500, 1)
    assert recount_drive(drive.id) == (2_500, 1)
    row = _row(event)
    assert (row.status, row.attempts, row.type) == ("processed", 1, "payment_intent.succeeded")
    assert row.payload == event and row.processed_at is not None
    donation = db.session.scalars(select(Donation)).one()
    assert donation.provider_ref == event["data"]["object"]["id"]
    assert donation.events[0].actor == f"stripe-webhook:{event['id']}"


def test_a_payment_event_adopts_the_checkouts_pending_donation(client, drive, webhook_secret):
    pending = create_pending_card_donation(
        drive,
        amount=4_000,
        provider="stripe",
        donor=DonorDetails(name="Grace", email="grace@example.org"),
    )
    event = _succeeded(4_000, drive_slug="eoy", donation_id=pending.id)

    assert deliver(client, event, webhook_secret).status_code == 200

    donation = db.session.scalars(select(Donation)).one()
    assert (donation.id, donation.status, donation.donor_name) == (pending.id, "succeeded", "Grace")
    assert _progress() == (4_000, 1)


def test_failed_and_canceled_payments_mark_their_pending_donations(client, drive, webhook_secret):
    failing = create_pending_card_donation(
        drive, amount=1_000, provider="stripe", donor=DonorDetails()
    )
    abandoned = create_pending_card_donation(
        drive, amount=2_000, provider="stripe", donor=DonorDetails()
    )
    attach_provider_ref(failing.id, "pi_failing")
    attach_provider_ref(abandoned.id, "pi_abandoned")
    failed = payment_intent_object(
        amount=1_000,
        drive_slug="eoy",
        payment_intent_id="pi_failing",
        status="requires_payment_method",
        failure_message="Your card has insufficient funds.",
    )
    canceled = payment_intent_object(
        amount=2_000, drive_slug="eoy", payment_intent_id="pi_abandoned", status="canceled"
    )

    deliver(client, stripe_event("payment_intent.payment_failed", failed), webhook_secret)
    deliver(client, stripe_event("payment_intent.canceled", canceled), webhook_secret)

    db.session.rollback()
    assert db.session.get(Donation, failing.id).status == "failed"
    assert (
        db.session.get(Donation, failing.id).failure_reason == "Your card has insufficient funds."
    )
    assert db.session.get(Donation, abandoned.id).status == "canceled"
    assert _progress() == (0, 0)


def test_a_late_failure_event_does_not_undo_a_succeeded_payment(client, drive, webhook_secret):
    succeeded = _succeeded(3_000, drive_slug="eoy")
    intent = dict(succeeded["data"]["object"], status="requires_payment_method")
    deliver(client, succeeded, webhook_secret)

    late = deliver(client, stripe_event("payment_intent.payment_failed", intent), webhook_secret)

    assert late.status_code == 200
    assert _progress() == (3_000, 1)


def test_a_payment_that_is_not_from_our_checkout_is_stored_and_ignored(
    client, drive, webhook_secret
):
    event = _succeeded(9_900, drive_slug=None)

    response = deliver(client, event, webhook_secret)

    assert response.status_code == 200 and response.get_json()["status"] == "ignored"
    assert _row(event).status == "ignored"
    assert _progress() == (0, 0)


def test_a_payment_for_an_unknown_drive_is_kept_flagged_and_applied_once_the_drive_exists(
    client, drive, webhook_secret
):
    event = _succeeded(5_000, drive_slug="spring-drive")

    first = deliver(client, event, webhook_secret)

    assert first.status_code == 200  # retrying cannot help; an admin has to look
    row = _row(event)
    assert row.status == "failed" and "spring-drive" in row.last_error
    assert [e.event_id for e in events_needing_attention()] == [event["id"]]

    create_drive(
        slug="spring-drive",
        title="Spring",
        goal_amount=100_000,
        currency="USD",
        starts_at=drive.starts_at,
        ends_at=drive.ends_at,
    )
    again = deliver(client, event, webhook_secret)  # "Resend" in the Stripe Dashboard

    assert again.get_json()["status"] == "processed"
    assert _row(event).attempts == 2
    assert _progress("spring-drive") == (5_000, 1)
    assert events_needing_attention() == []


def test_a_payment_in_another_currency_is_flagged_and_not_counted(client, drive, webhook_secret):
    event = _succeeded(5_000, drive_slug="eoy", currency="eur")

    assert deliver(client, event, webhook_secret).status_code == 200

    row = _row(event)
    assert row.status == "failed" and "EUR" in row.last_error
    assert _progress() == (0, 0)


def test_a_malformed_object_in_a_signed_event_is_flagged_not_retried(client, drive, webhook_secret):
    event = stripe_event("payment_intent.succeeded", {"object": "payment_intent"})

    response = deliver(client, event, webhook_secret)

    assert response.status_code == 200
    assert _row(event).status == "failed"


def test_an_unknown_event_type_is_stored_and_acknowledged(client, drive, webhook_secret):
    event = stripe_event("customer.created", {"id": "cus_123", "object": "customer"})

    response = deliver(client, event, webhook_secret)

    assert response.status_code == 200
    row = _row(event)
    assert (row.status, row.payload["type"]) == ("ignored", "customer.created")


def test_a_database_error_gets_a_500_and_the_stored_event_is_applied_on_redelivery(
    client, drive, webhook_secret, monkeypatch
):
    def database_down(*args, **kwargs):
        raise OperationalError("INSERT INTO donations ...", {}, Exception("server closed"))

    monkeypatch.setattr(webhook_handlers, "record_provider_payment", database_down)
    event = _succeeded(2_000, drive_slug="eoy")

    failed = deliver(client, event, webhook_secret)

    assert failed.status_code == 500
    row = _row(event)
    assert (row.status, row.attempts) == ("error", 1)
    assert "server closed" in row.last_error
    assert _progress() == (0, 0)

    monkeypatch.undo()
    retried = deliver(client, event, webhook_secret)

    assert retried.status_code == 200
    row = _row(event)
    assert (row.status, row.attempts, row.last_error) == ("processed", 2, None)
    assert _progress() == (2_000, 1)


def test_a_payment_and_its_events_processed_status_commit_together(
    client, drive, webhook_secret, monkeypatch
):
    """The event is marked processed inside the ledger's transaction: when that
    transaction fails at its very end, neither the donation nor the status is kept."""
    record = webhook_handlers.record_provider_payment

    def failing_at_commit(payment, *, actor, also_write):
        def mark_then_fail():
            also_write()
            raise OperationalError("COMMIT", {}, Exception("server closed"))

        return record(payment, actor=actor, also_write=mark_then_fail)

    monkeypatch.setattr(webhook_handlers, "record_provider_payment", failing_at_commit)
    event = _succeeded(2_500, drive_slug="eoy")

    assert deliver(client, event, webhook_secret).status_code == 500
    row = _row(event)
    assert (row.status, row.attempts) == ("error", 1)
    assert (_progress(), _count(Donation)) == ((0, 0), 0)

    monkeypatch.undo()
    assert deliver(client, event, webhook_secret).status_code == 200
    row = _row(event)
    assert (row.status, row.attempts, row.last_error) == ("processed", 2, None)
    assert (_progress(), _count(Donation)) == ((2_500, 1), 1)


class ProcessKilled(BaseException):
    """What a worker killed mid-request looks like to the code: nothing after it runs."""


def test_an_event_is_committed_before_processing_so_a_killed_worker_leaves_it_visible(
    client, drive, webhook_secret, monkeypatch
):
    def killed(*args, **kwargs):
        raise ProcessKilled

    monkeypatch.setattr(webhook_handlers, "record_provider_payment", killed)
    event = _succeeded(3_000, drive_slug="eoy")
    with pytest.raises(ProcessKilled):
        deliver(client, event, webhook_secret)
    db.session.rollback()
    db.session.remove()  # the killed request's session and its open transaction are gone

    with db.engine.connect() as other_connection:  # what another process sees
        stored = other_connection.execute(
            select(WebhookEvent.status, WebhookEvent.attempts).where(
                WebhookEvent.event_id == event["id"]
            )
        ).one()
    assert tuple(stored) == ("received", 1)

    monkeypatch.undo()
    assert deliver(client, event, webhook_secret).status_code == 200  # Stripe's retry
    row = _row(event)
    assert (row.status, row.attempts) == ("processed", 2)
    assert _progress() == (3_000, 1)


# -- refunds ---------------------------------------------------------------------------


def test_partial_then_full_refunds_lower_the_total_and_an_older_figure_changes_nothing(
    client, drive, webhook_secret
):
    payment = _succeeded(5_000, drive_slug="eoy")
    intent = payment["data"]["object"]
    deliver(client, payment, webhook_secret)

    deliver(client, _refunded(intent, 1_000), webhook_secret)
    assert _progress() == (4_000, 1)

    deliver(client, _refunded(intent, 5_000), webhook_secret)
    assert _progress() == (0, 0)

    stale = deliver(client, _refunded(intent, 1_000), webhook_secret)  # arrived late
    assert stale.status_code == 200
    assert _progress() == (0, 0)
    assert recount_drive(drive.id) == (0, 0)


def test_a_refund_update_takes_the_cumulative_refunded_amount_from_stripe(
    client, drive, webhook_secret, emulator
):
    from donation_drive.providers.stripe import refund_payment

    paid = pay_at_stripe(6_000)
    deliver(client, _succeeded(6_000, drive_slug="eoy", payment_intent_id=paid.id), webhook_secret)
    first = refund_payment(paid.id, 1_000)
    second = refund_payment(paid.id, 500)
    # Stripe reports the first refund again (say, it moved to succeeded) after both.
    refund = refund_object(
        refund_id=first.refund_id,
        charge_id=paid.latest_charge_id,
        payment_intent_id=paid.id,
        amount=first.amount,
        status="succeeded",
    )

    response = deliver(client, stripe_event("charge.refund.updated", refund), webhook_secret)

    assert response.status_code == 200
    assert second.charge_refunded_total == 1_500
    assert _progress() == (4_500, 1)


def test_a_refund_for_a_payment_not_recorded_yet_gets_a_503_until_the_payment_is_there(
    client, drive, webhook_secret, emulator
):
    paid = pay_at_stripe(8_000)  # at Stripe, with our metadata, not in the ledger yet
    intent = payment_intent_object(amount=8_000, drive_slug="eoy", payment_intent_id=paid.id)
    intent["latest_charge"] = paid.latest_charge_id
    refund = _refunded(intent, 3_000)

    early = deliver(client, refund, webhook_secret)

    assert early.status_code == 503
    row = _row(refund)
    assert (row.status, row.attempts) == ("error", 1)
    assert "not recorded yet" in row.last_error
    assert [e.event_id for e in events_needing_attention()] == [refund["id"]]

    deliver(client, stripe_event("payment_intent.succeeded", intent), webhook_secret)
    retried = deliver(client, refund, webhook_secret)  # Stripe's retry

    assert retried.status_code == 200
    assert (_row(refund).status, _row(refund).attempts) == ("processed", 2)
    assert _progress() == (5_000, 1)


def test_a_refund_for_a_payment_that_is_not_ours_is_ignored(
    client, drive, webhook_secret, emulator
):
    foreign = pay_at_stripe(1_200, drive_slug=None)
    intent = payment_intent_object(amount=1_200, drive_slug=None, payment_intent_id=foreign.id)
    unknown = payment_intent_object(amount=1_200, drive_slug="eoy", payment_intent_id="pi_gone")

    for payment in (intent, unknown):
        response = deliver(client, _refunded(payment, 1_200), webhook_secret)
        assert response.status_code == 200
        assert response.get_json()["status"] == "ignored"


# -- disputes --------------------------------------------------------------------------


def test_a_dispute_holds_the_money_while_open_and_gives_it_back_when_won(
    client, drive, webhook_secret
):
    payment = _succeeded(7_500, drive_slug="eoy")
    intent = payment["data"]["object"]
    deliver(client, payment, webhook_secret)
    dispute_id = new_id("dp")

    deliver(
        client,
        _dispute(intent, "charge.dispute.created", "needs_response", dispute_id),
        webhook_secret,
    )
    assert _progress() == (0, 0)
    deliver(
        client,
        _dispute(intent, "charge.dispute.funds_withdrawn", "needs_response", dispute_id),
        webhook_secret,
    )
    deliver(
        client,
        _dispute(intent, "charge.dispute.updated", "under_review", dispute_id),
        webhook_secret,
    )
    assert _progress() == (0, 0)

    deliver(client, _dispute(intent, "charge.dispute.closed", "won", dispute_id), webhook_secret)
    assert _progress() == (7_500, 1)

    # An older "under review" event arriving after the verdict changes nothing.
    late = _dispute(intent, "charge.dispute.updated", "under_review", dispute_id)
    deliver(client, late, webhook_secret)
    assert _progress() == (7_500, 1)


def test_a_lost_dispute_keeps_the_money_off_the_total(client, drive, webhook_secret):
    payment = _succeeded(7_500, drive_slug="eoy")
    intent = payment["data"]["object"]
    deliver(client, payment, webhook_secret)
    dispute_id = new_id("dp")

    deliver(
        client,
        _dispute(intent, "charge.dispute.created", "needs_response", dispute_id),
        webhook_secret,
    )
    deliver(client, _dispute(intent, "charge.dispute.closed", "lost", dispute_id), webhook_secret)

    assert _progress() == (0, 0)
    assert recount_drive(drive.id) == (0, 0)
    assert db.session.scalars(select(Donation)).one().dispute_status == "lost"


def test_a_dispute_naming_only_its_charge_is_traced_to_the_payment_through_stripe(
    client, drive, webhook_secret, emulator
):
    paid = pay_at_stripe(2_000)
    deliver(client, _succeeded(2_000, drive_slug="eoy", payment_intent_id=paid.id), webhook_secret)
    dispute = dispute_object(
        dispute_id=new_id("dp"),
        charge_id=paid.latest_charge_id,
        payment_intent_id=None,  # as older API versions send it
        amount=2_000,
        status="needs_response",
    )

    response = deliver(client, stripe_event("charge.dispute.created", dispute), webhook_secret)

    assert response.status_code == 200
    assert _progress() == (0, 0)


# -- refused deliveries ------------------------------------------------------------------


def _refused(client, payload: str, signature: str | None):
    headers = {"Stripe-Signature": signature} if signature is not None else {}
    return client.post(
        "/webhooks/stripe", data=payload, headers=headers, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("missing", "signature"),
        ("forged", "signature"),
        ("other secret", "signature"),
        ("stale", "signature"),
        ("tampered", "signature"),
        ("not json", "payload"),
        ("not an event", "payload"),
    ],
)
def test_a_bad_delivery_gets_400_and_nothing_is_written(
    client, drive, webhook_secret, app, kind, field
):
    event = _succeeded(2_500, drive_slug="eoy")
    payload = json.dumps(event)
    signature: str | None = sign(payload, webhook_secret)
    if kind == "missing":
        signature = None
    elif kind == "forged":
        signature = f"t={int(time.time())},v1={'0' * 64}"
    elif kind == "other secret":
        signature = sign(payload, "whsec_attacker")
    elif kind == "stale":
        signature = sign(payload, webhook_secret, int(time.time()) - 3600)
    elif kind == "tampered":
        payload = payload.replace("2500", "2500000")
    elif kind == "not json":
        payload = payload[:-5]
        signature = sign(payload, webhook_secret)
    elif kind == "not an event":
        payload = json.dumps([event])
        signature = sign(payload, webhook_secret)

    response = _refused(client, payload, signature)

    assert response.status_code == 400
    assert response.get_json()["field"] == field
    assert _count(WebhookEvent) == 0
    assert _count(Donation) == 0
    assert _progress() == (0, 0)


def test_a_body_far_larger_than_any_stripe_event_is_refused(client, drive, webhook_secret):
    payload = json.dumps({"padding": "x" * 1_100_000})
    response = _refused(client, payload, sign(payload, webhook_secret))
    assert response.status_code == 400
    assert _count(WebhookEvent) == 0


def test_the_webhook_needs_no_csrf_token_but_other_posts_do(client, drive, webhook_secret):
    # The test client sends no CSRF token: the signature is the only credential here.
    assert deliver(client, _succeeded(100, drive_slug=None), webhook_secret).status_code == 200


def test_a_payment_with_a_nonsense_creation_time_is_recorded_as_of_now(
    client, drive, webhook_secret
):
    event = _succeeded(1_500, drive_slug="eoy")
    event["data"]["object"]["created"] = 2**63

    response = deliver(client, event, webhook_secret)

    assert response.status_code == 200 and _row(event).status == "processed"
    donation = db.session.scalars(select(Donation)).one()
    assert abs(time.time() - donation.received_at.timestamp()) < 60
