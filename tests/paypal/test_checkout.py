"""PayPal at the checkout, through the JSON endpoints the page's script calls, against
the PayPal peer (the donor's approval in PayPal's window is the peer's control)."""

from __future__ import annotations

import re

from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.models import Donation, OutboxEmail, PaymentAttempt

from .conftest import raised

FORM = {"amount": "25", "currency": "USD", "name": "Ada", "email": "ada@example.org"}


def attempts() -> list[tuple[str | None, int | None, str]]:
    rows = db.session.scalars(select(PaymentAttempt).order_by(PaymentAttempt.id))
    return [(row.email, row.amount, row.outcome) for row in rows]


def csrf_of(client, slug: str = "eoy") -> str:
    html = client.get(f"/donate/{slug}").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def post(client, url: str, token: str, body: dict):
    return client.post(url, json=body, headers={"X-CSRFToken": token})


def test_page_offers_paypal_with_the_sdk_and_its_csp(client, peer, running_drive):
    response = client.get("/donate/eoy")
    html = response.get_data(as_text=True)
    assert 'data-testid="paypal-option"' in html
    assert f"{peer.base_url}/sdk/js?client-id={peer.client_id}&amp;currency=USD" in html
    assert peer.base_url in response.headers["Content-Security-Policy"].split("script-src")[1]


def test_order_capture_counts_once_and_queues_the_receipt(client, peer, running_drive):
    token = csrf_of(client)
    created = post(client, "/donate/eoy/paypal/orders", token, {**FORM, "expected_total": 2500})
    assert created.status_code == 200, created.get_json()
    order_id = created.get_json()["id"]
    order = peer.orders[order_id]
    assert order.value == "25.00" and order.currency == "USD"
    pending = db.session.scalars(select(Donation)).one()
    assert order.purchase_unit["custom_id"] == f"eoy:{pending.id}"
    assert (pending.status, pending.method, pending.provider) == ("pending", "paypal", "paypal")
    peer.approve_order(order_id)
    url = f"/donate/eoy/paypal/orders/{order_id}/capture"
    captured = post(client, url, token, {})
    again = post(client, url, token, {})  # a second click: PayPal-Request-Id, same capture
    assert captured.status_code == again.status_code == 200, again.get_json()
    body = captured.get_json()
    assert body["status"] == "succeeded" and body["capture_id"] == order.capture_id
    assert raised(running_drive) == 2500
    db.session.rollback()
    donation = db.session.scalars(select(Donation)).one()
    assert (donation.id, donation.status, donation.provider_ref) == (
        pending.id,
        "succeeded",
        order.capture_id,
    )
    # The attempt log: the order, then both captures (PayPal's second answer is the same).
    assert attempts() == [
        ("ada@example.org", 2500, "order_created"),
        (order.payer.email, 2500, "succeeded"),
        (order.payer.email, 2500, "succeeded"),
    ]
    thanks = client.get(body["redirect"])
    assert thanks.status_code == 200 and "$25.00" in thanks.get_data(as_text=True)
    emails = db.session.scalars(select(OutboxEmail)).all()
    assert [(e.kind, e.to_address) for e in emails] == [("receipt", "ada@example.org")]
    # The capture's webhook and IPN later: nothing moves.
    from ..peers.live_server import LiveServer

    server = LiveServer(client.application).start()
    try:
        assert (
            peer.deliver_webhook(f"{server.url}/webhooks/paypal", order.capture_id).status_code
            == 200
        )
        assert (
            peer.send_ipn(f"{server.url}/webhooks/paypal/ipn", order.capture_id).status_code == 200
        )
    finally:
        server.stop()
    assert raised(running_drive) == 2500


def test_bad_amount_is_refused_by_field_and_nothing_is_written(client, peer, running_drive):
    token = csrf_of(client)
    for body, field in (
        ({**FORM, "amount": "2.5.0"}, "amount"),
        ({**FORM, "amount": "1"}, "amount"),
        ({**FORM, "email": "not an email"}, "email"),
        ({**FORM, "currency": "EUR"}, "currency"),
        ({**FORM, "expected_total": 9999}, "amount"),
    ):
        answer = post(client, "/donate/eoy/paypal/orders", token, body)
        assert answer.status_code == 400 and answer.get_json()["field"] == field, answer.get_json()
    assert db.session.scalars(select(Donation)).all() == []
    assert peer.orders == {}
    no_csrf = client.post("/donate/eoy/paypal/orders", json=FORM)
    assert no_csrf.status_code == 400 and peer.orders == {}


def test_unapproved_order_is_not_captured_and_counts_nothing(client, peer, running_drive):
    token = csrf_of(client)
    order_id = post(client, "/donate/eoy/paypal/orders", token, FORM).get_json()["id"]
    answer = post(client, f"/donate/eoy/paypal/orders/{order_id}/capture", token, {})
    assert answer.status_code == 400 and "ORDER_NOT_APPROVED" in answer.get_json()["error"]
    assert [outcome for *_, outcome in attempts()] == ["order_created", "rejected"]
    assert raised(running_drive) == 0


def test_paypal_down_gives_a_clear_502(client, peer, running_drive):
    token = csrf_of(client)
    peer.api_unavailable = True
    answer = post(client, "/donate/eoy/paypal/orders", token, FORM)
    assert answer.status_code == 502 and "PayPal" in answer.get_json()["error"]
    assert attempts() == [("ada@example.org", 2500, "provider_error")]
