"""A donor gives with PayPal in Debian's Chromium: the PayPal peer serves the stand-in
for PayPal's JS SDK at PAYPAL_JS_URL (only the documented
``paypal.Buttons({createOrder, onApprove})`` contract), the card form is served by the
Stripe emulator as usual, and the embedded widget rises by the gift."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import Donation

from ..peers.host_page import serve_host_page
from ..peers.paypal import PayPalPeer
from ..providers.stripe.support import emulator_settings

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides(paypal_peer: PayPalPeer, localstripe_base: str) -> dict[str, object]:
    return {
        **emulator_settings(localstripe_base, "whsec_test_paypal_browser"),
        **paypal_peer.settings(),
        "WIDGET_MAX_AGE": 0,
        "WIDGET_STALE_WHILE_REVALIDATE": 0,
    }


@pytest.fixture
def blog_post(served) -> Iterator[str]:
    post = (
        "<!doctype html><title>A post</title><h1>A post</h1>"
        f'<iframe src="{served.url}/widget/eoy" title="Drive progress"></iframe>'
    )
    with serve_host_page(post) as url:
        yield url


def _widget_raised(page: Page, blog_post: str) -> str:
    page.goto(blog_post)
    raised = page.frame_locator("iframe").get_by_test_id("raised")
    expect(raised).to_be_visible()
    return raised.inner_text()


def test_a_donor_gives_40_dollars_with_paypal_and_the_widget_rises_by_40(
    page: Page, peer: PayPalPeer, served, running_drive, blog_post
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda msg: problems.append(msg.text) if msg.type == "error" else None,
    )
    assert _widget_raised(page, blog_post) == "$0"

    page.goto(f"{served.url}/donate/eoy")
    page.get_by_role("radio", name="Other").check()
    page.get_by_role("textbox", name="Other amount").fill("40")
    page.get_by_role("textbox", name="Name").fill("Grace Hopper")
    page.get_by_role("textbox", name="Email").fill("grace@example.org")
    page.get_by_role("button", name="PayPal").click()

    page.wait_for_url("**/donate/eoy/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("$40.00")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you, Grace Hopper!")
    assert _widget_raised(page, blog_post) == "$40"
    db.session.rollback()
    donation = db.session.scalars(select(Donation)).one()
    (order,) = peer.orders.values()
    assert (donation.status, donation.method, donation.provider_ref) == (
        "succeeded",
        "paypal",
        order.capture_id,
    )
    assert problems == []
