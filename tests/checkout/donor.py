"""A donor's browser as the checkout page's script drives it: load the page (for
its CSRF token), then POST the form and a card token as JSON."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse


class Donor:
    def __init__(self, client: FlaskClient, slug: str = "eoy") -> None:
        self.client = client
        self.slug = slug
        page = client.get(f"/donate/{slug}")
        assert page.status_code == 200, page.get_data(as_text=True)
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert match, "the checkout page has no CSRF token"
        self.csrf_token = match.group(1)

    def submit(self, body: object, *, csrf: bool = True) -> TestResponse:
        headers = {"X-CSRFToken": self.csrf_token} if csrf else {}
        return self.client.post(f"/donate/{self.slug}/payments", json=body, headers=headers)

    def donate(self, card_token: object, **fields: object) -> TestResponse:
        body: dict[str, object] = {
            "amount": "25",
            "currency": "USD",
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "card_token": card_token,
        }
        body.update(fields)
        return self.submit(body)
