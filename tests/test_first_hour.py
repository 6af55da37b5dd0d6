"""A newcomer's first hour, end to end: `make run`'s entry point (`donation-drive dev`)
on free ports with a temporary instance folder, then Chromium through the widget on
a blog of another origin, a $25 card gift through localstripe, the thank-you page,
the login printed by the command, the dev mailbox holding that gift's receipt and
the dashboard counting it. Screenshots of each step go to test-artifacts/."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .checkout.card_form import fill_card
from .conftest import ARTIFACTS
from .peers.host_page import serve_host_page
from .peers.ports import free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@dataclass
class DevService:
    url: str
    output: Path
    process: subprocess.Popen

    def printed(self) -> str:
        return self.output.read_text()

    def wait_for_output(self, pattern: str, timeout: float = 90) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = re.search(pattern, self.printed())
            if match:
                return match
            if self.process.poll() is not None:
                raise AssertionError(f"dev exited {self.process.returncode}:\n{self.printed()}")
            time.sleep(0.2)
        raise AssertionError(f"dev never printed {pattern!r}:\n{self.printed()}")


@pytest.fixture
def dev_service(tmp_path: Path) -> Iterator[DevService]:
    port, stripe_port, smtp_port = free_port(), free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DONATION_DRIVE", "DATABASE_URL", "STRIPE_", "SMTP_", "DD_"))
    }
    env.update(
        DONATION_DRIVE_ENV="development",
        DONATION_DRIVE_INSTANCE_PATH=str(tmp_path / "instance"),
        STRIPE_API_BASE=f"http://127.0.0.1:{stripe_port}",
        STRIPE_JS_URL=f"http://127.0.0.1:{stripe_port}/js.stripe.com/v3/",
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(smtp_port),
    )
    output = tmp_path / "dev-output.txt"
    command = Path(sys.executable).parent / "donation-drive"
    with output.open("wb") as sink:
        process = subprocess.Popen(
            [str(command), "dev", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            cwd=tmp_path,
        )
    service = DevService(f"http://127.0.0.1:{port}", output, process)
    try:
        service.wait_for_output(r"Worker:")
        _wait_for_health(service)
        yield service
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "first-hour-dev-output.txt").write_text(service.printed())


def _wait_for_health(service: DevService, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{service.url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the service never became healthy:\n{service.printed()}")


@pytest.fixture
def blog(dev_service: DevService) -> Iterator[str]:
    """A blog post on another origin embedding the widget address `dev` printed."""
    widget = dev_service.wait_for_output(r"Widget:\s+(\S+)").group(1)
    post = (
        "<!doctype html><title>A post</title><h1>A post</h1>"
        f'<iframe src="{widget}" title="Drive progress" width="480" height="220"></iframe>'
    )
    with serve_host_page(post) as url:
        yield url


def _shot(page: Page, step: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"first-hour-{step}.png"), full_page=True)


def test_a_newcomer_sees_every_part_working(page: Page, dev_service: DevService, blog: str):
    checkout = dev_service.wait_for_output(r"Checkout:\s+(\S+)").group(1)
    login = dev_service.wait_for_output(r"email (\S+@\S+), password (\S+)")
    mailbox = dev_service.wait_for_output(r"Mailbox:\s+(\S+)").group(1)
    year = time.gmtime().tm_year

    # The widget on a blog of another origin shows this year's live drive.
    page.goto(blog)
    widget = page.frame_locator("iframe")
    expect(widget.get_by_test_id("raised")).to_have_text("$5,706")
    expect(widget.get_by_text(f"{year} End of the Year Donation Drive")).to_be_visible()
    _shot(page, "1-widget-on-a-blog")

    # A $25 card gift through localstripe, and its thank-you page.
    page.goto(checkout)
    page.get_by_role("radio", name="$25", exact=True).check()
    page.get_by_role("textbox", name="Name").fill("Ada Lovelace")
    page.get_by_role("textbox", name="Email").fill("ada@example.org")
    expect(page.get_by_test_id("charge-summary")).to_have_text("You will be charged $25.00.")
    fill_card(page)
    _shot(page, "2-checkout")
    page.locator("#donate-button").click()
    page.wait_for_url("**/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("$25.00")
    _shot(page, "3-thank-you")

    # Log in with the credentials `dev` printed.
    page.goto(f"{dev_service.url}/admin/login")
    page.get_by_label("Email").fill(login.group(1))
    page.get_by_label("Password").fill(login.group(2))
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("raised")).to_have_text("$5,731.00")
    expect(page.get_by_text("Ada Lovelace").first).to_be_visible()
    _shot(page, "4-dashboard")

    # The receipt of that gift is in the dev mailbox within seconds.
    deadline = time.monotonic() + 30
    page.goto(mailbox)
    while not page.get_by_role("cell", name="ada@example.org").count():
        assert time.monotonic() < deadline, "the receipt never reached the dev mailbox"
        time.sleep(1)
        page.reload()
    _shot(page, "5-mailbox")
    page.get_by_role("row", name=re.compile("ada@example.org")).get_by_role("link").click()
    expect(page.get_by_test_id("mail-text")).to_contain_text("$25.00")
    html_part = page.frame_locator("[data-testid=mail-html]").locator("body")
    expect(html_part).to_contain_text("$25.00")
    _shot(page, "6-receipt")

    # And the widget on the blog has moved by the gift, once the reader's browser is
    # past the widget's max-age (WIDGET_MAX_AGE, 10 s, plus stale-while-revalidate:
    # the first load after it may still show the old copy while it revalidates).
    deadline = time.monotonic() + 45
    while True:
        page.goto(blog)
        raised = page.frame_locator("iframe").get_by_test_id("raised")
        expect(raised).to_be_visible()
        if raised.inner_text() == "$5,731":
            break
        assert time.monotonic() < deadline, f"the widget still shows {raised.inner_text()}"
        time.sleep(2)
    _shot(page, "7-widget-moved")
