"""Refunding a card donation through Stripe (the real SDK against ``localstripe``):
the admin's button refunds at Stripe, the ledger takes it off the total once, and the
audit trail names the admin."""

from __future__ import annotations

import uuid

import pytest

from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_refund,
    attach_provider_ref,
    create_pending_card_donation,
    record_provider_payment,
)
from donation_drive.models import Status, utcnow
from donation_drive.providers.stripe import confirm_payment, create_payment, payment_metadata

from .entry_support import ADMIN_EMAIL, events, post_form, raised, record_check


@pytest.fixture
def app_overrides(localstripe_base):
    return {"STRIPE_API_BASE": localstripe_base}


@pytest.fixture
def card_donation(app, drive):
    """A $50 card gift paid at the emulator and recorded as the webhook would."""
    pending = create_pending_card_donation(
        drive,
        amount=5_000,
        provider="stripe",
        donor=DonorDetails(name="Card Donor", email="card@example.org"),
    )
    intent = create_payment(
        amount=5_000,
        currency="USD",
        card_token="pm_card_visa",
        metadata=payment_metadata(drive.slug, pending.id),
        receipt_email=None,
        idempotency_key=str(uuid.uuid4()),
    )
    attach_provider_ref(pending.id, intent.id)
    paid = confirm_payment(intent.id, idempotency_key=str(uuid.uuid4()))
    assert paid.status == "succeeded"
    result = record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=intent.id,
            drive=drive,
            amount=5_000,
            currency="USD",
            received_at=utcnow(),
            pending_donation_id=pending.id,
        ),
        actor="webhook",
    )
    assert result.donation.status == Status.SUCCEEDED
    return result.donation


def test_only_card_donations_offer_a_stripe_refund(admin_client, card_donation):
    page = admin_client.get(f"/admin/donations/{card_donation.id}").get_data(as_text=True)
    assert 'data-testid="stripe-refund-form"' in page
    assert 'data-testid="void-form"' not in page
    assert "when its refund event arrives (webhook)" in page


def test_a_stripe_refund_lowers_the_total_once_and_names_the_admin(admin_client, card_donation):
    assert raised() == 5_000
    response = post_form(
        admin_client,
        f"/admin/donations/{card_donation.id}/stripe-refund",
        {"stripe_refund_amount": "20", "stripe_refund_reason": "requested_by_customer"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "$20.00 was refunded at Stripe" in response.get_data(as_text=True)
    assert raised() == 3_000
    refund = events(card_donation.id)[-1]
    assert (refund.actor, refund.action, refund.amount_delta) == (ADMIN_EMAIL, "refunded", -2_000)
    # Stripe's charge.refunded event for the same refund arrives later: counted once.
    apply_provider_refund(
        "stripe", card_donation.provider_ref, refunded_total=2_000, actor="webhook"
    )
    assert raised() == 3_000


def test_a_stripe_refund_with_a_bad_amount_is_refused_before_stripe(admin_client, card_donation):
    response = post_form(
        admin_client,
        f"/admin/donations/{card_donation.id}/stripe-refund",
        {"stripe_refund_amount": "-1", "stripe_refund_reason": "duplicate"},
    )
    assert response.status_code == 400
    assert "greater than zero" in response.get_data(as_text=True)
    assert raised() == 5_000


def test_an_offline_entry_cannot_be_refunded_at_stripe(admin_client, drive):
    donation = record_check(drive)
    response = post_form(
        admin_client,
        f"/admin/donations/{donation.id}/stripe-refund",
        {"stripe_refund_reason": "duplicate"},
    )
    assert response.status_code == 409
    assert raised() == 10_000
