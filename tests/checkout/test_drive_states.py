"""The checkout before and after a drive: an upcoming drive says when it starts, an
ended one says what it raised and points to the drive running now, and neither takes
a gift (the page has no form, the payment API answers 409 naming the drive), unless
the admin kept the ended drive open, and then the gift counts toward it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.formatting import format_day
from donation_drive.ledger import (
    DonorDetails,
    create_drive,
    drive_progress,
    record_offline_donation,
    update_drive,
)
from donation_drive.models import Donation, Drive, PaymentAttempt, utcnow

from .donor import Donor


def make_drive(slug: str, *, starts_in: timedelta, ends_in: timedelta, **settings) -> Drive:
    now = utcnow()
    return create_drive(
        slug=slug,
        title=f"The {slug} drive",
        goal_amount=1_000_000,
        currency="USD",
        starts_at=now + starts_in,
        ends_at=now + ends_in,
        **settings,
    )


@pytest.fixture
def ended(app) -> Drive:
    drive = make_drive("last-year", starts_in=timedelta(days=-60), ends_in=timedelta(days=-10))
    record_offline_donation(
        drive,
        amount=412_500,
        method="check",
        received_at=drive.starts_at + timedelta(days=3),
        entered_by="test",
        donor=DonorDetails(name="Frances Allen"),
        send_receipt=False,
    )
    return drive


@pytest.fixture
def upcoming(app) -> Drive:
    return make_drive("next", starts_in=timedelta(days=2, hours=3), ends_in=timedelta(days=40))


def donor_for(client, slug: str) -> Donor:
    """A donor with a CSRF token from a running drive's form, posting to ``slug``: a
    page that takes no gifts has no form to take a token from."""
    donor = Donor(client, "eoy")
    donor.slug = slug
    return donor


def donation_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(Donation.id)))


def html_of(client, slug: str) -> str:
    response = client.get(f"/donate/{slug}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_an_ended_drive_says_so_with_its_final_figure_and_links_to_the_current_drive(
    client, ended, drive
):
    # Two drives run now: the one that started last is the one donors are sent to.
    newer = make_drive("newer", starts_in=timedelta(days=-1), ends_in=timedelta(days=20))

    html = html_of(client, "last-year")

    assert 'id="checkout-form"' not in html
    assert "This drive has ended" in html
    assert f"ended on {format_day(ended.ends_at)} and no longer takes gifts" in html
    assert "It raised <strong>$4,125</strong> of its $10,000 goal" in html
    assert f'<a href="/donate/{newer.slug}">Give to {newer.title}</a>' in html
    assert f"runs until {format_day(newer.ends_at)}" in html
    assert "/donate/eoy" not in html


def test_an_ended_drive_with_no_drive_running_says_there_is_none(client, ended):
    html = html_of(client, "last-year")

    assert "No other drive is taking gifts right now." in html
    assert 'id="checkout-form"' not in html


def test_the_payment_api_refuses_an_ended_drive_naming_the_reason(client, drive, ended, emulator):
    response = donor_for(client, "last-year").donate(emulator.card_token())

    assert response.status_code == 409
    body = response.get_json()
    assert body["field"] == "drive"
    assert body["error"] == (
        f"This drive ended on {format_day(ended.ends_at)} and no longer takes gifts."
    )
    assert donation_count() == 1  # the check recorded by the fixture, nothing new
    attempt = db.session.scalars(select(PaymentAttempt)).one()
    assert (attempt.outcome, attempt.drive_id) == ("rejected", ended.id)
    assert "ended" in attempt.error


def test_an_ended_drive_kept_open_shows_the_form_and_counts_the_gift_toward_itself(
    client, drive, ended, emulator
):
    update_drive(ended, accept_gifts_after_end=True)

    html = html_of(client, "last-year")
    assert 'id="checkout-form"' in html
    assert "gifts are still welcome and count toward it" in html

    response = donor_for(client, "last-year").donate(emulator.card_token(), amount="40")

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "succeeded"
    assert drive_progress("last-year").raised_amount == 412_500 + 4_000
    assert drive_progress("eoy").raised_amount == 0


def test_an_upcoming_drive_says_when_it_starts_and_takes_nothing(client, drive, upcoming, emulator):
    html = html_of(client, "next")

    assert 'id="checkout-form"' not in html
    assert "This drive has not started yet" in html
    assert f"starts on {format_day(upcoming.starts_at)}, in 3 days" in html
    assert '<a href="/donate/eoy">Give to End of the Year Donation Drive</a>' in html

    response = donor_for(client, "next").donate(emulator.card_token())

    assert response.status_code == 409
    assert response.get_json() == {
        "error": f"This drive starts on {format_day(upcoming.starts_at)}, in 3 days; "
        "it takes gifts from then.",
        "field": "drive",
    }
    assert donation_count() == 0


def test_a_running_drive_shows_the_form_without_a_notice(client, drive):
    html = html_of(client, "eoy")

    assert 'id="checkout-form"' in html
    assert 'data-testid="drive-state"' not in html
