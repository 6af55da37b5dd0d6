"""Goals beyond the goal: a stretch goal the bar continues toward once the goal is
passed, and a match pledge shown beside the total (default) or added to it (a drive
setting). The JSON, the iframe page and the image show the same figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from donation_drive.errors import InvalidInput
from donation_drive.ledger import update_drive

from .test_widget_page import Elements

SVG = "{http://www.w3.org/2000/svg}"


def figures(client) -> tuple[dict, Elements, ET.Element]:
    body = client.get("/api/v1/drives/eoy").get_json()
    page = Elements(client.get("/widget/eoy").get_data(as_text=True))
    image = ET.fromstring(client.get("/widget/eoy.svg").get_data(as_text=True))  # noqa: S314
    return body, page, image


def svg_texts(image: ET.Element) -> str:
    return " | ".join("".join(t.itertext()) for t in image.iter(f"{SVG}text"))


def test_without_goals_beyond_the_goal_nothing_extra_is_shown(client, drive, give):
    give(570_600)
    body, page, image = figures(client)

    assert body["stretch_goal_amount"] is None
    assert body["match"] is None
    assert body["counted_amount"] == body["raised_amount"] == 570_600
    assert body["target_amount"] == 7_500_000
    assert "hidden" in page.one(**{"data-testid": "stretch"})
    assert "hidden" in page.one(**{"data-testid": "match"})
    assert len(image.findall(f"{SVG}text")) == 3
    assert image.get("height") == "96"


def test_past_the_goal_the_bar_runs_toward_the_stretch_goal(client, drive, give):
    update_drive(drive, stretch_goal_amount=10_000_000)
    give(9_000_000)  # $90,000: 120% of the $75,000 goal, 90% of the $100,000 stretch

    body, page, image = figures(client)

    assert (body["stretch_goal_amount"], body["target_amount"]) == (10_000_000, 10_000_000)
    assert body["percent"] == 120.0
    assert page.text("percent") == "120%"
    line = "Goal reached! Stretch goal: $100,000 (90%)"
    assert page.text("stretch") == line
    assert line in svg_texts(image)
    assert line in image.find(f"{SVG}desc").text
    bar = page.one(role="progressbar")
    assert bar["aria-valuenow"] == "90"
    assert bar["aria-valuetext"] == (
        "$90,000 raised of $75,000 goal (120%), stretch goal $100,000 (90%)"
    )
    assert page.one(**{"data-testid": "fill"})["width"] == "90%"
    fill = image.findall(f"{SVG}rect")[2]
    assert float(fill.get("width")) == pytest.approx(292 * 0.9)


def test_below_the_goal_a_stretch_goal_is_not_shown_yet(client, drive, give):
    update_drive(drive, stretch_goal_amount=10_000_000)
    give(570_600)

    body, page, _ = figures(client)

    assert body["target_amount"] == 7_500_000
    assert page.text("stretch") == ""
    assert page.one(**{"data-testid": "fill"})["width"] == "7.6%"


def test_a_match_is_shown_beside_the_total_by_default(client, drive, give):
    update_drive(drive, match_cap_amount=1_000_000, match_sponsor="Acme Pharmacy")
    give(250_000)

    body, page, image = figures(client)

    assert body["match"] == {
        "cap_amount": 1_000_000,
        "sponsor": "Acme Pharmacy",
        "matched_amount": 250_000,
        "added_to_total": False,
    }
    assert body["counted_amount"] == body["raised_amount"] == 250_000
    assert body["percent"] == 3.3
    assert page.text("raised") == "$2,500"
    line = "+ $2,500 matched: every gift matched up to $10,000 by Acme Pharmacy"
    assert page.text("match") == line
    # The image shows the line as far as it fits, and says all of it in its <desc>.
    assert "+ $2,500 matched: every gift matched up to" in svg_texts(image)
    assert line in image.find(f"{SVG}desc").text
    # A second segment of the bar, after the donors' own money.
    own = page.one(**{"data-testid": "fill"})
    matched = page.one(**{"data-testid": "match-fill"})
    assert (own["width"], matched["x"], matched["width"]) == ("3.3%", "3.3%", "3.3%")
    assert page.one(role="progressbar")["aria-valuetext"] == (
        "$2,500 raised of $75,000 goal (3.3%), plus $2,500 matched"
    )


def test_a_match_stops_at_its_cap_and_may_be_added_to_the_total(client, drive, give):
    update_drive(drive, match_cap_amount=1_000_000, match_added_to_total=True)
    give(1_500_000)  # $15,000 given; $10,000 of it matched

    body, page, image = figures(client)

    assert body["match"]["matched_amount"] == 1_000_000
    assert body["raised_amount"] == 1_500_000  # the ledger's figure, never changed
    assert body["counted_amount"] == 2_500_000
    assert body["percent"] == 33.3
    assert page.text("raised") == "$25,000"
    assert page.text("match") == "Includes $10,000 matched: every gift matched up to $10,000"
    assert "$25,000" in svg_texts(image)
    assert page.one(**{"data-testid": "fill"})["width"] == "20%"
    assert page.one(**{"data-testid": "match-fill"})["width"] == "13.3%"
    assert page.one(role="progressbar")["aria-valuenow"] == "33.3"


def test_a_hostile_sponsor_name_stays_text(client, drive, give):
    update_drive(drive, match_cap_amount=1_000, match_sponsor='<script>x()</script>"><b>')
    give(500)

    for url in ("/widget/eoy", "/widget/eoy.svg"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>x()" not in body
        assert "<b>" not in body
    assert client.get("/api/v1/drives/eoy").get_json()["match"]["sponsor"].startswith("<script>")


def test_a_stretch_goal_must_be_above_the_goal(client, drive):
    with pytest.raises(InvalidInput) as refused:
        update_drive(drive, stretch_goal_amount=7_500_000)
    assert refused.value.field == "stretch_goal"
    update_drive(drive, stretch_goal_amount=None)
    assert client.get("/api/v1/drives/eoy").get_json()["stretch_goal_amount"] is None


def test_the_script_embed_gets_the_pages_words_in_the_json(client, drive, give):
    """embed.js writes the JSON's ``text`` (no words of its own): the same lines, the
    same accessible value and the same figures as the iframe page."""
    update_drive(
        drive, stretch_goal_amount=10_000_000, match_cap_amount=1_000_000, match_sponsor="Acme"
    )
    give(9_000_000)
    body, page, _ = figures(client)

    text = body["text"]
    assert text["stretch_line"] == page.text("stretch") != ""
    assert text["match_line"] == page.text("match") != ""
    assert text["value_text"] == page.one(role="progressbar")["aria-valuetext"]
    assert (text["raised"], text["goal"]) == (page.text("raised"), page.text("goal"))
    assert f"{text['percent']} · {text['donors']} · {text['status']}" == " ".join(
        page.text(name) for name in ("percent", "donors", "status")
    )
    assert text["lang"] == "en-US"
