"""The counting rule (docs/monthly.md): an installment counts toward the drive whose
dates contain its payment time, in the gift's currency; with none, toward the drive
the gift started on. Inside, between and after drives, and beside a drive in
another currency."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import create_drive, drive_progress
from donation_drive.models import Donation, GiftStatus
from donation_drive.monthly.figures import installments_outside_drives
from donation_drive.monthly.installments import record_paid_invoice
from donation_drive.monthly.records import NewGift, ensure_gift
from donation_drive.providers.stripe.subscriptions import InvoiceInfo


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def drives(app):
    def make(slug, start, end, currency="USD"):
        return create_drive(
            slug=slug,
            title=slug,
            goal_amount=100_000,
            currency=currency,
            starts_at=_at(start),
            ends_at=_at(end),
        )

    return {
        "autumn": make("autumn", "2026-11-01T00:00", "2026-11-30T23:59"),
        "eoy": make("eoy", "2026-12-10T00:00", "2026-12-31T23:59"),
        "euro": make("euro", "2026-12-01T00:00", "2027-02-28T23:59", currency="EUR"),
    }


def _paid(number: int, when: str) -> InvoiceInfo:
    moment = _at(when)
    return InvoiceInfo(
        id=f"in_{number}",
        status="paid",
        subscription_id="sub_counting",
        customer_id="cus_counting",
        customer_email="ada@example.org",
        customer_name=None,
        currency="USD",
        amount_due=1_000,
        amount_paid=1_000,
        payment_intent_id=f"pi_{number}",
        paid_at=moment,
        created=moment,
        attempt_count=1,
    )


@pytest.mark.parametrize(
    ("paid_at", "expected"),
    [
        ("2026-11-15T12:00", "autumn"),  # inside the drive it started on
        ("2026-12-05T12:00", "autumn"),  # between drives: the gift's own drive
        ("2026-12-15T12:00", "eoy"),  # inside a later drive: that one
        ("2027-01-15T12:00", "autumn"),  # after every USD drive (a EUR one runs): its own
    ],
)
def test_an_installment_lands_where_the_rule_says(drives, paid_at, expected):
    gift = ensure_gift(
        NewGift(
            provider="stripe",
            provider_ref="sub_counting",
            customer_ref="cus_counting",
            donor_email="ada@example.org",
            donor_name="Ada",
            amount=1_000,
            currency="USD",
            drive_id=drives["autumn"].id,
            status=GiftStatus.ACTIVE,
            created_at=_at("2026-11-10T00:00"),
        ),
        actor="test",
    )
    result = record_paid_invoice(_paid(1, paid_at), gift, actor="test")
    assert result.counted
    donation = db.session.scalars(select(Donation)).one()
    assert donation.drive.slug == expected
    assert drive_progress(expected).raised_amount == 1_000
    others = {"autumn", "eoy", "euro"} - {expected}
    assert all(drive_progress(slug).raised_amount == 0 for slug in others)
    outside = installments_outside_drives()
    assert (outside == [donation]) == (
        paid_at[:7] in ("2026-12", "2027-01") and expected == "autumn"
    )
    # Recording it again counts nothing.
    assert not record_paid_invoice(_paid(1, paid_at), gift, actor="test").counted
