"""The widget stays live on a blog post of another origin, in Chromium: the script
embed and the iframe page pick up a gift within a few seconds, ask conditionally
(the browser's If-None-Match, 304s), back off while nothing changes, stop asking
while the page is hidden and ask at once when it is shown again, and move the bar
without animation under prefers-reduced-motion.

Hiding the page: headless Chromium keeps a lone tab visible, so the test overrides
``document.visibilityState`` and sends the ``visibilitychange`` event the browser
would send, in the page and in the iframe, and checks what the scripts then do.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from itertools import pairwise

import pytest

from donation_drive.models import Drive

from ..peers.host_page import serve_host_page
from .conftest import GIVEN_AT

pytestmark = pytest.mark.browser

REFRESH = 2  # seconds: data-refresh / ?refresh=, the shortest the scripts accept


@pytest.fixture
def host_page(live_server, running_drive: Drive) -> Iterator[str]:
    base = live_server.url
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post</title></head><body>
<h1>News</h1>
<iframe src="{base}/widget/eoy?refresh={REFRESH}" title="Fundraising progress"
        width="320" height="200" style="border:0"></iframe>
<script src="{base}/widget/embed.js" data-drive="eoy" data-refresh="{REFRESH}" async></script>
</body></html>"""
    with serve_host_page(html) as url:
        yield url


def open_reader(browser, url: str, **context_options) -> tuple[object, object, list]:
    context = browser.new_context(viewport={"width": 1024, "height": 800}, **context_options)
    page = context.new_page()
    asked: list[tuple[float, str]] = []
    page.on(
        "request",
        lambda r: asked.append((time.monotonic(), r.url)) if "/eoy" in r.url else None,
    )
    page.goto(url)
    page.locator(".donation-drive-widget .r").wait_for()
    page.frame_locator("iframe").get_by_test_id("raised").wait_for()
    return context, page, asked


def shown(page) -> tuple[str, str]:
    return (
        page.locator(".donation-drive-widget .r").inner_text(),
        page.frame_locator("iframe").get_by_test_id("raised").inner_text(),
    )


def give(drive: Drive, cents: int) -> None:
    from donation_drive.ledger import record_offline_donation

    record_offline_donation(
        drive,
        amount=cents,
        method="check",
        received_at=GIVEN_AT,
        entered_by="test",
        send_receipt=False,
    )


def set_visibility(page, state: str) -> None:
    script = f"""() => {{
        Object.defineProperty(document, "visibilityState",
            {{configurable: true, get: () => "{state}"}});
        Object.defineProperty(document, "hidden",
            {{configurable: true, get: () => {str(state == "hidden").lower()}}});
        document.dispatchEvent(new Event("visibilitychange"));
    }}"""
    for frame in page.frames:
        frame.evaluate(script)


def pause(page, seconds: float) -> None:
    """Wait while Playwright keeps delivering the page's events (a time.sleep would
    hold them back, and the request times noted with them)."""
    page.wait_for_timeout(seconds * 1000)


def wait_for(page, condition, timeout: float, message: str) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout, message
        pause(page, 0.1)
    return time.monotonic() - started


def test_both_embeds_show_a_gift_within_a_few_seconds(browser, host_page, running_drive):
    context, page, _ = open_reader(browser, host_page)
    try:
        assert shown(page) == ("$0", "$0")
        give(running_drive, 123_400)
        took = wait_for(
            page, lambda: shown(page) == ("$1,234", "$1,234"), 3 * REFRESH + 2, "no update"
        )
        bar = page.locator(".donation-drive-widget [role=progressbar]")
        assert bar.get_attribute("aria-valuetext") == "$1,234 raised of $75,000 goal (1.6%)"
        framed = page.frame_locator("iframe").get_by_role("progressbar")
        assert framed.get_attribute("aria-valuetext") == "$1,234 raised of $75,000 goal (1.6%)"
        assert framed.get_attribute("aria-valuenow") == "1.6"
    finally:
        context.close()
    assert took < 3 * REFRESH + 2


def test_polls_are_conditional_and_back_off_while_nothing_changes(
    app, browser, host_page, running_drive
):
    answers: list[tuple[str, int]] = []

    @app.after_request
    def note(response):
        from flask import request

        answers.append((request.path, response.status_code))
        return response

    context, page, asked = open_reader(browser, host_page)
    try:
        pause(page, 5 * REFRESH)
    finally:
        context.close()
    polls = [at for at, url in asked if "/api/v1/drives/eoy" in url]
    gaps = [b - a for a, b in pairwise(polls)]
    # Loaded at 0; unchanged answers stretch each wait by 1.5: 3 s, then 4.5 s.
    assert len(gaps) >= 2
    assert gaps[0] == pytest.approx(1.5 * REFRESH, abs=0.7)
    assert gaps[1] == pytest.approx(1.5 * 1.5 * REFRESH, abs=0.7)
    # The browser revalidated with the ETag it held: the server answered each poll
    # with a 304. (The iframe's first poll is a full 200: Chromium does not reuse a
    # navigation's cached copy for a fetch. The embed's first request is its load.)
    for path, full in (("/api/v1/drives/eoy", 1), ("/widget/eoy", 2)):
        statuses = [status for p, status in answers if p == path]
        assert statuses[:full] == [200] * full
        assert len(statuses) >= full + 2
        assert set(statuses[full:]) == {304}, (path, statuses)


def test_no_polling_while_hidden_and_at_once_when_shown(browser, host_page, running_drive):
    context, page, asked = open_reader(browser, host_page)
    try:
        set_visibility(page, "hidden")
        hidden_at = time.monotonic()
        give(running_drive, 50_000)
        pause(page, 3 * REFRESH)
        assert [url for at, url in asked if at > hidden_at] == []
        assert shown(page) == ("$0", "$0")

        shown_at = time.monotonic()
        set_visibility(page, "visible")
        wait_for(page, lambda: shown(page) == ("$500", "$500"), 2, "no refresh when shown again")
        asked_after = [at - shown_at for at, url in asked if at > shown_at]
        assert asked_after and asked_after[0] < 0.5
    finally:
        context.close()


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_bar_animates_unless_the_reader_asked_for_reduced_motion(
    browser, host_page, running_drive, motion
):
    context, page, _ = open_reader(browser, host_page, reduced_motion=motion)
    try:
        durations = (
            page.locator(".donation-drive-widget .fill").evaluate(
                "e => getComputedStyle(e).transitionDuration"
            ),
            page.frame_locator("iframe")
            .get_by_test_id("fill")
            .evaluate("e => getComputedStyle(e).transitionDuration"),
        )
    finally:
        context.close()
    if motion == "reduce":
        assert durations == ("0s", "0s")
    else:
        assert all(float(d.rstrip("s")) > 0 for d in durations)


def test_both_embeds_say_the_same_about_a_stretch_goal_and_a_match(
    browser, host_page, running_drive
):
    from donation_drive.ledger import update_drive

    update_drive(
        running_drive,
        stretch_goal_amount=10_000_000,
        match_cap_amount=500_000,
        match_sponsor="Acme",
    )
    give(running_drive, 7_600_000)
    context, page, _ = open_reader(browser, host_page)
    try:
        frame = page.frame_locator("iframe")
        script = page.locator(".donation-drive-widget")
        lines = {
            "stretch": (
                script.locator(".s").inner_text(),
                frame.get_by_test_id("stretch").inner_text(),
            ),
            "match": (
                script.locator(".p").inner_text(),
                frame.get_by_test_id("match").inner_text(),
            ),
            "valuetext": (
                script.get_by_role("progressbar").get_attribute("aria-valuetext"),
                frame.get_by_role("progressbar").get_attribute("aria-valuetext"),
            ),
        }
    finally:
        context.close()
    assert lines["stretch"] == ("Goal reached! Stretch goal: $100,000 (76%)",) * 2
    assert lines["match"] == ("+ $5,000 matched: every gift matched up to $5,000 by Acme",) * 2
    assert lines["valuetext"][0] == lines["valuetext"][1]


def test_recent_donors_show_as_text_and_never_run(browser, host_page, running_drive):
    from donation_drive.ledger import (
        DonorDetails,
        approve_message,
        record_offline_donation,
        update_drive,
    )

    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script>'
    update_drive(running_drive, recent_donors_shown=3)
    gift = record_offline_donation(
        running_drive,
        amount=2_500,
        method="check",
        received_at=GIVEN_AT,
        entered_by="t",
        donor=DonorDetails(display_name=hostile, message=hostile),
        send_receipt=False,
    )
    approve_message(gift.id, actor="t")
    context, page, _ = open_reader(browser, host_page)
    try:
        item = page.locator(".donation-drive-widget .rl li")
        framed = page.frame_locator("iframe").get_by_test_id("recent")
        texts = (item.inner_text(), framed.inner_text())
        pwned = (
            page.evaluate("() => window.pwned || 0"),
            page.frames[1].evaluate("() => window.pwned || 0"),
        )
        images = page.locator(".donation-drive-widget img").count()
    finally:
        context.close()
    assert all(text.startswith(hostile) for text in texts)
    assert pwned == (0, 0)
    assert images == 0
