"""A donor gives monthly in a real browser (Debian's Chromium through Playwright,
Stripe.js served by the Stripe emulator): first with 4242…, then with a card whose
bank asks for 3-D Secure, finished in the page. Each makes a Customer and a
subscription at the emulator, the first installments show on the widget, and the
receipt reaches aiosmtpd with the manage link, where the donor gives a new card."""

from __future__ import annotations

import urllib.parse

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from donation_drive.emails import send_due_emails
from donation_drive.extensions import db
from donation_drive.models import Donation, MonthlyGift, MonthlyGiftEvent, WebhookEvent

from ..checkout.card_form import fill_card
from ..providers.stripe.support import wait_until
from .support import stripe_get

pytestmark = pytest.mark.browser


@pytest.fixture
def app_overrides(app_overrides: dict[str, object]) -> dict[str, object]:
    return {**app_overrides, "WIDGET_MAX_AGE": 0, "WIDGET_STALE_WHILE_REVALIDATE": 0}


def _give_monthly(page: Page, base: str, preset: str, email: str, card: str) -> None:
    page.goto(f"{base}/donate/eoy")
    page.get_by_role("radio", name=preset, exact=True).check()
    page.get_by_role("radio", name="Every month").check()
    expect(page.get_by_test_id("charge-summary")).to_have_text(
        f"You will be charged {preset}.00 every month."
    )
    page.get_by_role("textbox", name="Name").fill("Ada Lovelace")
    page.get_by_role("textbox", name="Email").fill(email)
    fill_card(page, card)
    page.get_by_role("button", name="Donate").click()


def _widget_raised(page: Page, base: str) -> str:
    page.goto(f"{base}/widget/eoy")
    return page.get_by_test_id("raised").inner_text()


def test_monthly_gifts_by_card_and_with_3d_secure_then_a_new_card_from_the_receipt_link(
    page: Page, drive, live_server, emulator_webhooks, smtp
):
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"{msg.text} at {msg.location.get('url')}")
            if msg.type == "error" and "favicon.ico" not in str(msg.location.get("url"))
            else None
        ),
    )
    base = live_server.url

    _give_monthly(page, base, "$25", "ada@example.org", "4242424242424242")
    page.wait_for_url("**/monthly/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("$25.00 every month")
    assert _widget_raised(page, base) == "$25"

    _give_monthly(page, base, "$50", "grace@example.org", "4000002760003184")
    page.get_by_role("button", name="Complete authentication").click()
    page.wait_for_url("**/monthly/thank-you/**")
    expect(page.get_by_test_id("donation-amount")).to_contain_text("We received the first")
    assert _widget_raised(page, base) == "$75"

    db.session.rollback()
    gifts = db.session.scalars(select(MonthlyGift).order_by(MonthlyGift.id)).all()
    assert [(g.amount, g.status) for g in gifts] == [(2500, "active"), (5000, "active")]
    for gift in gifts:
        customer = stripe_get(emulator_webhooks, f"/v1/customers/{gift.customer_ref}")
        assert customer["email"] == gift.donor_email
        assert (
            stripe_get(emulator_webhooks, f"/v1/subscriptions/{gift.provider_ref}")["status"]
            == "active"
        )
    # The emulator's own invoice events reach the webhook too, and count nothing again.
    wait_until(
        lambda: db.session.scalar(
            select(WebhookEvent.id).where(
                WebhookEvent.type == "invoice.payment_succeeded",
                WebhookEvent.status == "processed",
            )
        ),
        what="an invoice webhook",
    )
    assert len(db.session.scalars(select(Donation)).all()) == 2

    assert send_due_emails().sent == 2
    ada = next(m for m in smtp.messages if "ada@example.org" in m["To"])
    text = ada.get_body(("plain",)).get_content()
    link = next(word for word in text.split() if "/monthly/manage/" in word)
    assert link.startswith(f"{base}/monthly/manage/")

    page.goto(link)
    expect(page.get_by_role("heading", level=2).first).to_have_text("$25.00 every month")
    fill_card(page, "5555555555554444")
    page.get_by_role("button", name="Save the new card").click()
    expect(page.get_by_test_id("manage-done")).to_have_text("Your new card is saved.")
    db.session.rollback()
    assert (
        db.session.scalars(
            select(MonthlyGiftEvent.action).where(MonthlyGiftEvent.subscription_id == gifts[0].id)
        ).all()[-1]
        == "card_updated"
    )
    customer = stripe_get(emulator_webhooks, f"/v1/customers/{gifts[0].customer_ref}")
    assert customer["invoice_settings"]["default_payment_method"].startswith("pm_")
    assert urllib.parse.urlsplit(page.url).path.startswith("/monthly/manage/")
    assert problems == []
