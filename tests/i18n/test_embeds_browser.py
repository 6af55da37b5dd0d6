"""The embeds in the reader's language, in Chromium, on a page of another origin:
``data-lang`` on the script tag and ``?lang=`` on the iframe choose the language
whatever the drive's, the figures follow that locale's writing, and the donate link
takes the reader to a checkout in the same language."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import expect

from donation_drive.demo import demo_slug
from donation_drive.ledger import get_drive

from ..peers.ports import free_port
from ..widget.test_embed_browser import Quiet

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides() -> dict[str, object]:
    # No Stripe.js (a port that refuses at once): the charge line needs only our quote.
    return {"STRIPE_JS_URL": "http://127.0.0.1:9/v3/"}


@pytest.fixture
def post(tmp_path: Path, live_server, runner) -> Iterator[str]:
    """A blog post on a second origin: the demo drive (en_US, USD) embedded by script
    tag in German and French, and by iframe in Spanish."""
    assert runner.invoke(args=["demo"]).exit_code == 0
    slug = get_drive(demo_slug()).slug
    app = live_server.url
    script = f"{app}/widget/embed.js"
    (tmp_path / "post.html").write_text(
        f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A post</title></head><body>
<div id="de"><script src="{script}" data-drive="{slug}" data-lang="de" async></script></div>
<div id="fr"><script src="{script}" data-drive="{slug}" data-lang="fr" async></script></div>
<iframe src="{app}/widget/{slug}?lang=es" title="Progreso" width="480" height="220"></iframe>
</body></html>""",
        encoding="utf-8",
    )
    port = free_port()
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{port}/post.html"
    server.shutdown()


def test_each_embed_speaks_the_language_it_asks_for(browser, post: str):
    context = browser.new_context(locale="en-US")
    page = context.new_page()
    page.goto(post)

    german = page.locator("#de .donation-drive-widget")
    french = page.locator("#fr .donation-drive-widget")
    spanish = page.frame_locator("iframe")
    # Playwright's CSS locators pierce the open shadow roots the script embeds use.
    assert german.locator("a").inner_text(timeout=10_000) == "Spenden"
    assert "gesammelt von" in german.locator("p").nth(1).inner_text()
    assert german.locator(".r").inner_text() == "5.706\xa0$"
    assert german.get_by_role("progressbar").get_attribute("aria-label") == "Fortschritt zum Ziel"
    assert german.locator("a").get_attribute("href").endswith("?lang=de")
    assert french.locator("a").inner_text() == "Faire un don"
    assert french.locator(".r").inner_text() == "5\u202f706\xa0$US"
    assert french.locator("a").get_attribute("href").endswith("?lang=fr")
    assert spanish.get_by_test_id("raised").inner_text() == "5.706\xa0US$"
    assert spanish.locator(".dd-donate").inner_text() == "Donar"

    # The checkout the German widget links to speaks German too, and its script's
    # charge line asks for the quote in German.
    page.goto(german.locator("a").get_attribute("href"))
    assert page.locator("html").get_attribute("lang") == "de"
    expect(page.get_by_test_id("charge-summary")).to_have_text("Abgebucht werden 25,00\xa0$.")
    expect(page.locator("#donate-button")).to_have_text("25,00\xa0$ spenden")
    context.close()
