"""Card-testing defence: payments are rate limited per client address and per
donor email, and refused attempts are logged too."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import PaymentAttempt

from ..providers.stripe.support import emulator_settings
from .donor import Donor


@pytest.fixture
def app_overrides(localstripe_base, webhook_secret):
    return {
        **emulator_settings(localstripe_base, webhook_secret),
        "CHECKOUT_RATE_LIMIT": "3 per minute",
        "CHECKOUT_EMAIL_RATE_LIMIT": "2 per hour",
    }


def _outcomes() -> list[str]:
    db.session.rollback()
    attempts = db.session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id))
    return [attempt.outcome for attempt in attempts]


def test_one_address_gets_only_so_many_attempts(client, drive):
    donor = Donor(client)
    # Below the minimum: refused cheaply, but each attempt still counts.
    statuses = [donor.donate("pm_card_visa", amount="1", email=None).status_code for _ in range(4)]

    assert statuses == [400, 400, 400, 429]
    assert _outcomes() == ["rejected", "rejected", "rejected", "rate_limited"]
    limited = db.session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id.desc())).first()
    assert limited.drive_id == drive.id and limited.ip == "127.0.0.1"


def test_one_email_gets_only_so_many_attempts_whatever_its_case(client, drive, app):
    app.config["CHECKOUT_RATE_LIMIT"] = "100 per minute"
    donor = Donor(client)

    first = donor.donate("pm_card_visa", amount="1", email="tester@example.org")
    second = donor.donate("pm_card_visa", amount="1", email="TESTER@example.org")
    third = donor.donate("pm_card_visa", amount="1", email="Tester@Example.org ")
    someone_else = donor.donate("pm_card_visa", amount="1", email="ada@example.org")

    assert [first.status_code, second.status_code, third.status_code] == [400, 400, 429]
    assert someone_else.status_code == 400  # refused for its amount, not rate limited
    assert third.get_json()["error"] == "2 per 1 hour"
    assert _outcomes().count("rate_limited") == 1
