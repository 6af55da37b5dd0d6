"""The event's object decides, not its type: a payment is counted only when its
PaymentIntent says it succeeded (read from Stripe when the event is thin), a refund's
figure is the charge's own, and an event whose type and object disagree, or whose
amount is no whole number of minor units, is stored as failed with the reason and
listed for an admin, with the totals untouched."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    attach_provider_ref,
    create_pending_card_donation,
    drive_progress,
    recount_drive,
)
from donation_drive.models import Donation, WebhookEvent
from donation_drive.webhooks import events_needing_attention

from ..peers.ports import free_port
from ..providers.stripe.support import (
    charge_object,
    deliver,
    new_id,
    pay_at_stripe,
    payment_intent_object,
    stripe_event,
)


def _progress() -> tuple[int, int]:
    db.session.rollback()
    progress = drive_progress("eoy")
    return progress.raised_amount, progress.donor_count


def _row(event: dict) -> WebhookEvent:
    db.session.rollback()
    return db.session.scalars(
        select(WebhookEvent).where(WebhookEvent.event_id == event["id"])
    ).one()


def _donation(donation_id: int) -> Donation:
    db.session.rollback()
    return db.session.get(Donation, donation_id)


def _thin(event_type: str, object_id: str, kind: str = "payment_intent") -> dict:
    """An event whose object names the payment but says nothing of its state."""
    return stripe_event(event_type, {"id": object_id, "object": kind})


def _assert_failed(response, event: dict, reason: str) -> None:
    assert response.status_code == 200  # retrying cannot help: an admin has to look
    assert response.get_json()["status"] == "failed"
    row = _row(event)
    assert (row.status, row.last_error, row.payload) == ("failed", reason, event)
    assert event["id"] in [e.event_id for e in events_needing_attention()]


# -- a succeeded event is applied only when the object says succeeded -----------------


def test_a_succeeded_event_whose_object_is_canceled_is_stored_failed_not_counted(
    client, drive, webhook_secret
):
    pending = create_pending_card_donation(
        drive, amount=2_500, provider="stripe", donor=DonorDetails()
    )
    intent = payment_intent_object(
        amount=2_500, drive_slug="eoy", donation_id=pending.id, status="canceled"
    )
    attach_provider_ref(pending.id, intent["id"])
    event = stripe_event("payment_intent.succeeded", intent)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        f"payment_intent.succeeded disagrees with its object: payment {intent['id']} is "
        "canceled, not succeeded; not applied",
    )
    assert _progress() == (0, 0)
    assert recount_drive(drive.id) == (0, 0)
    assert _donation(pending.id).status == "pending"
    # A replay of the same signed event is tried again, and refused again.
    again = deliver(client, event, webhook_secret)
    assert again.get_json()["status"] == "failed" and _row(event).attempts == 2
    assert _progress() == (0, 0)


def test_the_admin_operations_page_lists_the_disagreeing_event(
    client, admin_client, drive, webhook_secret
):
    event = stripe_event(
        "payment_intent.succeeded",
        payment_intent_object(amount=2_500, drive_slug="eoy", status="canceled"),
    )
    deliver(client, event, webhook_secret)

    page = admin_client.get("/admin/operations").get_data(as_text=True)

    match = re.search(r'<table data-testid="failed-webhook-list">(.*?)</table>', page, re.S)
    assert match, "no list of failed webhooks"
    assert event["id"] in match.group(1)
    assert "disagrees with its object" in match.group(1)
    assert re.search(r'data-testid="failed-webhooks">1<', page)


def test_an_event_carrying_another_kind_of_object_is_refused(client, drive, webhook_secret):
    charge = charge_object(
        charge_id=new_id("ch"), payment_intent_id=new_id("pi"), amount=2_500, amount_refunded=0
    )
    event = stripe_event("payment_intent.succeeded", charge)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        "payment_intent.succeeded event carries a 'charge' object, not a payment_intent",
    )
    assert _progress() == (0, 0)


# -- thin events are completed from Stripe ---------------------------------------------


def test_a_thin_succeeded_event_is_read_from_stripe_and_counted_once(
    client, drive, webhook_secret, emulator
):
    paid = pay_at_stripe(4_200)
    thin = _thin("payment_intent.succeeded", paid.id)
    another = _thin("payment_intent.succeeded", paid.id)  # a second event, same payment

    responses = [deliver(client, event, webhook_secret) for event in (thin, thin, another)]

    assert [r.get_json()["status"] for r in responses] == ["processed", "duplicate", "processed"]
    assert _progress() == (4_200, 1)
    assert recount_drive(drive.id) == (4_200, 1)
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.provider_ref, donation.amount, donation.status) == (
        paid.id,
        4_200,
        "succeeded",
    )


def test_a_thin_succeeded_event_for_a_payment_stripe_has_not_taken_is_refused(
    client, drive, webhook_secret, emulator
):
    from donation_drive.providers.stripe import PaymentMetadata, create_payment

    unconfirmed = create_payment(
        amount=3_000,
        currency="USD",
        card_token="pm_card_visa",
        metadata=PaymentMetadata(drive_slug="eoy", donation_id=None),
        receipt_email=None,
        idempotency_key=new_id("test"),
    )
    event = _thin("payment_intent.succeeded", unconfirmed.id)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        f"payment_intent.succeeded disagrees with its object: payment {unconfirmed.id} is "
        "requires_confirmation, not succeeded; not applied",
    )
    assert _progress() == (0, 0)


def test_a_thin_event_while_stripe_is_unreachable_is_retried_then_counted(
    app, client, drive, webhook_secret, emulator
):
    paid = pay_at_stripe(1_500)
    event = _thin("payment_intent.succeeded", paid.id)
    emulator_base = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"

    early = deliver(client, event, webhook_secret)

    assert early.status_code == 503  # Stripe delivers it again later
    assert (_row(event).status, _progress()) == ("error", (0, 0))
    assert "could not read payment" in _row(event).last_error

    app.config["STRIPE_API_BASE"] = emulator_base
    retried = deliver(client, event, webhook_secret)

    assert retried.get_json()["status"] == "processed"
    assert _progress() == (1_500, 1)


def test_a_thin_event_for_a_payment_stripe_does_not_know_is_refused(
    client, drive, webhook_secret, emulator
):
    event = _thin("payment_intent.succeeded", "pi_unknown_to_stripe")

    response = deliver(client, event, webhook_secret)

    _assert_failed(response, event, "Stripe does not know payment pi_unknown_to_stripe")


# -- failed and canceled events must agree too -----------------------------------------


@pytest.mark.parametrize(
    "event_type, expected",
    [
        ("payment_intent.payment_failed", "requires_payment_method"),
        ("payment_intent.canceled", "canceled"),
    ],
)
def test_a_failure_event_for_a_succeeded_payment_leaves_it_counted(
    client, drive, webhook_secret, event_type, expected
):
    succeeded = stripe_event(
        "payment_intent.succeeded", payment_intent_object(amount=3_000, drive_slug="eoy")
    )
    deliver(client, succeeded, webhook_secret)
    intent = succeeded["data"]["object"]  # its object still says succeeded
    failure = stripe_event(event_type, intent)

    response = deliver(client, failure, webhook_secret)

    _assert_failed(
        response,
        failure,
        f"{event_type} disagrees with its object: payment {intent['id']} is succeeded, "
        f"not {expected}; not applied",
    )
    assert _progress() == (3_000, 1)
    assert db.session.scalars(select(Donation)).one().status == "succeeded"


def test_a_failed_event_saying_succeeded_does_not_fail_the_pending_donation(
    client, drive, webhook_secret
):
    pending = create_pending_card_donation(
        drive, amount=2_000, provider="stripe", donor=DonorDetails()
    )
    intent = payment_intent_object(amount=2_000, drive_slug="eoy", donation_id=pending.id)
    attach_provider_ref(pending.id, intent["id"])

    first = deliver(client, stripe_event("payment_intent.payment_failed", intent), webhook_secret)
    assert first.get_json()["status"] == "failed"
    assert _donation(pending.id).status == "pending"

    deliver(client, stripe_event("payment_intent.succeeded", intent), webhook_secret)

    assert _donation(pending.id).status == "succeeded"
    assert _progress() == (2_000, 1)


# -- amounts are whole numbers of minor units ------------------------------------------


@pytest.mark.parametrize("amount, shown", [(12.5, "12.5"), ("2500", "'2500'"), (True, "True")])
def test_an_amount_that_is_no_whole_number_fails_the_event_with_a_clear_reason(
    client, drive, webhook_secret, amount, shown
):
    intent = payment_intent_object(amount=2_500, drive_slug="eoy")
    intent["amount"] = amount
    event = stripe_event("payment_intent.succeeded", intent)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        f"payment_intent.succeeded object {intent['id']}: "
        f"amount must be a whole number of minor units, got {shown}",
    )
    assert _progress() == (0, 0)


def test_a_refund_figure_that_is_no_whole_number_fails_the_event(client, drive, webhook_secret):
    payment = stripe_event(
        "payment_intent.succeeded", payment_intent_object(amount=5_000, drive_slug="eoy")
    )
    deliver(client, payment, webhook_secret)
    intent = payment["data"]["object"]
    charge = charge_object(
        charge_id=intent["latest_charge"],
        payment_intent_id=intent["id"],
        amount=5_000,
        amount_refunded=0,
    )
    charge["amount_refunded"] = 1_250.5
    event = stripe_event("charge.refunded", charge)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        f"charge.refunded object {charge['id']}: "
        "amount_refunded must be a whole number of minor units, got 1250.5",
    )
    assert _progress() == (5_000, 1)


# -- refunds: the charge's own figure --------------------------------------------------


def test_a_refunded_event_whose_charge_shows_nothing_refunded_is_refused(
    client, drive, webhook_secret
):
    payment = stripe_event(
        "payment_intent.succeeded", payment_intent_object(amount=5_000, drive_slug="eoy")
    )
    deliver(client, payment, webhook_secret)
    intent = payment["data"]["object"]
    charge = charge_object(
        charge_id=intent["latest_charge"],
        payment_intent_id=intent["id"],
        amount=5_000,
        amount_refunded=0,
    )
    event = stripe_event("charge.refunded", charge)

    response = deliver(client, event, webhook_secret)

    _assert_failed(
        response,
        event,
        f"charge.refunded disagrees with its object: charge {charge['id']} shows nothing "
        "refunded; not applied",
    )
    assert _progress() == (5_000, 1)


def test_a_thin_refunded_event_takes_the_figure_from_stripe(
    client, drive, webhook_secret, emulator
):
    from donation_drive.providers.stripe import refund_payment

    paid = pay_at_stripe(6_000)
    deliver(client, _thin("payment_intent.succeeded", paid.id), webhook_secret)
    refund_payment(paid.id, 2_000)

    response = deliver(
        client, _thin("charge.refunded", paid.latest_charge_id, "charge"), webhook_secret
    )

    assert response.get_json()["status"] == "processed"
    assert _progress() == (4_000, 1)
