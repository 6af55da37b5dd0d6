"""Themes and layouts (widget/themes.py): the drive's defaults, ?theme=&layout=&accent=
on the page and the image, a 400 naming the parameter for anything else and nothing
of it reflected, the accent's stylesheet, and palettes that read at 4.5:1 and are the
same in widget.css, embed.js and the image."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from donation_drive.ledger import update_drive
from donation_drive.widget.themes import (
    DARK,
    LIGHT,
    MIN_TEXT_CONTRAST,
    Theme,
    contrast,
    palette,
)

from .test_widget_page import Elements

SVG = "{http://www.w3.org/2000/svg}"
STATIC = Path(__file__).parents[2] / "donation_drive" / "static" / "widget"
ACCENTS = ["#c0392b", "#ffff00", "#777777", "#000000", "#ffffff", "#0000ff", "#00ff88"]


def box_classes(client, query: str = "") -> str:
    page = Elements(client.get(f"/widget/eoy{query}").get_data(as_text=True))
    return page.one(**{"data-live": None, "aria-labelledby": "dd-title"})["class"]


def test_the_drive_defaults_to_light_standard_and_its_green(client, drive):
    assert box_classes(client) == "dd-widget dd-theme-light dd-layout-standard"
    assert client.get("/api/v1/drives/eoy").get_json()["widget"] == {
        "theme": "light",
        "layout": "standard",
        "accent": None,
    }


def test_the_query_string_overrides_the_drive_defaults(client, drive):
    update_drive(drive, widget_theme="dark", widget_layout="banner", widget_accent="#123456")

    assert box_classes(client) == "dd-widget dd-theme-dark dd-layout-banner dd-accent"
    assert box_classes(client, "?theme=auto&layout=compact&accent=%23C0392B") == (
        "dd-widget dd-theme-auto dd-layout-compact dd-accent"
    )
    page = client.get("/widget/eoy?accent=c33").get_data(as_text=True)
    assert 'href="/widget/accent/cc3333.css"' in page  # one spelling: #rrggbb
    # Empty means the default; other parameters (the live script's refresh) are left alone.
    assert box_classes(client, "?theme=&layout=&accent=&refresh=5") == (
        "dd-widget dd-theme-dark dd-layout-banner dd-accent"
    )


@pytest.mark.parametrize("path", ["/widget/eoy", "/widget/eoy.svg"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("theme=sepia", "theme"),
        ("layout=huge", "layout"),
        ("accent=red", "accent"),
        ("accent=%2312345", "accent"),
        ("accent=%23c0392b%3B%7Dbody%7Bcolor%3Ared", "accent"),
        ("theme=%3Cscript%3Ealert(1)%3C%2Fscript%3E", "theme"),
        ("accent=%3C%2Fstyle%3E%3Cscript%3Ex()%3C%2Fscript%3E", "accent"),
    ],
)
def test_an_unknown_look_is_a_400_naming_the_parameter(client, drive, path, query, field):
    response = client.get(f"{path}?{query}")

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f"<strong>{field}</strong>" in body
    assert "must be" in body
    for fragment in ("<script>", "alert(1)", "x()", "body{color", "12345", "sepia", "huge"):
        assert fragment not in body
    # Not cacheable: nginx keeps no copy of a refusal.
    assert "max-age" not in response.headers.get("Cache-Control", "")


def test_the_accent_stylesheet_is_contrast_checked_and_cached_for_good(client):
    response = client.get("/widget/accent/ffff00.css")

    assert response.status_code == 200
    assert response.mimetype == "text/css"
    assert "immutable" in response.headers["Cache-Control"]
    css = response.get_data(as_text=True)
    assert "--dd-accent:#ffff00;" in css  # the bar as given
    assert "--dd-on-button:#000000" in css  # black reads on yellow, white would not
    light_text = re.search(r"\.dd-accent\{[^}]*--dd-accent-text:(#[0-9a-f]{6})", css).group(1)
    dark_text = re.search(r"dd-theme-dark\{--dd-accent-text:(#[0-9a-f]{6})", css).group(1)
    assert contrast(light_text, LIGHT.background) >= MIN_TEXT_CONTRAST
    assert contrast(dark_text, DARK.background) >= MIN_TEXT_CONTRAST
    for bad in ("FFFF00", "fff", "ffff0g", "ffff00;x"):
        assert client.get(f"/widget/accent/{bad}.css").status_code in (400, 404)


@pytest.mark.parametrize("accent", [None, *ACCENTS])
@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_every_palette_reads_at_4_5_to_1(accent, dark):
    colours = palette(Theme(accent=accent), dark=dark)

    for text in (colours.text, colours.muted, colours.accent_text):
        assert contrast(text, colours.background) >= MIN_TEXT_CONTRAST
    assert contrast(colours.on_button, colours.button) >= MIN_TEXT_CONTRAST
    if accent:
        assert colours.accent == colours.button == accent


def css_palettes(text: str) -> list[dict[str, str]]:
    """Each block of --dd-* colours in a stylesheet (or the script's strings)."""
    blocks = re.findall(r"((?:--dd-[a-z-]+:\s*#[0-9a-f]{6};?\s*(?:\"\s*\+\s*\")?){11})", text)
    return [dict(re.findall(r"--dd-([a-z-]+):\s*(#[0-9a-f]{6})", block)) for block in blocks]


def expected(colours) -> dict[str, str]:
    return {
        "background": colours.background,
        "text": colours.text,
        "muted": colours.muted,
        "border": colours.border,
        "track": colours.track,
        "match": colours.match,
        "accent": colours.accent,
        "accent-text": colours.accent_text,
        "button": colours.button,
        "on-button": colours.on_button,
        "focus": colours.focus,
    }


@pytest.mark.parametrize("name", ["widget.css", "embed.js"])
def test_the_page_and_the_script_carry_the_same_palettes(name):
    found = css_palettes((STATIC / name).read_text())

    assert found[0] == expected(LIGHT)
    assert all(block == expected(DARK) for block in found[1:])
    assert len(found) >= 2


def svg_root(client, query: str = "") -> ET.Element:
    response = client.get(f"/widget/eoy.svg{query}")
    assert response.status_code == 200
    return ET.fromstring(response.get_data(as_text=True))  # noqa: S314


def test_the_image_follows_the_theme_and_layout(client, drive, give):
    give(570_600)

    light = svg_root(client)
    dark = svg_root(client, "?theme=dark&accent=%23c0392b")
    banner = svg_root(client, "?layout=banner")
    compact = svg_root(client, "?layout=compact")

    def rects(root):
        return root.findall(f"{SVG}rect")

    assert rects(light)[0].get("fill") == LIGHT.background
    assert rects(dark)[0].get("fill") == DARK.background
    assert rects(dark)[2].get("fill") == "#c0392b"  # the bar in the accent
    raised = dark.findall(f"{SVG}text")[1]
    assert raised.get("fill") == palette(Theme(accent="#c0392b"), dark=True).accent_text
    assert [int(r.get("width")) for r in (compact, light, banner)] == [240, 320, 640]
    for root in (light, dark, banner, compact):
        track, fill = rects(root)[1:3]
        assert float(fill.get("width")) / float(track.get("width")) == pytest.approx(0.076, 1e-3)
        assert root.find(f"{SVG}style") is None  # only "auto" needs a style sheet


def test_an_auto_image_carries_the_dark_palette_for_a_dark_reader(client, drive):
    root = svg_root(client, "?theme=auto")

    style = root.find(f"{SVG}style").text
    assert "@media (prefers-color-scheme: dark)" in style
    assert f".bg{{fill:{DARK.background}" in style
    assert root.findall(f"{SVG}rect")[0].get("fill") == LIGHT.background  # light otherwise


def test_each_look_is_a_representation_of_its_own(client, drive):
    """Each look has its own ETag, and the query string is the cache's key."""
    tags = {
        query: client.get(f"/widget/eoy{query}").headers["ETag"]
        for query in ("", "?theme=dark", "?layout=compact", "?accent=%23c0392b")
    }
    assert len(set(tags.values())) == 4
    again = client.get("/widget/eoy?theme=dark", headers={"If-None-Match": tags["?theme=dark"]})
    assert again.status_code == 304
