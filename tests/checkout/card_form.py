"""Filling in the Stripe emulator's card element, as a donor would."""

from __future__ import annotations

from playwright.sync_api import Page


def fill_card(page: Page, number: str = "4242424242424242", postal_code: str = "10001") -> None:
    card = page.locator("#card-element")
    card.locator('input[placeholder="number"]').fill(number)
    card.locator('input[placeholder="exp_month"]').fill("12")
    card.locator('input[placeholder="exp_year"]').fill("30")
    card.locator('input[placeholder="cvc"]').fill("123")
    card.locator('input[placeholder="postal_code"]').fill(postal_code)
