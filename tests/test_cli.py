"""The ``donation-drive`` commands for drives, offline donations and the demo: they
work, and bad input gets an error naming the option, with nothing written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.ledger import drive_progress, get_drive, recount_drive
from donation_drive.models import Donation, Drive

from .amount_cases import DRIVES, AmountCase, case_params, create_table_drives


def donation_count() -> int:
    return db.session.scalar(select(func.count(Donation.id)))


def add(runner, *extra: str, amount: str = "25.00", method: str = "check"):
    return runner.invoke(
        args=["donation", "add", "--drive", "eoy", "--amount", amount, "--method", method, *extra]
    )


def assert_refused(result, option: str) -> None:
    assert result.exit_code != 0
    assert f"Invalid value for '{option}'" in result.output, result.output
    assert "Traceback" not in result.output


def test_drive_create_makes_a_drive_with_its_goal_in_minor_units(runner, app):
    result = runner.invoke(
        args=[
            "drive",
            "create",
            "--slug",
            "eoy-2025",
            "--title",
            "2025 End of the Year Donation Drive",
            "--goal",
            "75,000",
            "--currency",
            "usd",
            "--starts",
            "2025-11-15",
            "--ends",
            "2025-12-31",
            "--timezone",
            "America/New_York",
            "--description",
            "Keep the blog independent.",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "eoy-2025" in result.output
    drive = get_drive("eoy-2025")
    assert (drive.goal_amount, drive.currency) == (7_500_000, "USD")
    assert drive.title == "2025 End of the Year Donation Drive"
    # Dates without a time are whole days in the given zone, stored as UTC.
    assert drive.starts_at == datetime(2025, 11, 15, 5, tzinfo=UTC)
    assert drive.ends_at.astimezone(UTC).date().isoformat() == "2026-01-01"


@pytest.mark.parametrize(
    "changes, option",
    [
        ({"--goal": "-5"}, "goal"),
        ({"--goal": "lots"}, "goal"),
        ({"--currency": "DOGE"}, "currency"),
        ({"--slug": "Not A Slug!"}, "slug"),
        ({"--starts": "next week"}, "starts"),
        ({"--ends": "2025-01-01"}, "ends"),  # before it starts
        ({"--timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"--locale": "xx_NOPE"}, "locale"),
    ],
)
def test_drive_create_refuses_bad_values_naming_the_option(runner, app, changes, option):
    options = {
        "--slug": "eoy-2025",
        "--title": "2025 drive",
        "--goal": "75000",
        "--starts": "2025-11-15",
        "--ends": "2025-12-31",
        **changes,
    }
    args = ["drive", "create"] + [part for pair in options.items() for part in pair]

    assert_refused(runner.invoke(args=args), option)
    assert db.session.scalar(select(func.count(Drive.id))) == 0


def test_drive_create_refuses_a_slug_in_use(runner, drive):
    result = runner.invoke(
        args=[
            "drive",
            "create",
            "--slug",
            "eoy",
            "--title",
            "Again",
            "--goal",
            "100",
            "--starts",
            "2025-01-01",
            "--ends",
            "2025-02-01",
        ]
    )

    assert_refused(result, "slug")
    assert get_drive("eoy").title == "End of the Year Donation Drive"


def test_donation_add_records_an_offline_gift(runner, drive):
    result = add(
        runner,
        "--received",
        "2026-11-20",
        "--name",
        "Katherine Johnson",
        "--email",
        "kj@example.org",
        "--reference",
        "check #1042",
        "--no-receipt",
        amount="1,500.50",
    )

    assert result.exit_code == 0, result.output
    assert "Recorded donation" in result.output
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.amount, donation.currency, donation.method) == (150_050, "USD", "check")
    assert (donation.donor_name, donation.reference) == ("Katherine Johnson", "check #1042")
    assert donation.entered_by == "cli"
    assert drive_progress("eoy", fresh=True).raised_amount == 150_050


@pytest.mark.parametrize(
    "amount",
    ["-25", "0", "0.00", "1e20", "99999999999999", "abc", "12.345", "0.001", "NaN", "1e999999999"],
    ids=[
        "negative",
        "zero",
        "zero-cents",
        "huge-exponent",
        "huge",
        "not-a-number",
        "three-decimals",
        "tenth-of-a-cent",
        "nan",
        "astronomical",
    ],
)
def test_donation_add_refuses_bad_amounts_naming_the_field(runner, drive, amount):
    assert_refused(add(runner, amount=amount), "amount")
    assert donation_count() == 0


def test_donation_add_refuses_an_unknown_currency(runner, drive):
    assert_refused(add(runner, "--currency", "XYZ"), "currency")
    assert donation_count() == 0


def test_donation_add_refuses_another_currency_than_the_drive(runner, drive):
    assert_refused(add(runner, "--currency", "EUR"), "currency")
    assert donation_count() == 0


@pytest.mark.parametrize("method", ["card", "wire", ""])
def test_donation_add_refuses_an_unknown_method(runner, drive, method):
    result = add(runner, method=method)

    assert_refused(result, "method")
    assert "check" in result.output  # the error lists what is accepted
    assert donation_count() == 0


def test_donation_add_refuses_an_unknown_drive(runner, drive):
    result = runner.invoke(
        args=["donation", "add", "--drive", "nope", "--amount", "5", "--method", "cash"]
    )

    assert_refused(result, "drive")
    assert donation_count() == 0


@pytest.mark.parametrize("received", ["yesterday", "2026-13-01", "31/12/2026", "0001-01-01"])
def test_donation_add_refuses_a_bad_date(runner, drive, received):
    assert_refused(add(runner, "--received", received), "received")
    assert donation_count() == 0


def test_donation_add_refuses_a_bad_email_naming_the_option(runner, drive):
    assert_refused(add(runner, "--email", "not-an-email"), "email")
    assert donation_count() == 0


def test_demo_creates_the_2024_drive_with_5706_dollars_raised(runner, app):
    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    drive = get_drive("2024-end-of-year")
    assert drive.title == "2024 End of the Year Donation Drive"
    assert (drive.goal_amount, drive.currency) == (7_500_000, "USD")
    progress = drive_progress("2024-end-of-year", fresh=True)
    assert progress.raised_amount == 570_600
    assert recount_drive(drive.id) == (570_600, progress.donor_count)
    methods = set(db.session.scalars(select(Donation.method).where(Donation.drive_id == drive.id)))
    assert {"paypal", "check", "amazon_gift_card", "bitcoin", "cash"} <= methods
    assert "$5,706.00" in result.output
    assert "$75,000.00" in result.output


def test_demo_is_idempotent(runner, app):
    runner.invoke(args=["demo"])
    first_count = donation_count()

    again = runner.invoke(args=["demo"])

    assert again.exit_code == 0, again.output
    assert "already exists" in again.output
    assert donation_count() == first_count
    assert drive_progress("2024-end-of-year", fresh=True).raised_amount == 570_600


def test_demo_completes_a_run_that_stopped_halfway(runner, app, monkeypatch):
    import donation_drive.commands as commands

    real_record = commands.record_offline_donation
    calls = []

    def dies_on_the_fifth_gift(*args, **kwargs):
        calls.append(1)
        if len(calls) == 5:
            raise KeyboardInterrupt  # the operator hit ^C
        return real_record(*args, **kwargs)

    monkeypatch.setattr(commands, "record_offline_donation", dies_on_the_fifth_gift)
    runner.invoke(args=["demo"])
    monkeypatch.setattr(commands, "record_offline_donation", real_record)
    assert donation_count() == 4

    result = runner.invoke(args=["demo"])

    assert result.exit_code == 0, result.output
    assert "Recorded 5 sample donations" in result.output
    assert drive_progress("2024-end-of-year", fresh=True).raised_amount == 570_600


@pytest.mark.parametrize("case", case_params())
def test_donation_add_reads_the_amount_in_the_drives_locale(runner, app, case: AmountCase):
    create_table_drives()
    slug = DRIVES[(case.locale, case.currency)]
    result = runner.invoke(
        args=["donation", "add", "--drive", slug, "--amount", case.text, "--method", "check"]
    )
    if case.minor is None:
        assert_refused(result, "amount")
        assert donation_count() == 0
    else:
        assert result.exit_code == 0, result.output
        assert db.session.scalar(select(Donation.amount)) == case.minor


def test_drive_create_reads_the_goal_in_the_drives_locale(runner, app):
    result = runner.invoke(
        args=["drive", "create", "--slug", "de", "--title", "Spenden", "--goal", "75.000,00",
              "--currency", "EUR", "--locale", "de_DE", "--starts", "2026-11-15",
              "--ends", "2026-12-31"]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert get_drive("de").goal_amount == 7_500_000
    refused = runner.invoke(
        args=["drive", "create", "--slug", "us", "--title", "Gifts", "--goal", "75.000,00",
              "--starts", "2026-11-15", "--ends", "2026-12-31"]
    )  # fmt: skip
    assert_refused(refused, "goal")
