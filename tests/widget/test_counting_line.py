"""The counting rule line, a drive setting: what the total includes by hand (from the
ledger's per-method breakdown, never a scan of the gifts), how the match counts, and
when the figures last changed. The JSON, the page and the image say the same."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import event

from donation_drive.extensions import db
from donation_drive.ledger import update_drive
from donation_drive.ledger.totals import drive_progress
from donation_drive.widget.presentation import counting_line

from .test_widget_page import Elements

SVG = "{http://www.w3.org/2000/svg}"


def figures(client) -> tuple[dict, str, str]:
    body = client.get("/api/v1/drives/eoy").get_json()
    page = Elements(client.get("/widget/eoy").get_data(as_text=True)).text("counting")
    image = ET.fromstring(client.get("/widget/eoy.svg").get_data(as_text=True))  # noqa: S314
    return body, page, image.find(f"{SVG}desc").text


def test_without_the_setting_there_is_no_line(client, drive, give):
    give(150_000, method="check")

    body, page, desc = figures(client)

    assert body["counting"] is None
    assert page == ""
    assert "checks" not in desc


def test_the_line_names_the_money_recorded_by_hand(client, drive, give):
    update_drive(drive, counting_line_shown=True)
    give(150_000, method="check")
    give(45_000, method="amazon_gift_card")
    give(120_000, method="paypal")  # a provider's: not in the line

    body, page, desc = figures(client)

    assert body["counting"]["offline_amount"] == 195_000
    assert body["counting"]["offline_by_method"] == {"check": 150_000, "amazon_gift_card": 45_000}
    line = body["counting"]["line"]
    assert line.startswith("Includes $1,950 in checks and gift cards · updated ")
    assert re.search(r"updated (1 minute|\d+ minutes|\d+ hours?|\d+ days?) ago$", line)
    assert page == line
    assert line in desc
    assert body["raised_amount"] == 315_000  # the whole total, the line only explains it


def test_the_line_explains_a_match_shown_beside_or_added(client, drive, give):
    update_drive(drive, counting_line_shown=True, match_cap_amount=1_000_000)
    give(250_000, method="paypal")

    body, page, desc = figures(client)
    assert page.startswith("$2,500 matched not included · updated")
    assert page == body["counting"]["line"]
    assert page in desc

    update_drive(drive, match_added_to_total=True)
    body, page, desc = figures(client)
    assert page.startswith("Includes $2,500 matched · updated")
    assert page == body["counting"]["line"]
    assert page in desc


def test_refunds_and_voids_leave_the_line_as_the_ledger_counts(client, drive, give):
    from donation_drive.ledger import void_donation

    update_drive(drive, counting_line_shown=True)
    give(150_000, method="check")
    gift = give(30_000, method="cash")
    void_donation(gift.id, actor="t", reason="entered twice")

    body, page, _ = figures(client)

    assert body["counting"]["offline_by_method"] == {"check": 150_000}
    assert page.startswith("Includes $1,500 in checks ·")


def test_updated_says_how_long_ago_the_figures_changed(app, drive, give):
    update_drive(drive, counting_line_shown=True)
    give(1_000)
    progress = drive_progress("eoy")

    assert counting_line(progress, progress.updated_at + timedelta(minutes=2)).endswith(
        "in checks · updated 2 minutes ago"
    )
    assert counting_line(progress, progress.updated_at + timedelta(seconds=5)).endswith(
        "updated 1 minute ago"
    )
    # A clock a little behind never says "in 1 minute".
    assert counting_line(progress, progress.updated_at - timedelta(seconds=30)).endswith(
        "updated 1 minute ago"
    )


def test_the_line_is_read_from_the_breakdown_not_the_gifts(client, drive, give):
    update_drive(drive, counting_line_shown=True)
    for _ in range(3):
        give(10_000, method="check")
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        for url in ("/api/v1/drives/eoy", "/widget/eoy", "/widget/eoy.svg"):
            assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)

    assert statements
    assert not [s for s in statements if re.search(r"\bFROM donations\b", s)]
    assert [s for s in statements if "drive_hour_totals" in s]


@pytest.mark.parametrize("layout", ["compact", "standard", "banner"])
def test_the_image_grows_a_line_for_it(client, drive, give, layout):
    update_drive(drive, counting_line_shown=True, widget_layout=layout)
    give(1_000)
    with_line = ET.fromstring(client.get("/widget/eoy.svg").get_data(as_text=True))  # noqa: S314
    update_drive(drive, counting_line_shown=False)
    without = ET.fromstring(client.get("/widget/eoy.svg").get_data(as_text=True))  # noqa: S314

    assert int(with_line.get("height")) > int(without.get("height"))
    assert len(with_line.findall(f"{SVG}text")) == len(without.findall(f"{SVG}text")) + 1
