"""The gateway against the Stripe emulator, through the official SDK: payments
carry our metadata, declines and bad tokens become domain errors, refunds report
the charge's cumulative refunded amount, and each app talks to its own Stripe."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import stripe

from donation_drive import create_app
from donation_drive.providers.stripe import (
    PaymentDeclined,
    PaymentRejected,
    PaymentServiceUnavailable,
    confirm_payment,
    create_payment,
    payment_metadata,
    refund_payment,
    retrieve_payment,
    settings,
    stripe_client,
)
from donation_drive.providers.stripe import client as client_module
from donation_drive.providers.stripe.client import LOCALSTRIPE, STRIPE, Dialect

from ...peers.ports import free_port


def _payment(card_token: str, amount: int = 2_500, donation_id: int = 7):
    intent = create_payment(
        amount=amount,
        currency="USD",
        card_token=card_token,
        metadata=payment_metadata("eoy", donation_id),
        receipt_email="donor@example.org",
        idempotency_key=f"test-{donation_id}-create",
    )
    return confirm_payment(intent.id, idempotency_key=f"test-{donation_id}-confirm")


def test_a_card_token_from_stripe_js_pays_and_the_payment_carries_our_metadata(app, emulator):
    paid = _payment(emulator.card_token(), amount=4_200)

    seen = retrieve_payment(paid.id)
    assert (seen.status, seen.amount, seen.currency) == ("succeeded", 4_200, "USD")
    assert (seen.metadata.drive_slug, seen.metadata.donation_id) == ("eoy", 7)
    assert seen.metadata.is_ours


def test_a_declined_card_raises_payment_declined_for_the_card_field(app, emulator):
    with pytest.raises(PaymentDeclined) as declined:
        _payment("pm_card_chargeCustomerFail")
    assert declined.value.field == "card"
    assert declined.value.status_code == 402
    assert "declined" in declined.value.message


def test_an_unknown_card_token_is_rejected_naming_the_card_field(app, emulator):
    with pytest.raises(PaymentRejected) as rejected:
        _payment("tok_doesnotexist")
    assert rejected.value.field == "card"
    assert rejected.value.status_code == 400


def test_refunds_report_the_charges_cumulative_refunded_amount(app, emulator):
    paid = _payment(emulator.card_token(), amount=5_000)

    first = refund_payment(paid.id, 1_000)
    second = refund_payment(paid.id, 1_500)

    assert (first.amount, first.charge_refunded_total) == (1_000, 1_000)
    assert (second.amount, second.charge_refunded_total) == (1_500, 2_500)
    assert second.payment_intent_id == paid.id


def test_stripe_out_of_reach_is_reported_as_unavailable(app):
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nothing listens
    with pytest.raises(PaymentServiceUnavailable) as unavailable:
        retrieve_payment("pi_anything")
    assert unavailable.value.status_code == 502


def test_each_app_has_its_own_client_and_the_sdk_globals_stay_untouched(app, localstripe_base):
    other = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "STRIPE_API_BASE": None})
    global_key_before = stripe.api_key
    with other.app_context():
        real = stripe_client()
        assert not settings().is_emulator
    local = stripe_client()
    assert local is not real
    assert local is stripe_client()  # built once per app
    assert settings().is_emulator
    assert stripe.api_key == global_key_before


@pytest.mark.parametrize(
    ("api_base", "emulated"),
    [
        (None, False),
        ("https://api.stripe.com", False),
        ("http://127.0.0.1:8420", True),
        ("http://localstripe:8420", True),
    ],
)
def test_only_an_address_outside_stripe_com_means_the_emulator(app, api_base, emulated):
    app.config["STRIPE_API_BASE"] = api_base
    assert settings().is_emulator is emulated
    assert settings().dialect is (LOCALSTRIPE if emulated else STRIPE)


def test_every_difference_of_the_emulator_is_a_named_field_of_the_dialect():
    # Real Stripe understands all of them, the emulator none; a new difference is a
    # new field, not a new ``if is_emulator`` in a call.
    names = [f.name for f in dataclasses.fields(Dialect)]
    assert len(names) == 10  # five of them for monthly gifts (subscriptions.py)
    assert all(getattr(STRIPE, n) for n in names)
    assert not any(getattr(LOCALSTRIPE, n) for n in names)
    package = Path(client_module.__file__).parent
    asking = [
        path.name
        for path in package.glob("*.py")
        if "is_emulator" in path.read_text() and path.name != "client.py"
    ]
    assert asking == []
