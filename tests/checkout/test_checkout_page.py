"""The checkout page: the drive and its progress, preset and custom amounts within
the limits, labelled fields, Stripe.js from the configured address, and nothing
inline for the Content-Security-Policy to forbid."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from donation_drive.formatting import format_money


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.label_targets: set[str] = set()
        self.controls: list[dict[str, str | None]] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_styles = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if "style" in attributes:
            self.inline_styles += 1
        if tag == "label" and attributes.get("for"):
            self.label_targets.add(attributes["for"])
        if tag in ("input", "textarea", "select") and attributes.get("type") != "hidden":
            self.controls.append(attributes)
        if tag == "script":
            self.scripts.append(attributes)


def _parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    return page


def test_the_page_shows_the_drive_its_progress_and_the_amount_choices(client, drive, app):
    response = client.get("/donate/eoy")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert drive.title in html
    assert "$0" in html and "$75,000" in html
    for preset in app.config["DONATION_PRESET_AMOUNTS"]:
        assert format_money(preset, "USD", whole=True) in html
    low, high = app.config["DONATION_MIN_AMOUNT"], app.config["DONATION_MAX_AMOUNT"]
    assert f"Between {format_money(low, 'USD')} and {format_money(high, 'USD')}" in html
    assert response.headers["Cache-Control"] == "private, no-store"


def test_every_field_has_a_label_or_sits_in_a_labelled_group(client, drive):
    page = _parse(client.get("/donate/eoy").get_data(as_text=True))
    for control in page.controls:
        if control.get("type") == "radio":
            continue  # each radio is wrapped in its own <label> inside the fieldset
        assert control.get("id") in page.label_targets, control
    assert {"donor-name", "donor-email", "custom-amount", "donor-message"} <= page.label_targets
    assert "card-element" in page.ids
    for error_slot in ("amount-error", "name-error", "email-error", "card-error"):
        assert error_slot in page.ids


def test_stripe_js_comes_from_the_configured_address_and_nothing_is_inline(client, drive, app):
    response = client.get("/donate/eoy")
    page = _parse(response.get_data(as_text=True))
    sources = [script.get("src") for script in page.scripts]
    assert app.config["STRIPE_JS_URL"] in sources
    assert all(sources), "an inline <script> would be blocked by the CSP"
    assert page.inline_styles == 0
    policy = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]+)", policy).group(1)
    assert app.config["STRIPE_JS_URL"].split("/js.stripe.com")[0] in script_src
    assert "'unsafe-inline'" not in policy


def test_an_unknown_drive_is_a_404_page(client, drive):
    response = client.get("/donate/no-such-drive")
    assert response.status_code == 404
    assert "no-such-drive" in response.get_data(as_text=True)


def test_the_cancel_page_says_nothing_was_taken_and_links_back(client, drive):
    response = client.get("/donate/eoy/cancel")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no money was taken" in html
    assert 'href="/donate/eoy"' in html


def test_with_test_keys_the_page_tells_which_test_card_to_use(client, drive, app):
    assert "4242&nbsp;4242" in client.get("/donate/eoy").get_data(as_text=True)
    app.config["STRIPE_PUBLISHABLE_KEY"] = "pk_live_donationdrive"
    assert "Test mode" not in client.get("/donate/eoy").get_data(as_text=True)
