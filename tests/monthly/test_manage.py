"""The donor's signed manage link: receipts carry it, a tampered, expired or another
donor's link is refused, and every change (amount, pause, resume, cancel, new card)
reaches the Stripe emulator, is audited and confirmed by email."""

from __future__ import annotations

import time
import urllib.parse
from unittest import mock

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select

from donation_drive.emails import send_due_emails
from donation_drive.extensions import db
from donation_drive.models import MonthlyGift, MonthlyGiftEvent, OutboxEmail
from donation_drive.monthly.tokens import SALT, manage_token

from ..conftest import csrf_token_from
from ..providers.stripe.support import PUBLISHABLE_KEY
from .support import only_gift, start_monthly, stripe_get


@pytest.fixture
def gift(client, drive, emulator) -> MonthlyGift:
    assert start_monthly(client, emulator).status_code == 200
    return only_gift()


def _path(gift: MonthlyGift) -> str:
    return f"/monthly/manage/{manage_token(gift)}"


def _form_token(client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.get_data(as_text=True)
    return csrf_token_from(page.get_data(as_text=True))


def test_the_receipt_carries_a_manage_link_that_opens_the_gift(client, gift, smtp):
    report = send_due_emails()
    assert report.sent == 1
    [message] = smtp.messages
    text = message.get_body(("plain",)).get_content()
    assert "monthly gift of $25.00 every month" in text
    link = next(word for word in text.split() if "/monthly/manage/" in word)
    assert link.startswith("http://donate.example.org/monthly/manage/")
    html = message.get_body(("html",)).get_content()
    assert link in html
    page = client.get(urllib.parse.urlsplit(link).path)
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "$25.00 every month" in body and "active" in body


def test_a_tampered_expired_or_other_purpose_link_is_refused(client, gift, app):
    token = manage_token(gift)
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    assert client.get(f"/monthly/manage/{tampered}").status_code == 403

    sixty_one_days_ago = time.time() - 61 * 24 * 3600
    with mock.patch("itsdangerous.timed.time.time", return_value=sixty_one_days_ago):
        expired = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(
            {"g": gift.id, "e": gift.donor_email}
        )
    response = client.get(f"/monthly/manage/{expired}")
    assert response.status_code == 403
    assert "expired" in response.get_data(as_text=True)

    other_salt = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else")
    forged = other_salt.dumps({"g": gift.id, "e": gift.donor_email})
    assert client.get(f"/monthly/manage/{forged}").status_code == 403
    other_key = URLSafeTimedSerializer("not-our-secret", salt=SALT)
    assert (
        client.get(
            f"/monthly/manage/{other_key.dumps({'g': gift.id, 'e': gift.donor_email})}"
        ).status_code
        == 403
    )


def test_another_donors_link_does_not_open_this_gift(client, gift, emulator, app):
    assert start_monthly(client, emulator, email="bob@example.org", name="Bob").status_code == 200
    db.session.rollback()
    bobs = db.session.scalars(
        select(MonthlyGift).where(MonthlyGift.donor_email == "bob@example.org")
    ).one()
    # Ada's email with Bob's gift: a link made for one donor names only that donor's gift.
    crossed = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=SALT).dumps(
        {"g": bobs.id, "e": "ada@example.org"}
    )
    assert client.get(f"/monthly/manage/{crossed}").status_code == 403
    assert client.get(_path(bobs)).status_code == 200


def test_a_form_without_its_csrf_token_changes_nothing(client, gift, emulator):
    response = client.post(f"{_path(gift)}/cancel", data={})
    assert response.status_code == 400
    assert only_gift().status == "active"
    assert stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")["status"] == "active"


def _audit() -> list[tuple[str, str]]:
    db.session.rollback()
    return [
        (event.actor, event.action)
        for event in db.session.scalars(select(MonthlyGiftEvent).order_by(MonthlyGiftEvent.id))
    ]


def test_cancel_reaches_stripe_is_audited_and_confirmed(client, gift, emulator, smtp):
    path = _path(gift)
    token = _form_token(client, path)
    response = client.post(f"{path}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    assert "canceled" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert only_gift().status == "canceled"
    assert only_gift().canceled_at is not None
    assert stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")["status"] == "canceled"
    assert _audit()[-1] == ("donor:ada@example.org", "canceled")
    send_due_emails()
    notices = [m for m in smtp.messages if "changed" in m["Subject"]]
    assert len(notices) == 1
    assert "is canceled" in notices[0].get_body(("plain",)).get_content()
    # A canceled gift takes no further change.
    again = client.post(f"{path}/pause", data={"csrf_token": token})
    assert again.status_code == 400


def test_a_new_amount_reaches_stripe_and_is_audited(client, gift, emulator):
    path = _path(gift)
    token = _form_token(client, path)
    response = client.post(f"{path}/amount", data={"csrf_token": token, "amount": "30"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert only_gift().amount == 3000
    subscription = stripe_get(emulator, f"/v1/subscriptions/{gift.provider_ref}")
    assert subscription["items"]["data"][0]["plan"]["amount"] == 3000
    assert _audit()[-1] == ("donor:ada@example.org", "amount_changed")
    kinds = db.session.scalars(select(OutboxEmail.kind)).all()
    assert kinds.count("monthly_changed") == 1

    bad = client.post(f"{path}/amount", data={"csrf_token": token, "amount": "thirty"})
    assert bad.status_code == 400
    assert only_gift().amount == 3000


def test_pause_and_resume_are_audited(client, gift):
    path = _path(gift)
    token = _form_token(client, path)
    assert client.post(f"{path}/pause", data={"csrf_token": token}).status_code == 303
    assert only_gift().status == "paused"
    assert client.post(f"{path}/resume", data={"csrf_token": token}).status_code == 303
    assert only_gift().status == "active"
    assert [action for _, action in _audit()][-2:] == ["paused", "resumed"]


def test_a_new_card_becomes_the_one_charged(client, gift, emulator):
    path = _path(gift)
    token = _form_token(client, path)
    setup = client.post(f"{path}/card-setup", json={}, headers={"X-CSRFToken": token})
    assert setup.status_code == 200, setup.get_json()
    secret = setup.get_json()["client_secret"]
    setup_intent_id = secret.split("_secret_")[0]
    # What the emulator's Stripe.js confirmCardSetup sends from the browser.
    confirmed = emulator._request(
        "POST",
        f"/v1/setup_intents/{setup_intent_id}/confirm",
        {
            "key": PUBLISHABLE_KEY,
            "client_secret": secret,
            "payment_method_data[type]": "card",
            "payment_method_data[card][number]": "5555555555554444",
            "payment_method_data[card][exp_month]": "11",
            "payment_method_data[card][exp_year]": "2031",
            "payment_method_data[card][cvc]": "321",
        },
    )
    assert confirmed["status"] == "succeeded"
    done = client.post(
        f"{path}/card", json={"setup_intent": setup_intent_id}, headers={"X-CSRFToken": token}
    )
    assert done.status_code == 200, done.get_json()
    customer = stripe_get(emulator, f"/v1/customers/{gift.customer_ref}")
    assert customer["invoice_settings"]["default_payment_method"] == confirmed["payment_method"]
    assert _audit()[-1] == ("donor:ada@example.org", "card_updated")

    refused = client.post(
        f"{path}/card", json={"setup_intent": "seti_nope"}, headers={"X-CSRFToken": token}
    )
    assert refused.status_code in (400, 404)
