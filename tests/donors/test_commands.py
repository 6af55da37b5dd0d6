"""``donation-drive donor export EMAIL`` and ``donor erase EMAIL``: the privacy
requests from the command line, audited, with a clear error and a non-zero exit when
no donor has the email."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    check_drive_figures,
    drive_progress,
    record_offline_donation,
)
from donation_drive.models import Donation, DonorEvent, GiftStatus, MonthlyGift, OutboxEmail
from donation_drive.monthly.records import NewGift, ensure_gift, gift_events


def give(drive, amount, email, name=None, message=None):
    return record_offline_donation(
        drive,
        amount=amount,
        method="check",
        received_at=datetime(2026, 12, 1, tzinfo=UTC),
        entered_by="admin",
        donor=DonorDetails(name=name, email=email, message=message),
    )


def test_export_prints_every_gift_as_json_and_is_audited(runner, drive):
    give(drive, 1_000, "Ada@example.org", "Ada", "for the blog")
    give(drive, 2_000, "ada@example.org")
    give(drive, 3_000, "other@example.org")

    result = runner.invoke(args=["donor", "export", " ADA@EXAMPLE.org", "--requested-by", "dpo"])

    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["donor"]["email"] == "Ada@example.org"
    assert sorted(g["amount"] for g in data["gifts"]) == [1_000, 2_000]
    assert data["gifts"][-1]["message"] == "for the blog"
    assert data["gifts"][0]["history"][0]["action"] == "recorded"
    assert {e["kind"] for e in data["emails"]} == {"receipt"}
    assert data["lifetime_giving"] == [{"currency": "USD", "amount": 3_000}]
    event = db.session.scalar(select(DonorEvent))
    assert (event.action, event.actor, event.details) == ("exported", "dpo", {"gifts": 2})


def test_erase_clears_personal_data_and_keeps_totals(runner, drive):
    give(drive, 1_000, "erin@example.org", "Erin", "in memory of Erin's dad")
    give(drive, 500, "keep@example.org", "Kay")
    before = drive_progress(drive.slug)

    result = runner.invoke(args=["donor", "erase", "Erin@example.org", "--yes"])

    assert result.exit_code == 0, result.output
    assert "1 gifts and 1 emails cleared" in result.output
    after = drive_progress(drive.slug)
    assert after == before
    assert check_drive_figures(drive.id) == {}
    rows = db.session.scalars(select(Donation).order_by(Donation.id)).all()
    assert (rows[0].donor_name, rows[0].donor_email, rows[0].message) == (None, None, None)
    assert rows[0].amount == 1_000 and rows[0].received_at is not None
    assert rows[1].donor_name == "Kay"
    addresses = db.session.scalars(select(OutboxEmail.to_address)).all()
    assert "erin@example.org" not in addresses and "keep@example.org" in addresses
    assert db.session.scalar(select(DonorEvent.action)) == "erased"

    again = runner.invoke(args=["donor", "export", "erin@example.org"])
    assert again.exit_code != 0


def test_an_unknown_email_is_a_clear_error_and_writes_nothing(runner, drive):
    give(drive, 1_000, "ada@example.org")

    for command in (
        ["donor", "export", "nobody@example.org"],
        ["donor", "erase", "nobody@example.org", "--yes"],
    ):
        result = runner.invoke(args=command)
        assert result.exit_code == 2, result.output
        assert "no donor with the email 'nobody@example.org'" in result.output
        assert "email" in result.output
    assert db.session.scalar(select(DonorEvent)) is None


def test_erase_asks_first(runner, drive):
    give(drive, 1_000, "ada@example.org", "Ada")

    result = runner.invoke(args=["donor", "erase", "ada@example.org"], input="n\n")

    assert result.exit_code == 1
    assert db.session.scalar(select(Donation.donor_name)) == "Ada"


def test_erase_reaches_the_donor_s_monthly_gift(runner, drive):
    give(drive, 1_000, "erin@example.org", "Erin")
    gift = ensure_gift(
        NewGift(
            provider="stripe",
            provider_ref="sub_erin",
            customer_ref="cus_erin",
            donor_email="Erin@Example.org",
            donor_name="Erin",
            amount=1_000,
            currency=drive.currency,
            drive_id=drive.id,
            status=GiftStatus.ACTIVE,
            created_at=datetime(2026, 11, 20, tzinfo=UTC),
        ),
        actor="test",
    )
    other = ensure_gift(
        NewGift(
            provider="stripe",
            provider_ref="sub_kay",
            customer_ref="cus_kay",
            donor_email="kay@example.org",
            donor_name="Kay",
            amount=500,
            currency=drive.currency,
            drive_id=drive.id,
            status=GiftStatus.ACTIVE,
            created_at=datetime(2026, 11, 20, tzinfo=UTC),
        ),
        actor="test",
    )
    gift_id, other_id = gift.id, other.id
    db.session.commit()

    result = runner.invoke(args=["donor", "erase", "erin@example.org", "--yes"])

    assert result.exit_code == 0, result.output
    db.session.expire_all()
    erased, kept = db.session.get(MonthlyGift, gift_id), db.session.get(MonthlyGift, other_id)
    assert (erased.donor_name, erased.donor_email) == (None, "")
    assert (erased.amount, erased.status) == (1_000, GiftStatus.ACTIVE)
    assert (kept.donor_name, kept.donor_email) == ("Kay", "kay@example.org")
    assert [event.action for event in gift_events(gift_id)][-1] == "donor_erased"
