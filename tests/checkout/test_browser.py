"""A donor in a real browser (Debian's Chromium through Playwright), with Stripe.js
served by the Stripe emulator: the checkout works with a mouse on a desktop and
with the keyboard alone on a phone, and the embedded widget moves after the
payment's webhook."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import Donation, WebhookEvent

from ..peers.host_page import serve_host_page
from ..providers.stripe.support import wait_until
from .card_form import fill_card

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides(app_overrides: dict[str, object]) -> dict[str, object]:
    # Readers' browsers may keep the widget for WIDGET_MAX_AGE seconds (by design);
    # here the reader revalidates at once, so the test need not wait that out.
    return {**app_overrides, "WIDGET_MAX_AGE": 0, "WIDGET_STALE_WHILE_REVALIDATE": 0}


def _watch_for_errors(page: Page) -> list[str]:
    """Console errors (a Content-Security-Policy violation is one), page errors and
    failed responses."""
    problems: list[str] = []
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{msg.text} at {msg.location.get('url')}")
            if msg.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: (
            problems.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.request.resource_type != "fetch"
            else None
        ),
    )
    return problems


@pytest.fixture
def blog_post(live_server) -> Iterator[str]:
    """A blog post on another origin that embeds the drive's widget."""
    post = (
        "<!doctype html><title>A post</title><h1>A post</h1>"
        f'<iframe src="{live_server.url}/widget/eoy" title="Drive progress"></iframe>'
    )
    with serve_host_page(post) as url:
        yield url


def _widget_raised(page: Page, blog_post: str) -> str:
    page.goto(blog_post)
    raised = page.frame_locator("iframe").get_by_test_id("raised")
    expect(raised).to_be_visible()
    return raised.inner_text()


def _payment_webhook_processed() -> bool:
    return bool(
        db.session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.type == "payment_intent.succeeded", WebhookEvent.status == "processed"
            )
        )
    )


def test_a_donor_gives_25_dollars_and_the_embedded_widget_rises_by_25(
    page: Page, drive, live_server, emulator_webhooks, blog_post
):
    problems = _watch_for_errors(page)
    assert _widget_raised(page, blog_post) == "$0"

    page.goto(f"{live_server.url}/donate/eoy")
    page.get_by_role("radio", name="$25", exact=True).check()
    page.get_by_role("textbox", name="Name").fill("Ada Lovelace")
    page.get_by_role("textbox", name="Email").fill("ada@example.org")
    page.get_by_role("textbox", name="Message").fill("For the blog.")
    fill_card(page, "4242424242424242")
    page.get_by_role("button", name="Donate").click()

    page.wait_for_url("**/donate/eoy/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("$25.00")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Ada Lovelace!")
    wait_until(_payment_webhook_processed, what="the payment's webhook")

    assert _widget_raised(page, blog_post) == "$25"
    assert db.session.scalars(select(Donation)).one().status == "succeeded"
    assert problems == []


def test_on_a_phone_with_only_the_keyboard_errors_show_beside_their_fields(
    browser, drive, live_server, emulator
):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True)
    page = context.new_page()
    problems = _watch_for_errors(page)
    keyboard = page.keyboard

    def tab_to(selector: str) -> None:
        for _ in range(40):
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
            keyboard.press("Tab")
        raise AssertionError(f"{selector} cannot be reached with the Tab key")

    page.goto(f"{live_server.url}/donate/eoy")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    tab_to("#custom-amount")
    keyboard.type("2")  # below the minimum
    tab_to("#donor-email")
    keyboard.type("kim@example.org")
    tab_to('#card-element input[placeholder="number"]')
    keyboard.type("4000000000000341")  # a card the bank declines
    tab_to('#card-element input[placeholder="exp_month"]')
    keyboard.type("12")
    tab_to('#card-element input[placeholder="exp_year"]')
    keyboard.type("30")
    tab_to('#card-element input[placeholder="cvc"]')
    keyboard.type("123")
    tab_to("#donate-button")
    keyboard.press("Enter")

    amount_error = page.locator("#amount-error")
    expect(amount_error).to_contain_text("smallest gift")
    expect(page.locator("#custom-amount")).to_be_focused()
    expect(page.locator("#custom-amount")).to_have_attribute("aria-invalid", "true")

    keyboard.press("Control+A")
    keyboard.type("30")
    keyboard.press("Enter")  # Enter in a field submits the form

    expect(page.locator("#card-error")).to_contain_text("declined")
    expect(amount_error).to_be_hidden()
    assert "/thank-you/" not in page.url
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    db.session.rollback()
    assert db.session.scalars(select(Donation.status)).all() == ["failed"]
    # The declined payment's 402 and the quote's 400 for the amount below the minimum
    # are the failures the console may report.
    assert [
        problem
        for problem in problems
        if "402" not in problem and not problem.endswith("/donate/eoy/quote?amount=2")
    ] == []
    context.close()


def test_a_card_needing_3d_secure_is_confirmed_in_the_page_then_thanked(
    page: Page, drive, live_server, emulator
):
    problems = _watch_for_errors(page)
    page.goto(f"{live_server.url}/donate/eoy")
    page.get_by_role("radio", name="$50", exact=True).check()
    fill_card(page, "4000002500003155")  # the issuer asks for 3-D Secure
    page.get_by_role("button", name="Donate").click()

    # The emulator's Stripe.js shows its stand-in for the bank's challenge.
    page.get_by_role("button", name="Complete authentication").click()

    page.wait_for_url("**/donate/eoy/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("We received $50.00")
    db.session.rollback()
    assert db.session.scalars(select(Donation.status)).all() == ["succeeded"]
    assert problems == []
