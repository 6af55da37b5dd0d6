"""The dev mailbox in Debian's Chromium: a caught message's HTML part renders, styled,
inside the sandboxed frame, and its script runs neither there nor in our page.
Screenshots go to test-artifacts/."""

from __future__ import annotations

import pytest

from .. import conftest
from .messages import SUBJECT, send_to_sink

pytestmark = pytest.mark.browser


def test_the_html_part_renders_in_the_sandboxed_frame_and_its_script_never_runs(
    app, sink, live_server, admin_user, page
):
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    send_to_sink(app.config["SMTP_PORT"])

    page.goto(f"{live_server.url}/admin/dev/mailbox/")
    assert "/admin/login" in page.url
    page.fill("#email", conftest.ADMIN_EMAIL)
    page.fill("#password", conftest.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.get_by_role("link", name=SUBJECT).click()
    page.wait_for_load_state()

    frame = page.frame_locator("[data-testid=mail-html]")
    gift = frame.locator("#gift")
    gift.wait_for()
    assert gift.inner_text() == "Thank you, Ada, for $25.00."
    # The mail's own <style> applies inside the frame (the page's policy allows it)...
    assert gift.evaluate("el => getComputedStyle(el).color") == "rgb(200, 0, 0)"
    # ...but its script ran nowhere: not in the frame, not in our page.
    assert frame.locator("body").get_attribute("data-ran") is None
    assert page.evaluate("() => window.pwned") is None
    assert page.title() != "pwned"
    assert any("sandboxed" in line and "allow-scripts" in line for line in console), console
    page.screenshot(path=str(conftest.ARTIFACTS / "dev-mailbox-message.png"), full_page=True)
