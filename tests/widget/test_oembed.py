"""oEmbed, checked against the specification (https://oembed.com, sections 2.2-2.4
and 4): a ``rich`` response in JSON and XML for a drive's widget or donate URL,
its required and optional fields, ``maxwidth``/``maxheight`` respected, 404 for a
URL this service has nothing for, 501 for another format, and discovery links on
the widget and donate pages that lead to that response. Debian's WordPress as a real
consumer of them: test_wordpress_browser.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from donation_drive.ledger import update_drive

BASE = "http://127.0.0.1:5000"  # PUBLIC_BASE_URL in the tests
HOSTILE_TITLE = '"><script>alert(1)</script>'


class Tags(HTMLParser):
    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def oembed(client, url: str, **params: str):
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in {"url": url, **params}.items())
    return client.get(f"/oembed?{query}")


@pytest.fixture(autouse=True)
def _base(app):
    app.config["PUBLIC_BASE_URL"] = BASE


@pytest.mark.parametrize("path", ["/widget/eoy", "/donate/eoy", "/widget/eoy?theme=dark"])
def test_a_widget_or_donate_url_gets_a_rich_response_with_the_iframe(client, drive, path):
    response = oembed(client, BASE + path)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    # Required for every type (2.3.4), and for rich: html, width, height (2.3.4.4).
    assert body["version"] == "1.0"
    assert body["type"] == "rich"
    assert isinstance(body["width"], int) and isinstance(body["height"], int)
    assert body["title"] == drive.title
    assert body["provider_url"] == BASE + "/"
    assert body["provider_name"]
    assert isinstance(body["cache_age"], int)
    tags = Tags(body["html"]).tags
    # The frame, after a hidden link for consumers without frames (and WordPress's
    # cue to load the script that shows and sizes the frame: test_wordpress_browser).
    assert [tag for tag, _ in tags] == ["blockquote", "a", "iframe"]
    assert "hidden" in tags[0][1]
    assert tags[1][1]["href"] == f"{BASE}/donate/eoy"
    frame = tags[2][1]
    assert frame["src"] == f"{BASE}/widget/eoy"
    assert (frame["width"], frame["height"]) == (str(body["width"]), str(body["height"]))
    assert frame["title"]


def test_the_xml_format_carries_the_same_fields(client, drive):
    as_json = oembed(client, f"{BASE}/widget/eoy").get_json()
    response = oembed(client, f"{BASE}/widget/eoy", format="xml")

    assert response.status_code == 200
    assert response.mimetype == "text/xml"
    body = response.get_data(as_text=True)
    assert body.startswith('<?xml version="1.0" encoding="utf-8" standalone="yes"?>')
    root = ET.fromstring(body.split("\n", 1)[1])  # noqa: S314 - our own answer
    assert root.tag == "oembed"
    fields = {child.tag: child.text for child in root}
    assert fields == {key: str(value) for key, value in as_json.items()}
    assert "&lt;iframe" in body  # the html is escaped text in XML (2.3.4)


def test_maxwidth_and_maxheight_are_respected(client, drive):
    narrow = oembed(client, f"{BASE}/widget/eoy", maxwidth="300", maxheight="210").get_json()
    wide = oembed(client, f"{BASE}/widget/eoy", maxwidth="2000").get_json()

    assert (narrow["width"], narrow["height"]) == (300, 210)
    assert wide["width"] <= 2000 and wide["width"] == 480
    # Too small for the widget to read at: no response rather than a broken one.
    assert oembed(client, f"{BASE}/widget/eoy", maxwidth="120").status_code == 404
    assert oembed(client, f"{BASE}/widget/eoy", maxwidth="wide").status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/widget/nope",
        f"{BASE}/donate/nope",
        f"{BASE}/admin/",
        f"{BASE}/widget/eoy.svg/x",
        "https://elsewhere.example/widget/eoy",
        "http://127.0.0.1:5001/widget/eoy",
        "javascript:alert(1)",
    ],
)
def test_a_url_without_an_embed_is_404(client, drive, url):
    response = oembed(client, url)
    assert response.status_code == 404
    assert response.get_json()["error"]


def test_other_formats_are_501_and_a_missing_url_is_400(client, drive):
    assert oembed(client, f"{BASE}/widget/eoy", format="yaml").status_code == 501
    response = client.get("/oembed")
    assert response.status_code == 400
    assert "url" in response.get_json()["error"]


def test_a_hostile_title_stays_text_in_the_embed_html(client, drive):
    update_drive(drive, title=HOSTILE_TITLE)

    body = oembed(client, f"{BASE}/widget/eoy").get_json()

    assert body["title"] == HOSTILE_TITLE
    tags = Tags(body["html"]).tags
    assert [tag for tag, _ in tags] == ["blockquote", "a", "iframe"]
    assert tags[2][1]["title"].startswith(HOSTILE_TITLE)
    assert "<script>" not in body["html"]


@pytest.mark.parametrize("path", ["/widget/eoy", "/donate/eoy"])
def test_pages_carry_discovery_links_to_their_own_response(client, running_drive, path):
    html = client.get(path).get_data(as_text=True)
    links = [
        attrs for tag, attrs in Tags(html).tags if tag == "link" and attrs.get("rel") == "alternate"
    ]

    assert {link["type"] for link in links} == {"application/json+oembed", "text/xml+oembed"}
    for link in links:
        href = urlsplit(link["href"])
        assert f"{href.scheme}://{href.netloc}" == BASE
        assert parse_qs(href.query)["url"] == [BASE + path]
        response = client.get(f"{href.path}?{href.query}")
        assert response.status_code == 200
        expected = "application/json" if "json" in link["type"] else "text/xml"
        assert response.mimetype == expected
        assert link["title"] == running_drive.title


def test_any_origin_may_read_the_response(client, drive):
    response = oembed(client, f"{BASE}/widget/eoy")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
