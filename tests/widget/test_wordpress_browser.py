"""oEmbed against a real consumer: Debian's WordPress (tests/peers/wordpress.py) on
loopback, a post whose body is the drive's link, rendered in Chromium.

WordPress embeds a link it has no built-in provider for by discovery: it fetches the
page, follows its ``<link rel="alternate" type="application/json+oembed">`` to
``/oembed`` and puts the response's ``html`` in the post, through its safe HTTP API
(which the test's must-use plugin lets reach 127.0.0.1). Since WordPress 4.4 it does
so for every author, with or without ``unfiltered_html`` (class-wp-embed.php:
``embed_oembed_discover`` defaults to true, no capability check), and for every
discovered provider it keeps only the iframe and sandboxes it (``wp_filter_oembed_result``:
``sandbox="allow-scripts"``, a ``#?secret=`` on the src). Both are asserted here: an
administrator's post and an author's post embed the same sandboxed widget, which
still shows the drive's figures and keeps them live. The response's hidden fallback
link makes WordPress load wp-embed.js, which shows and sizes the frame when the widget
page asks, and follows its Donate link out of the sandbox (live.js).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from donation_drive.ledger import record_offline_donation
from donation_drive.models import utcnow

from ..peers.wordpress import WordPressSite

pytestmark = pytest.mark.browser

USERS = {"admin": "administrator", "writer": "author"}


@pytest.fixture(scope="module")
def wordpress() -> Iterator[WordPressSite]:
    site = WordPressSite(USERS).start()
    yield site
    site.stop()


@pytest.fixture
def reader(browser) -> Iterator[object]:
    context = browser.new_context(locale="en-US", viewport={"width": 1024, "height": 900})
    yield context.new_page()
    context.close()


@pytest.fixture
def gift(running_drive) -> None:
    record_offline_donation(
        running_drive,
        amount=570_600,
        method="check",
        received_at=utcnow(),
        entered_by="test",
        send_receipt=False,
    )


def post_body(link: str) -> str:
    # As pasted into the editor: the link alone on its line, between paragraphs.
    return f"Our year-end drive is on.\n\n{link}\n\nThank you for reading."


@pytest.mark.parametrize(
    ("author", "can_unfiltered_html", "page"),
    [("admin", True, "widget"), ("writer", False, "donate")],
)
def test_a_pasted_drive_link_embeds_the_widget_for_any_author(
    wordpress, live_server, running_drive, gift, reader, author, can_unfiltered_html, page
):
    assert wordpress.users[author]["unfiltered_html"] is can_unfiltered_html
    link = f"{live_server.url}/{page}/{running_drive.slug}"
    post = wordpress.publish(author, "Give before the year ends", post_body(link))
    assert link in post["content"]  # WordPress stored the link as pasted

    reader.goto(post["url"])

    content = reader.locator(".wp-block-post-content")
    assert content.get_by_text("Our year-end drive is on.").is_visible()
    frames = content.locator("iframe")
    assert frames.count() == 1, wordpress.debug_log()[-3000:]
    frame = frames.first
    # Our response's iframe, as WordPress keeps a discovered provider's: sandboxed,
    # with its secret, our width and title; the widget page whichever page was pasted.
    src = frame.get_attribute("src")
    assert re.fullmatch(
        re.escape(f"{live_server.url}/widget/{running_drive.slug}") + r"#\?secret=\w{10}", src
    )
    assert frame.get_attribute("sandbox") == "allow-scripts"
    assert "wp-embedded-content" in frame.get_attribute("class").split()
    assert frame.get_attribute("data-secret") == src.rsplit("=", 1)[1]
    assert frame.get_attribute("title") == f"{running_drive.title}: fundraising progress"
    # WordPress hides the frame behind the response's link until the widget page
    # speaks (live.js): then wp-embed.js shows it, hides the link, and sizes the
    # frame to the height the page asked (at least 200 px).
    expect(frame).not_to_have_attribute("style", re.compile(".*"))
    expect(content.locator("blockquote.wp-embedded-content")).to_be_hidden()
    assert not content.get_by_text(link).count()  # the link became the embed
    widget_page = reader.frame(url=re.compile(re.escape(live_server.url)))
    needed = widget_page.evaluate("Math.ceil(document.body.getBoundingClientRect().height)")
    expect(frame).to_have_attribute("height", str(max(200, needed)))
    assert widget_page.evaluate("innerHeight >= document.documentElement.scrollHeight")
    box = frame.bounding_box()
    assert box is not None and (box["width"], box["height"]) == (480, max(200, needed))

    widget = reader.frame_locator(".wp-block-post-content iframe")
    assert widget.get_by_test_id("title").inner_text() == running_drive.title
    assert widget.get_by_test_id("raised").inner_text() == "$5,706"
    assert widget.get_by_test_id("goal").inner_text() == "$75,000"
    assert widget.get_by_role("progressbar").get_attribute("aria-valuenow") == "7.6"

    # The sandbox forbids the frame to navigate the post; the Donate link asks
    # wp-embed.js to, and the reader lands on the drive's donate page.
    widget.get_by_role("link", name=f"Donate to {running_drive.title}").click()
    reader.wait_for_url(f"{live_server.url}/donate/{running_drive.slug}")
    assert reader.get_by_role("heading", name=running_drive.title).first.is_visible()


def test_the_embedded_widget_stays_live_in_wordpress_sandbox(
    wordpress, live_server, running_drive, gift, reader
):
    # The sandbox gives the frame an opaque origin: live.js's conditional requests for
    # its own page must still be answered and read, and every file of ours load.
    failed: list[str] = []
    reader.on(
        "response",
        lambda r: (
            failed.append(f"{r.status} {r.url}")
            if r.url.startswith(live_server.url) and r.status >= 400
            else None
        ),
    )
    link = f"{live_server.url}/widget/{running_drive.slug}"
    post = wordpress.publish("writer", "Give before the year ends", post_body(link))
    reader.goto(post["url"])
    widget = reader.frame_locator(".wp-block-post-content iframe")
    assert widget.get_by_test_id("raised").inner_text() == "$5,706"

    record_offline_donation(
        running_drive,
        amount=100_000,
        method="check",
        received_at=utcnow(),
        entered_by="test",
        send_receipt=False,
    )

    expect(widget.get_by_test_id("raised")).to_have_text("$6,706", timeout=15_000)
    assert widget.get_by_role("progressbar").get_attribute("aria-valuenow") == "8.9"
    assert failed == []


def test_a_link_to_a_page_without_discovery_links_stays_a_link(
    wordpress, live_server, running_drive, reader
):
    # The embed comes from the discovery links: a page of ours without them (an
    # unknown drive's widget, a 404) is left as the text WordPress was given.
    link = f"{live_server.url}/widget/no-such-drive"
    post = wordpress.publish("admin", "A link", post_body(link))

    reader.goto(post["url"])

    content = reader.locator(".wp-block-post-content")
    assert content.get_by_text(link).is_visible()
    assert content.locator("iframe").count() == 0
