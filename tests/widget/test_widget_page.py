"""The iframe page, the SVG image and the script-tag embed: figures formatted through
Babel, an accessible bar capped at 100%, and nothing a drive or donor typed ever
reaching a page as markup."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from donation_drive.ledger import create_drive, record_offline_donation, update_drive
from donation_drive.ledger.validation import parse_datetime

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE_TITLE = '<script>alert(1)</script>"><img src=x onerror=alert(2)> & Co'


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text inside each data-testid."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text_by_testid: dict[str, str] = {}
        self._open_testids: list[tuple[str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "data-testid" in attributes:
            self._open_testids.append((tag, attributes["data-testid"] or ""))
            self.text_by_testid.setdefault(attributes["data-testid"] or "", "")

    def handle_endtag(self, tag):
        if self._open_testids and self._open_testids[-1][0] == tag:
            self._open_testids.pop()

    def handle_data(self, data):
        for _tag, testid in self._open_testids:
            self.text_by_testid[testid] += data

    def one(self, **wanted: str) -> dict[str, str | None]:
        found = [
            attrs for _tag, attrs in self.tags if all(attrs.get(k) == v for k, v in wanted.items())
        ]
        assert len(found) == 1, f"expected one element with {wanted}, found {len(found)}"
        return found[0]

    def text(self, testid: str) -> str:
        return " ".join(self.text_by_testid[testid].split())


def page(client, slug: str = "eoy") -> Elements:
    response = client.get(f"/widget/{slug}")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return Elements(response.get_data(as_text=True))


def parse_svg(body: str) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - our own response, in a test


def svg(client, slug: str = "eoy") -> ET.Element:
    response = client.get(f"/widget/{slug}.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    return parse_svg(response.get_data(as_text=True))


def svg_bar_width(root: ET.Element) -> float:
    track, fill = root.findall(f"{SVG}rect")[1:3]
    assert track.get("fill") != fill.get("fill")
    return float(fill.get("width")) / float(track.get("width"))


def test_page_shows_goal_raised_and_percent_formatted_for_the_currency(client, drive, give):
    give(500_000)
    give(70_600)

    widget = page(client)

    assert widget.text("raised") == "$5,706"
    assert widget.text("goal") == "$75,000"
    assert widget.text("percent") == "7.6%"


def test_cents_are_shown_when_the_total_has_them(client, drive, give):
    give(570_650)

    assert page(client).text("raised") == "$5,706.50"


def test_page_bar_is_an_accessible_progressbar(client, drive, give):
    give(570_600)

    widget = page(client)

    bar = widget.one(role="progressbar")
    assert bar["aria-valuemin"] == "0"
    assert bar["aria-valuemax"] == "100"
    assert bar["aria-valuenow"] == "7.6"
    assert bar["aria-valuetext"] == "$5,706 raised of $75,000 goal (7.6%)"
    assert bar["aria-label"]
    assert widget.one(**{"data-testid": "fill"})["width"] == "7.6%"


def test_bar_is_capped_at_100_percent_while_the_text_shows_the_true_percent(client, drive, give):
    give(9_000_000)  # $90,000 of $75,000

    widget = page(client)
    bar = widget.one(role="progressbar")
    image = svg(client)

    assert widget.text("percent") == "120%"
    assert widget.text("raised") == "$90,000"
    assert bar["aria-valuenow"] == "100"
    assert bar["aria-valuetext"] == "$90,000 raised of $75,000 goal (120%)"
    assert widget.one(**{"data-testid": "fill"})["width"] == "100%"
    assert svg_bar_width(image) == 1.0
    assert "120%" in image.find(f"{SVG}desc").text


def test_figures_follow_the_drive_locale_and_currency(client, app):
    euro_drive = create_drive(
        slug="spendenaktion",
        title="Spendenaktion",
        goal_amount=1_000_000,
        currency="EUR",
        locale="de_DE",
        starts_at=parse_datetime("2026-11-01", "starts"),
        ends_at=parse_datetime("2026-12-31", "ends"),
    )
    record_offline_donation(
        euro_drive,
        amount=123_456,
        method="cash",
        received_at=parse_datetime("2026-11-02", "received"),
        entered_by="test",
        send_receipt=False,
    )

    widget = page(client, "spendenaktion")

    assert widget.text("raised") == "1.234,56 €"
    assert widget.text("goal") == "10.000 €"
    assert widget.text("percent") == "12,3%"


def test_svg_has_a_text_alternative_and_a_proportional_bar(client, drive, give):
    give(570_600)

    image = svg(client)

    assert image.get("role") == "img"
    title = image.find(f"{SVG}title")
    desc = image.find(f"{SVG}desc")
    assert title.text == "End of the Year Donation Drive"
    assert set(image.get("aria-labelledby").split()) == {title.get("id"), desc.get("id")}
    assert "$5,706 raised of $75,000" in desc.text
    assert "7.6%" in desc.text
    assert svg_bar_width(image) == pytest.approx(0.076, abs=0.0001)


def test_svg_is_an_image_sized_for_a_300px_column(client, drive):
    image = svg(client)

    assert image.get("viewBox") == "0 0 320 96"
    assert int(image.get("width")) <= 320


def test_hostile_drive_title_is_escaped_in_the_page(client, drive):
    update_drive(drive, title=HOSTILE_TITLE)

    html = client.get("/widget/eoy").get_data(as_text=True)
    widget = Elements(html)

    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert [
        tag for tag, a in widget.tags if tag == "img" or (tag == "script" and not a.get("src"))
    ] == []
    # The title survives as text, and names the widget.
    assert widget.text("title") == HOSTILE_TITLE
    box = widget.one(**{"class": "dd-widget dd-theme-light dd-layout-standard"})
    assert box["aria-labelledby"] == "dd-title"
    assert widget.one(**{"data-testid": "title"})["id"] == "dd-title"


def test_hostile_drive_title_is_escaped_in_the_svg(client, drive):
    update_drive(drive, title=HOSTILE_TITLE)

    body = client.get("/widget/eoy.svg").get_data(as_text=True)
    image = parse_svg(body)  # still well-formed XML

    assert "<script>" not in body
    assert "<img" not in body
    assert image.find(f"{SVG}title").text == HOSTILE_TITLE
    assert {element.tag for element in image.iter()} <= {
        f"{SVG}{name}" for name in ("svg", "title", "desc", "rect", "text", "tspan")
    }


def test_hostile_donor_names_and_messages_never_reach_the_widget(client, drive, give):
    give(
        1_000,
        name="<script>steal()</script>",
        display_name='"><img src=x onerror=alert(3)>',
        message="<iframe src=//evil>",
    )

    for url in ("/widget/eoy", "/widget/eoy.svg", "/api/v1/drives/eoy"):
        body = client.get(url).get_data(as_text=True)
        assert "steal()" not in body
        assert "onerror" not in body
        assert "evil" not in body


def test_page_and_image_share_the_caching_rules_of_the_json(client, drive):
    for url in ("/widget/eoy", "/widget/eoy.svg"):
        response = client.get(url)
        assert "max-age=1," in response.headers["Cache-Control"]
        assert "stale-while-revalidate=1" in response.headers["Cache-Control"]
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_page_may_be_framed_by_any_site(client, drive):
    response = client.get("/widget/eoy")

    assert "X-Frame-Options" not in response.headers
    assert "frame-ancestors *" in response.headers["Content-Security-Policy"]


def test_page_has_no_inline_script_or_style(client, drive):
    widget = page(client)

    assert [tag for tag, _ in widget.tags if tag == "style"] == []
    # One script, our own file (the live refresh), nothing inline.
    scripts = [attrs for tag, attrs in widget.tags if tag == "script"]
    assert [attrs["src"] for attrs in scripts] == ["/static/widget/live.js"]
    assert [attrs for _, attrs in widget.tags if "style" in attrs] == []


def test_unknown_drive_page_and_image_are_404(client, drive):
    assert client.get("/widget/nope").status_code == 404
    assert client.get("/widget/nope.svg").status_code == 404


def test_embed_script_is_served_as_javascript_to_any_origin(client):
    response = client.get("/widget/embed.js")

    assert response.status_code == 200
    assert response.mimetype in ("text/javascript", "application/javascript")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age" in response.headers["Cache-Control"]
    script = response.get_data(as_text=True)
    assert "/api/v1/drives/" in script
    assert "innerHTML" not in script  # server text is only ever set as textContent
