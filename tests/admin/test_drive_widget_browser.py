"""The drive's widget page in Chromium: the live preview follows the look form before
it is saved, and the snippets copy as shown."""

from __future__ import annotations

import pytest

from donation_drive.widget.themes import DARK

from ..conftest import ARTIFACTS
from .test_entry_browser import _log_in

pytestmark = pytest.mark.browser


def test_the_preview_follows_the_form_before_saving(page, live_server, admin_user, drive):
    base = live_server.url
    _log_in(page, base)
    page.goto(f"{base}/admin/drives/eoy/widget")
    frame = page.frame_locator("iframe.widget-preview")
    assert frame.get_by_test_id("raised").inner_text() == "$0"

    page.select_option("#theme", "dark")
    page.select_option("#layout", "compact")
    page.fill("#accent", "#c0392b")

    preview = page.locator("iframe.widget-preview")
    page.wait_for_function(
        """() => document.querySelector('iframe.widget-preview').src.includes('accent=')"""
    )
    assert preview.get_attribute("src") == (
        "/widget/eoy?theme=dark&layout=compact&accent=%23c0392b"
    )
    assert preview.get_attribute("width") == "300"
    box = frame.locator(".dd-widget")
    box.wait_for()
    page.wait_for_function(
        """() => {const d = document.querySelector('iframe.widget-preview').contentDocument;
                  const b = d && d.querySelector('.dd-widget');
                  return b && b.classList.contains('dd-theme-dark');}"""
    )
    r, g, b = (int(DARK.background[i : i + 2], 16) for i in (1, 3, 5))
    assert box.evaluate("e => getComputedStyle(e).backgroundColor") == f"rgb({r}, {g}, {b})"
    assert "theme=dark" in page.locator('[data-testid="image-preview"]').get_attribute("src")
    # Half-typed, the accent leaves the preview as it was.
    page.fill("#accent", "#c03")
    page.fill("#accent", "#c0")
    assert "accent=%23c03" in preview.get_attribute("src")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-drive-widget.png"), full_page=True)

    # Nothing was saved: the snippets still embed the drive's own look.
    assert page.input_value("#snippet-link") == f"{base}/widget/eoy"
    assert 'data-drive="eoy" async' in page.input_value("#snippet-script")
