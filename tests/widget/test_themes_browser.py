"""Themes and layouts in Chromium: the iframe page and the script embed (on a host
page of another origin), each layout at 200, 300 and 600 px wide, light and dark,
with an accent. Each is saved as a screenshot in test-artifacts/ and must fit its
width (no horizontal scrolling), show its figures and bar, paint the theme's
background and the accent on the bar; axe-core finds no violation in any of them,
an accent that reads badly on white (yellow) included; auto follows the reader's
``prefers-color-scheme`` in the page, the embed and the image."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from donation_drive.ledger import update_drive
from donation_drive.widget.themes import DARK, LIGHT, Theme, palette

from ..conftest import ARTIFACTS
from ..peers.host_page import serve_host_page
from .conftest import GIVEN_AT
from .test_accessibility_browser import axe_violations

pytestmark = pytest.mark.browser

LAYOUTS = ["compact", "standard", "banner"]
WIDTHS = [200, 300, 600]
SCHEMES = ["light", "dark"]
ACCENT = "#c0392b"


def rgb(colour: str) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


@pytest.fixture
def busy_drive(running_drive):
    """A drive showing every line the widget has: a match, the counting line, checks
    and gift cards, and a title long enough to wrap in a sidebar."""
    from donation_drive.ledger import record_offline_donation

    update_drive(
        running_drive,
        title="End of the Year Donation Drive for Independent Patient Advocacy",
        match_cap_amount=1_000_000,
        match_sponsor="Acme Pharmacy",
        counting_line_shown=True,
    )
    for cents, method in ((150_000, "check"), (45_000, "amazon_gift_card"), (375_600, "paypal")):
        record_offline_donation(
            running_drive,
            amount=cents,
            method=method,
            received_at=GIVEN_AT,
            entered_by="test",
            send_receipt=False,
        )
    return running_drive


@pytest.fixture
def reader(browser) -> Iterator:
    contexts = []

    def open_page(width: int, scheme: str = "light", **options):
        context = browser.new_context(
            viewport={"width": width, "height": 900}, color_scheme=scheme, **options
        )
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        return page

    yield open_page
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def check_rendering(box, bar, fill, raised, width: int, scheme: str) -> None:
    colours = palette(Theme(scheme=scheme, accent=ACCENT), dark=scheme == "dark")
    facts = box.evaluate(
        """e => ({scroll: e.scrollWidth, client: e.clientWidth,
                  right: e.getBoundingClientRect().right,
                  background: getComputedStyle(e).backgroundColor})"""
    )
    assert facts["scroll"] <= facts["client"], facts  # nothing sticks out sideways
    assert facts["right"] <= width
    assert facts["background"] == rgb(colours.background)
    for part in (bar, fill, raised):
        assert part.is_visible()
    assert fill.bounding_box()["width"] > 0
    assert bar.bounding_box()["width"] <= width
    assert raised.inner_text() == "$5,706"
    assert raised.evaluate("e => getComputedStyle(e).color") == rgb(colours.accent_text)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_iframe_page_fits_and_shows_its_theme(
    reader, live_server, busy_drive, layout, width, scheme
):
    page = reader(width)
    page.goto(f"{live_server.url}/widget/eoy?theme={scheme}&layout={layout}&accent=%23c0392b")
    document = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    screenshot(page, f"widget-page-{layout}-{scheme}-{width}")

    assert document[0] <= document[1]
    check_rendering(
        page.locator(".dd-widget"),
        page.get_by_role("progressbar"),
        page.get_by_test_id("fill"),
        page.get_by_test_id("raised"),
        width,
        scheme,
    )
    assert page.get_by_test_id("fill").evaluate("e => getComputedStyle(e).fill") == rgb(ACCENT)
    assert (
        page.get_by_test_id("counting")
        .inner_text()
        .startswith(
            "Includes $1,950 in checks and gift cards · $5,706 matched not included · updated"
        )
    )
    assert page.errors == []


def embed_page(base: str, width: int, **data: str) -> str:
    attributes = " ".join(f'data-{key}="{value}"' for key, value in data.items())
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A post</title><style>body {{ margin: 0 }} aside {{ width: {width}px }}</style></head>
<body><main><aside><h1>Sidebar</h1>
<script src="{base}/widget/embed.js" data-drive="eoy" {attributes} async></script>
</aside></main></body></html>"""


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_the_script_embed_fits_and_shows_its_theme(
    reader, live_server, busy_drive, layout, width, scheme
):
    page = reader(width)
    html = embed_page(live_server.url, width, theme=scheme, layout=layout, accent=ACCENT)
    with serve_host_page(html) as url:
        page.goto(url)
        widget = page.locator(".donation-drive-widget")
        widget.locator(".r").wait_for()
        # The accent's stylesheet has come in when the bar wears the accent.
        page.wait_for_function(
            """() => {const r = document.querySelector('.donation-drive-widget').shadowRoot;
                      return getComputedStyle(r.querySelector('.fill')).backgroundColor
                        === 'rgb(192, 57, 43)'}"""
        )
        document = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        screenshot(page, f"widget-embed-{layout}-{scheme}-{width}")

        assert document[0] <= document[1]
        check_rendering(
            widget.locator(".w"),
            widget.get_by_role("progressbar"),
            widget.locator(".fill"),
            widget.locator(".r"),
            width,
            scheme,
        )
        assert widget.locator(".c").inner_text().startswith("Includes $1,950 in checks")
        # The host page's own styles are untouched by the theme.
        assert page.locator("h1").evaluate("e => getComputedStyle(e).color") == "rgb(0, 0, 0)"
    assert page.errors == []


@pytest.mark.parametrize("accent", [ACCENT, "#ffff00", ""], ids=["red", "yellow", "default"])
@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_axe_finds_no_violation_in_any_look(
    reader, live_server, busy_drive, layout, scheme, accent
):
    page = reader(300, bypass_csp=True)  # axe comes in with the page's CSP bypassed
    query = f"theme={scheme}&layout={layout}" + (f"&accent=%23{accent[1:]}" if accent else "")
    page.goto(f"{live_server.url}/widget/eoy?{query}")
    assert axe_violations(page) == []

    data = {"theme": scheme, "layout": layout, **({"accent": accent} if accent else {})}
    with serve_host_page(embed_page(live_server.url, 300, **data)) as url:
        page.goto(url)
        page.locator(".donation-drive-widget .r").wait_for()
        if accent:
            page.wait_for_function(
                f"""() => getComputedStyle(document.querySelector('.donation-drive-widget')
                    .shadowRoot.querySelector('.fill')).backgroundColor === '{rgb(accent)}'"""
            )
        assert axe_violations(page, '".donation-drive-widget"') == []


@pytest.mark.parametrize("scheme", SCHEMES)
def test_auto_follows_the_readers_preference(reader, live_server, busy_drive, scheme):
    update_drive(busy_drive, widget_theme="auto")  # the drive's default this time
    expected = rgb((DARK if scheme == "dark" else LIGHT).background)
    page = reader(480, scheme)

    page.goto(f"{live_server.url}/widget/eoy")
    framed = page.locator(".dd-widget").evaluate("e => getComputedStyle(e).backgroundColor")

    page.goto(f"{live_server.url}/widget/eoy.svg")
    image = page.locator("rect.bg").evaluate("e => getComputedStyle(e).fill")

    with serve_host_page(embed_page(live_server.url, 480)) as url:
        page.goto(url)
        page.locator(".donation-drive-widget .r").wait_for()
        scripted = page.locator(".donation-drive-widget .w").evaluate(
            "e => getComputedStyle(e).backgroundColor"
        )
        screenshot(page, f"widget-embed-auto-{scheme}")

    assert (framed, image, scripted) == (expected, expected, expected)


def test_a_bad_data_attribute_is_reported_and_the_default_used(reader, live_server, busy_drive):
    page = reader(480)
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text) if m.type == "error" else None)
    html = embed_page(live_server.url, 480, theme="sepia", accent="red;}*{color:red")
    with serve_host_page(html) as url:
        page.goto(url)
        page.locator(".donation-drive-widget .r").wait_for()
        classes = page.locator(".donation-drive-widget .w").get_attribute("class")

    assert classes == "w dd-widget dd-theme-light dd-layout-standard"
    assert any("data-theme must be one of light, dark, auto" in m for m in messages)
    assert any("data-accent must be a hex colour" in m for m in messages)


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_every_line_of_the_image_fits_inside_it(reader, live_server, busy_drive, layout, scheme):
    page = reader(700)
    url = f"{live_server.url}/widget/eoy.svg?theme={scheme}&layout={layout}&accent=%23c0392b"
    page.goto(url)
    width = int(page.locator("svg").get_attribute("width"))
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('text')].map(t => {
            const b = t.getBBox();
            return {left: b.x, right: b.x + b.width, text: t.textContent}})"""
    )
    background = page.locator("rect.bg").evaluate("e => getComputedStyle(e).fill")
    # As readers see it: an <img> in a page (an SVG document itself takes no screenshot).
    page.goto(f"{live_server.url}/widget/eoy?theme={scheme}")  # a page of the app's origin
    page.evaluate(
        """url => new Promise((done, failed) => {
            document.body.replaceChildren();
            const img = new Image(); img.onload = done; img.onerror = failed; img.src = url;
            document.body.append(img);})""",
        url,
    )
    screenshot(page, f"widget-image-{layout}-{scheme}")

    assert len(boxes) == 5  # title, figures, meta, the match line and the counting line
    for box in boxes:
        assert box["left"] >= 0 and box["right"] <= width - 4, box
    assert background == rgb((DARK if scheme == "dark" else LIGHT).background)


@pytest.mark.parametrize("lines", [0, 1, 2], ids=["no-line", "counting", "counting-and-match"])
@pytest.mark.parametrize(
    ("layout", "width"), [("compact", 200), ("standard", 300), ("banner", 480)]
)
def test_the_iframe_snippet_is_tall_enough_for_its_layout(
    reader, live_server, running_drive, layout, width, lines
):
    from donation_drive.admin.drives.widget_look import widget_snippets
    from donation_drive.ledger import drive_progress, record_offline_donation

    update_drive(
        running_drive,
        widget_layout=layout,
        counting_line_shown=lines >= 1,
        match_cap_amount=1_000_000 if lines >= 2 else None,
    )
    record_offline_donation(
        running_drive,
        amount=150_000,
        method="check",
        received_at=GIVEN_AT,
        entered_by="test",
        send_receipt=False,
    )
    snippet = widget_snippets(drive_progress("eoy"), live_server.url).iframe
    height = int(re.search(r'height="(\d+)"', snippet).group(1))
    page = reader(width)
    page.goto(f"{live_server.url}/widget/eoy")

    assert page.evaluate("() => document.body.scrollHeight") <= height
