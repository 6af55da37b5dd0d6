"""Where a drive stands in its calendar, in every representation of the widget: the
JSON's added fields (the old ones unchanged), and "Starts in N days", "N days left"
or "Ended" on the page and in the image."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from donation_drive.ledger import create_drive, update_drive
from donation_drive.models import Drive, utcnow

from .test_widget_page import SVG, page, svg

OLD_KEYS = {
    "slug",
    "title",
    "currency",
    "goal_amount",
    "raised_amount",
    "donor_count",
    "percent",
    "ends_at",
}


def make_drive(*, starts_in: timedelta, ends_in: timedelta, **settings) -> Drive:
    now = utcnow()
    return create_drive(
        slug="d",
        title="A drive",
        goal_amount=100_000,
        currency="USD",
        starts_at=now + starts_in,
        ends_at=now + ends_in,
        **settings,
    )


CASES = {
    # name: (starts in, ends in, settings, JSON state fields, status shown)
    "upcoming": (
        timedelta(days=2, hours=1),
        timedelta(days=30, hours=1),
        {},
        {"state": "upcoming", "starts_in_days": 3, "days_left": 31, "accepting_gifts": False},
        "Starts in 3 days",
    ),
    "starts-tomorrow": (
        timedelta(hours=5),
        timedelta(days=30, hours=1),
        {},
        {"state": "upcoming", "starts_in_days": 1, "days_left": 31, "accepting_gifts": False},
        "Starts in 1 day",
    ),
    "running": (
        timedelta(days=-5),
        timedelta(days=11, hours=2),
        {},
        {"state": "running", "starts_in_days": 0, "days_left": 12, "accepting_gifts": True},
        "12 days left",
    ),
    "last-day": (
        timedelta(days=-5),
        timedelta(hours=3),
        {},
        {"state": "running", "starts_in_days": 0, "days_left": 1, "accepting_gifts": True},
        "1 day left",
    ),
    "ended": (
        timedelta(days=-40),
        timedelta(days=-1),
        {},
        {"state": "ended", "starts_in_days": 0, "days_left": 0, "accepting_gifts": False},
        "Ended",
    ),
    "ended-kept-open": (
        timedelta(days=-40),
        timedelta(days=-1),
        {"accept_gifts_after_end": True},
        {"state": "ended", "starts_in_days": 0, "days_left": 0, "accepting_gifts": True},
        "Ended",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_json_page_and_image_show_where_the_drive_stands(client, app, case):
    starts_in, ends_in, settings, fields, status = CASES[case]
    drive = make_drive(starts_in=starts_in, ends_in=ends_in, **settings)

    body = client.get("/api/v1/drives/d").get_json()
    widget = page(client, "d")
    image = svg(client, "d")

    assert set(body) > OLD_KEYS
    assert {key: body[key] for key in fields} == fields
    assert datetime.fromisoformat(body["starts_at"]) == drive.starts_at
    assert datetime.fromisoformat(body["ends_at"]) == drive.ends_at
    assert widget.text("status") == f"· {status}"
    texts = [element.text or "" for element in image.iter(f"{SVG}text")]
    assert texts[-1].endswith(f" · {status}")
    assert image.find(f"{SVG}desc").text.endswith(f", {status.lower()}")


def test_moving_a_drive_s_end_shows_at_once(client, app):
    drive = make_drive(starts_in=timedelta(days=-5), ends_in=timedelta(days=10))
    assert client.get("/api/v1/drives/d").get_json()["state"] == "running"

    update_drive(drive, ends_at=utcnow() - timedelta(minutes=1))

    assert client.get("/api/v1/drives/d").get_json()["state"] == "ended"
    assert page(client, "d").text("status") == "· Ended"
