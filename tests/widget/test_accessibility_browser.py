"""axe-core (the npm package in tests/a11y, installed by scripts/install-system-deps)
finds no violation on the widget page, nor in the script embed on a host page, with
the bar part-way and past the goal, in light and in the reader's dark preference."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..peers.host_page import serve_host_page
from .conftest import GIVEN_AT

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[1] / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
# Every rule axe has for WCAG 2.x A and AA, and its best practices.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


def axe_violations(page, context: str = "document") -> list[dict]:
    assert AXE.exists(), "axe-core is missing: run scripts/install-system-deps (make test does)"
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        f"""async () => {{
            const r = await axe.run({context}, {{runOnly: {{type: "tag", values: {TAGS}}}}});
            return {{violations: r.violations.map(v => ({{id: v.id, nodes: v.nodes.map(
                n => n.html)}})), passes: r.passes.length}};
        }}"""
    )
    assert result["passes"] > 5  # axe really ran its rules
    return result["violations"]


def give(drive, cents: int) -> None:
    from donation_drive.ledger import record_offline_donation

    record_offline_donation(
        drive,
        amount=cents,
        method="check",
        received_at=GIVEN_AT,
        entered_by="t",
        send_receipt=False,
    )


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("cents", [570_600, 9_000_000], ids=["part-way", "past-the-goal"])
def test_no_axe_violation_on_the_widget_page(browser, live_server, running_drive, cents, scheme):
    give(running_drive, cents)
    # The page's CSP allows no injected script; axe comes in with it bypassed.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/widget/eoy")
        assert axe_violations(page) == []
    finally:
        context.close()


def test_no_axe_violation_in_the_script_embed(browser, live_server, running_drive):
    give(running_drive, 570_600)
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>A post</title></head><body><main><h1>News</h1>
<script src="{live_server.url}/widget/embed.js" data-drive="eoy" async></script>
</main></body></html>"""
    context = browser.new_context()
    try:
        page = context.new_page()
        with serve_host_page(html) as url:
            page.goto(url)
            page.locator(".donation-drive-widget .r").wait_for()
            assert axe_violations(page, '".donation-drive-widget"') == []
    finally:
        context.close()
