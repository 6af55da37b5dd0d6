"""The widget embedded in someone else's page, in a real browser.

The app runs on one loopback origin (``live_server``); a second origin, a plain
``http.server`` started here, serves a blog page that embeds the widget with the
README's own snippets (iframe, script tag, image) under hostile CSS. Chromium must
show the demo drive's figures and bar in both live embeds, untouched by that CSS,
and a donation recorded afterwards must show after a reload.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from donation_drive.demo import demo_slug
from donation_drive.ledger import drive_progress, get_drive, record_offline_donation
from donation_drive.models import utcnow

from ..peers.ports import free_port

pytestmark = pytest.mark.browser

README = Path(__file__).resolve().parents[2] / "README.md"
HOSTILE_CSS = """
* { color: red !important; font-size: 40px !important; line-height: 3 !important;
    font-family: serif !important; letter-spacing: 4px !important;
    text-transform: uppercase !important; }
p, span, section, a { display: inline !important; background: yellow !important; }
"""


@pytest.fixture
def app_overrides() -> dict[str, object]:
    # The browser must not keep its own copy across the reload.
    return {"WIDGET_MAX_AGE": 0, "WIDGET_STALE_WHILE_REVALIDATE": 0}


def readme_snippets() -> list[str]:
    """The HTML blocks of the README's "Embed the widget" section, in order."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Embed the widget", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```html\n(.*?)```", section, flags=re.S)


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def host_origin(tmp_path: Path, live_server, demo_drive) -> Iterator[str]:
    """A blog on a second origin whose post embeds the widget three ways."""
    iframe, script, image = (
        snippet.replace("https://donate.example.org", live_server.url).replace(
            "SLUG", demo_drive.slug
        )
        for snippet in readme_snippets()
    )
    (tmp_path / "post.html").write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A blog post</title>
<style>{HOSTILE_CSS}</style></head>
<body>
<h1>Our news</h1>
{iframe}
<p>Read on, then give.</p>
{script}
{image}
</body></html>""",
        encoding="utf-8",
    )
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def demo_drive(runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return get_drive(demo_slug())  # this year's demo drive, running today


@pytest.fixture
def reader(browser) -> Iterator[object]:
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    yield context.new_page()
    context.close()


def fill_fraction(fill, track) -> float:
    return fill.bounding_box()["width"] / track.bounding_box()["width"]


def read_iframe_embed(page) -> dict[str, object]:
    frame = page.frame_locator("iframe")
    bar = frame.get_by_role("progressbar")
    return {
        "raised": frame.get_by_test_id("raised").inner_text(),
        "goal": frame.get_by_test_id("goal").inner_text(),
        "percent": frame.get_by_test_id("percent").inner_text(),
        "status": frame.get_by_test_id("status").inner_text(),
        "valuenow": bar.get_attribute("aria-valuenow"),
        "bar": fill_fraction(frame.get_by_test_id("fill"), bar),
        "raised_font_size": frame.get_by_test_id("raised").evaluate(
            "e => getComputedStyle(e).fontSize"
        ),
        "raised_color": frame.get_by_test_id("raised").evaluate("e => getComputedStyle(e).color"),
    }


def read_script_embed(page) -> dict[str, object]:
    # Playwright's CSS locators pierce the open shadow root the embed renders into.
    widget = page.locator(".donation-drive-widget")
    bar = widget.get_by_role("progressbar")
    raised = widget.locator(".r")
    return {
        "raised": raised.inner_text(),
        "goal": widget.locator(".g").inner_text(),
        "meta": widget.locator(".m").inner_text(),
        "valuenow": bar.get_attribute("aria-valuenow"),
        "bar": fill_fraction(widget.locator(".fill"), bar),
        "raised_font_size": raised.evaluate("e => getComputedStyle(e).fontSize"),
        "raised_color": raised.evaluate("e => getComputedStyle(e).color"),
        "text_color": widget.locator(".w").evaluate("e => getComputedStyle(e).color"),
        "text_transform": widget.locator(".w").evaluate("e => getComputedStyle(e).textTransform"),
        "height": widget.bounding_box()["height"],
    }


def test_both_embeds_show_the_figures_and_bar_despite_hostile_host_css(
    reader, host_origin, demo_drive
):
    script_errors: list[str] = []
    reader.on("pageerror", lambda exc: script_errors.append(str(exc)))
    reader.goto(f"{host_origin}/post.html")
    reader.locator(".donation-drive-widget .r").wait_for()

    # The host page's CSS is really there and really hostile.
    host_heading = reader.locator("h1").evaluate("e => getComputedStyle(e).color")
    assert host_heading == "rgb(255, 0, 0)"

    framed = read_iframe_embed(reader)
    assert (framed["raised"], framed["goal"], framed["percent"]) == ("$5,706", "$75,000", "7.6%")
    assert framed["valuenow"] == "7.6"
    assert framed["bar"] == pytest.approx(0.076, abs=0.003)
    assert framed["raised_font_size"] == "22px"
    assert framed["raised_color"] == "rgb(17, 99, 41)"

    scripted = read_script_embed(reader)
    assert (scripted["raised"], scripted["goal"]) == ("$5,706", "$75,000")
    assert scripted["meta"].startswith("7.6%")
    # Both say how long the drive runs on, from the same figure.
    days_left = drive_progress(demo_drive.slug).schedule.days_left
    assert framed["status"] == f"· {days_left} days left"
    assert scripted["meta"].endswith(f"· {days_left} days left")
    assert scripted["valuenow"] == "7.6"
    assert scripted["bar"] == pytest.approx(0.076, abs=0.003)
    # Untouched by "* { color: red; font-size: 40px; text-transform: uppercase }".
    assert scripted["raised_font_size"] == "22px"
    assert scripted["raised_color"] == "rgb(17, 99, 41)"
    assert scripted["text_color"] == "rgb(31, 35, 40)"
    assert scripted["text_transform"] == "none"
    assert scripted["height"] < 200

    image_width = reader.locator("img").evaluate("e => e.complete ? e.naturalWidth : 0")
    assert image_width == 320
    assert script_errors == []


def test_a_donation_recorded_afterwards_shows_after_reload(reader, host_origin, demo_drive):
    reader.goto(f"{host_origin}/post.html")
    reader.locator(".donation-drive-widget .r").wait_for()
    assert read_script_embed(reader)["raised"] == "$5,706"

    record_offline_donation(
        demo_drive,
        amount=179_400,  # brings the drive to $7,500: 10% of the goal
        method="check",
        received_at=utcnow(),
        entered_by="test",
        send_receipt=False,
    )
    reader.reload()
    reader.locator(".donation-drive-widget .r").wait_for()

    framed = read_iframe_embed(reader)
    scripted = read_script_embed(reader)
    assert (framed["raised"], framed["percent"]) == ("$7,500", "10%")
    assert scripted["raised"] == "$7,500"
    assert scripted["meta"].startswith("10%")
    assert framed["bar"] == pytest.approx(0.10, abs=0.003)
    assert scripted["bar"] == pytest.approx(0.10, abs=0.003)


def test_iframe_snippet_fits_a_300px_column_without_scrolling(browser, live_server, demo_drive):
    context = browser.new_context(locale="en-US", viewport={"width": 300, "height": 600})
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/widget/{demo_drive.slug}")
        size = page.evaluate(
            "() => ({w: document.documentElement.scrollWidth, h: document.body.scrollHeight})"
        )
    finally:
        context.close()

    assert size["w"] <= 300
    # The README's iframe snippet is 190 px high: the whole widget must fit in it.
    height = int(re.search(r'height="(\d+)"', readme_snippets()[0]).group(1))
    assert size["h"] <= height
