"""The PayPal test peer itself: its validation against PayPal's OpenAPI documents bites,
and each endpoint and control behaves as PayPal documents."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest
import requests

from tests.peers.paypal import PayPalPeer, PeerViolation, to_minor, to_value
from tests.peers.paypal.ipn import check_ipn, payment_date


class _Session(requests.Session):
    """requests with a timeout on every call."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", 10)
        return super().request(*args, **kwargs)


http = _Session()

ORDER = {
    "intent": "CAPTURE",
    "purchase_units": [
        {"amount": {"currency_code": "USD", "value": "25.00"}, "custom_id": "eoy-2026:41"}
    ],
}


class Receiver:
    """Where the peer posts webhooks and IPNs: keeps each request, answers 200."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.received.append({"path": self.path, "headers": self.headers, "body": body})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def token(peer: PayPalPeer) -> dict[str, str]:
    answer = http.post(
        f"{peer.base_url}/v1/oauth2/token",
        auth=(peer.client_id, peer.client_secret),
        data={"grant_type": "client_credentials"},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def captured_order(peer: PayPalPeer, auth: dict[str, str], order: dict = ORDER) -> dict:
    created = http.post(f"{peer.base_url}/v2/checkout/orders", json=order, headers=auth)
    assert created.status_code == 201, created.text
    peer.approve_order(created.json()["id"])
    answer = http.post(
        f"{peer.base_url}/v2/checkout/orders/{created.json()['id']}/capture", headers=auth
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["purchase_units"][0]["payments"]["captures"][0]


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- validation bites
@pytest.mark.parametrize(
    ("order", "named"),
    [
        ({**ORDER, "intent": "BOGUS"}, "BOGUS"),
        ({"intent": "CAPTURE"}, "purchase_units"),
        (
            {"intent": "CAPTURE", "purchase_units": [{"amount": {"currency_code": "USD"}}]},
            "value",
        ),
    ],
)
def test_a_malformed_order_request_is_refused_and_recorded(paypal_peer, order, named):
    answer = http.post(
        f"{paypal_peer.base_url}/v2/checkout/orders", json=order, headers=token(paypal_peer)
    )
    assert answer.status_code == 500
    assert named in answer.json()["message"]
    violations = paypal_peer.take_violations()
    assert len(violations) == 1 and named in violations[0]
    assert paypal_peer.orders == {}


def test_a_well_formed_order_request_passes(paypal_peer):
    answer = http.post(
        f"{paypal_peer.base_url}/v2/checkout/orders", json=ORDER, headers=token(paypal_peer)
    )
    assert answer.status_code == 201
    assert paypal_peer.violations == []


def test_a_violation_fails_the_test_at_teardown(paypal_peer_server):
    """What the ``paypal_peer`` fixture's teardown does when a test leaves a violation."""
    paypal_peer_server.reset()
    http.post(
        f"{paypal_peer_server.base_url}/v2/checkout/orders",
        json={"intent": "BOGUS"},
        headers=token(paypal_peer_server),
    )
    with pytest.raises(PeerViolation, match="BOGUS"):
        paypal_peer_server.assert_no_violations()
    paypal_peer_server.reset()


def test_the_peers_own_responses_are_validated(paypal_peer):
    auth = token(paypal_peer)
    created = http.post(f"{paypal_peer.base_url}/v2/checkout/orders", json=ORDER, headers=auth)
    paypal_peer.merchant_id = "not a PayPal account id"
    try:
        shown = http.get(
            f"{paypal_peer.base_url}/v2/checkout/orders/{created.json()['id']}",
            headers=auth,
            params={},
        )
    finally:
        paypal_peer.merchant_id = "PEERMERCHANT2"
    assert shown.status_code == 500
    [violation] = paypal_peer.take_violations()
    assert violation.startswith("response to GET") and "merchant_id" in violation


# --------------------------------------------------------------------------- OAuth
def test_oauth_token_needs_the_client_credentials(paypal_peer):
    url = f"{paypal_peer.base_url}/v1/oauth2/token"
    wrong = http.post(
        url, auth=(paypal_peer.client_id, "wrong"), data={"grant_type": "client_credentials"}
    )
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"
    no_grant = http.post(
        url, auth=(paypal_peer.client_id, paypal_peer.client_secret), data={"scope": "x"}
    )
    assert no_grant.status_code == 400
    right = http.post(
        url,
        auth=(paypal_peer.client_id, paypal_peer.client_secret),
        data={"grant_type": "client_credentials"},
    )
    assert right.status_code == 200
    body = right.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 32400
    assert body["access_token"] and paypal_peer.tokens_issued == 1


def test_the_api_needs_a_live_token(paypal_peer):
    orders = f"{paypal_peer.base_url}/v2/checkout/orders"
    assert http.post(orders, json=ORDER).status_code == 401
    assert http.post(orders, json=ORDER, headers={"Authorization": "Bearer x"}).status_code == 401
    auth = token(paypal_peer)
    assert http.post(orders, json=ORDER, headers=auth).status_code == 201
    paypal_peer.expire_tokens()
    answer = http.post(orders, json=ORDER, headers=auth)
    assert answer.status_code == 401 and answer.json()["name"] == "AUTHENTICATION_FAILURE"


def test_a_json_token_request_is_a_violation(paypal_peer):
    answer = http.post(
        f"{paypal_peer.base_url}/v1/oauth2/token",
        auth=(paypal_peer.client_id, paypal_peer.client_secret),
        json={"grant_type": "client_credentials"},
    )
    assert answer.status_code == 500
    assert "form-encoded" in paypal_peer.take_violations()[0]


# --------------------------------------------------------------------------- orders
def test_create_approve_capture(paypal_peer):
    auth = token(paypal_peer)
    base = paypal_peer.base_url
    created = http.post(f"{base}/v2/checkout/orders", json=ORDER, headers=auth).json()
    assert created["status"] == "CREATED"
    rels = {link["rel"]: link["href"] for link in created["links"]}
    assert "approve" in rels and created["id"] in rels["approve"]

    early = http.post(f"{base}/v2/checkout/orders/{created['id']}/capture", headers=auth)
    assert early.status_code == 422
    assert early.json()["details"][0]["issue"] == "ORDER_NOT_APPROVED"

    paypal_peer.approve_order(created["id"])
    shown = http.get(f"{base}/v2/checkout/orders/{created['id']}", headers=auth).json()
    assert shown["status"] == "APPROVED" and shown["payer"]["email_address"]

    retry = {**auth, "PayPal-Request-Id": "capture-41", "Content-Type": "application/json"}
    answer = http.post(f"{base}/v2/checkout/orders/{created['id']}/capture", headers=retry)
    assert answer.status_code == 201
    assert answer.json()["status"] == "COMPLETED"
    capture = answer.json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "COMPLETED"
    assert capture["amount"] == {"currency_code": "USD", "value": "25.00"}
    assert capture["custom_id"] == "eoy-2026:41"
    assert capture["create_time"].endswith("Z")

    again = http.post(f"{base}/v2/checkout/orders/{created['id']}/capture", headers=retry)
    assert again.status_code == 200
    assert again.json()["purchase_units"][0]["payments"]["captures"][0]["id"] == capture["id"]
    twice = http.post(f"{base}/v2/checkout/orders/{created['id']}/capture", headers=auth)
    assert twice.status_code == 422
    assert twice.json()["details"][0]["issue"] == "ORDER_ALREADY_CAPTURED"

    shown = http.get(f"{base}/v2/payments/captures/{capture['id']}", headers=auth).json()
    assert shown["id"] == capture["id"] and shown["status"] == "COMPLETED"
    assert http.get(f"{base}/v2/payments/captures/NOPE", headers=auth).status_code == 404


def test_an_approved_order_can_capture_pending(paypal_peer):
    auth = token(paypal_peer)
    created = http.post(
        f"{paypal_peer.base_url}/v2/checkout/orders", json=ORDER, headers=auth
    ).json()
    paypal_peer.approve_order(created["id"], capture_status="PENDING")
    answer = http.post(
        f"{paypal_peer.base_url}/v2/checkout/orders/{created['id']}/capture", headers=auth
    )
    capture = answer.json()["purchase_units"][0]["payments"]["captures"][0]
    assert capture["status"] == "PENDING" and capture["status_details"]["reason"]
    assert paypal_peer.complete(capture["id"]).status == "COMPLETED"


def test_amounts_are_paypal_decimal_strings_per_currency(paypal_peer):
    assert to_value(1050, "USD") == "10.50"
    assert to_value(-5, "EUR") == "-0.05"
    assert to_value(500, "JPY") == "500"
    assert to_minor("10.5", "USD") == 1050
    assert to_minor("10.505", "USD") is None
    assert to_minor("500", "JPY") == 500 and to_minor("5.5", "JPY") is None
    auth = token(paypal_peer)
    yen = {
        "intent": "CAPTURE",
        "purchase_units": [{"amount": {"currency_code": "JPY", "value": "5.5"}}],
    }
    answer = http.post(f"{paypal_peer.base_url}/v2/checkout/orders", json=yen, headers=auth)
    assert answer.status_code == 422 and answer.json()["details"][0]["issue"] == "DECIMAL_PRECISION"


# --------------------------------------------------------------------------- refunds
def test_partial_then_full_refund(paypal_peer):
    auth = token(paypal_peer)
    base = paypal_peer.base_url
    capture = captured_order(paypal_peer, auth)
    refund_url = f"{base}/v2/payments/captures/{capture['id']}/refund"

    too_much = http.post(
        refund_url, json={"amount": {"currency_code": "USD", "value": "25.01"}}, headers=auth
    )
    assert too_much.status_code == 422
    assert too_much.json()["details"][0]["issue"] == "REFUND_AMOUNT_EXCEEDED"
    wrong_currency = http.post(
        refund_url, json={"amount": {"currency_code": "EUR", "value": "1.00"}}, headers=auth
    )
    assert wrong_currency.json()["details"][0]["issue"] == "REFUND_CAPTURE_CURRENCY_MISMATCH"

    partial = http.post(
        refund_url,
        json={"amount": {"currency_code": "USD", "value": "10.00"}, "note_to_payer": "Thanks"},
        headers={**auth, "Prefer": "return=representation"},
    )
    assert partial.status_code == 201
    assert partial.json()["amount"]["value"] == "10.00" and partial.json()["status"] == "COMPLETED"
    shown = http.get(f"{base}/v2/payments/captures/{capture['id']}", headers=auth).json()
    assert shown["status"] == "PARTIALLY_REFUNDED"

    rest = http.post(refund_url, headers=auth)  # an empty body refunds what is left
    assert rest.status_code == 201 and set(rest.json()) == {"id", "status", "links"}
    refund = http.get(f"{base}/v2/payments/refunds/{rest.json()['id']}", headers=auth).json()
    assert refund["amount"] == {"currency_code": "USD", "value": "15.00"}
    shown = http.get(f"{base}/v2/payments/captures/{capture['id']}", headers=auth).json()
    assert shown["status"] == "REFUNDED"

    after = http.post(refund_url, headers=auth)
    assert after.status_code == 422
    assert after.json()["details"][0]["issue"] == "CAPTURE_FULLY_REFUNDED"


# --------------------------------------------------------------------------- webhooks
def verify(peer: PayPalPeer, headers: Any, body: bytes, webhook_id: str | None = None) -> str:
    import json

    payload = {
        "auth_algo": headers["PAYPAL-AUTH-ALGO"],
        "cert_url": headers["PAYPAL-CERT-URL"],
        "transmission_id": headers["PAYPAL-TRANSMISSION-ID"],
        "transmission_sig": headers["PAYPAL-TRANSMISSION-SIG"],
        "transmission_time": headers["PAYPAL-TRANSMISSION-TIME"],
        "webhook_id": webhook_id or peer.webhook_id,
        "webhook_event": json.loads(body),
    }
    answer = http.post(
        f"{peer.base_url}/v1/notifications/verify-webhook-signature",
        json=payload,
        headers=token(peer),
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["verification_status"]


def test_signed_webhook_verifies_and_tampering_does_not(paypal_peer, receiver):
    capture = paypal_peer.donate(2500, custom="eoy-2026", channel="checkout")
    delivery = paypal_peer.deliver_webhook(receiver.url + "/webhooks/paypal", capture.id)
    assert delivery.status_code == 200
    [got] = receiver.received
    assert got["path"] == "/webhooks/paypal" and got["body"] == delivery.body
    event = delivery.event
    assert event["event_type"] == "PAYMENT.CAPTURE.COMPLETED"
    assert event["resource_type"] == "capture" and event["resource"]["id"] == capture.id
    assert event["resource"]["custom_id"] == "eoy-2026"
    for name in ("ID", "TIME", "SIG"):
        assert got["headers"][f"PAYPAL-TRANSMISSION-{name}"]
    assert got["headers"]["PAYPAL-CERT-URL"] and got["headers"]["PAYPAL-AUTH-ALGO"]

    assert verify(paypal_peer, got["headers"], got["body"]) == "SUCCESS"
    tampered = got["body"].replace(b'"25.00"', b'"2500.00"')
    assert tampered != got["body"]
    assert verify(paypal_peer, got["headers"], tampered) == "FAILURE"
    assert verify(paypal_peer, got["headers"], got["body"], "1OTHERWEBHOOK") == "FAILURE"
    forged = dict(got["headers"].items())
    forged["PAYPAL-TRANSMISSION-SIG"] = "Forged" + forged["PAYPAL-TRANSMISSION-SIG"][6:]
    assert verify(paypal_peer, forged, got["body"]) == "FAILURE"
    assert [status for _, status in paypal_peer.verifications] == ["SUCCESS"] + ["FAILURE"] * 3


def test_a_redelivered_event_is_the_same_event_in_a_new_transmission(paypal_peer, receiver):
    capture = paypal_peer.donate(1000)
    first = paypal_peer.deliver_webhook(receiver.url, capture.id)
    second = paypal_peer.redeliver(first)
    assert second.body == first.body and second.event_id == first.event_id
    assert second.headers["PAYPAL-TRANSMISSION-ID"] != first.headers["PAYPAL-TRANSMISSION-ID"]
    for got in receiver.received:
        assert verify(paypal_peer, got["headers"], got["body"]) == "SUCCESS"
    assert len(paypal_peer.webhooks) == 2


def test_every_capture_event_type_is_built_and_validated(paypal_peer, receiver):
    pending = paypal_peer.donate(1000, status="PENDING")
    completed = paypal_peer.donate(2000)
    denied = paypal_peer.donate(3000, status="PENDING")
    paypal_peer.deny(denied.id)
    refund = paypal_peer.refund(completed.id, 500)
    reversal = paypal_peer.reverse(completed.id)
    expected = {
        pending.id: ("PAYMENT.CAPTURE.PENDING", "capture"),
        denied.id: ("PAYMENT.CAPTURE.DENIED", "capture"),
        refund.id: ("PAYMENT.CAPTURE.REFUNDED", "refund"),
        reversal.id: ("PAYMENT.CAPTURE.REVERSED", "refund"),
    }
    for resource_id, (event_type, kind) in expected.items():
        delivery = paypal_peer.deliver_webhook(receiver.url, resource_id)
        assert (delivery.event["event_type"], delivery.event["resource_type"]) == (
            event_type,
            kind,
        )
    assert receiver.received[2]["body"].count(b'"value":"5.00"') >= 1
    refunded = paypal_peer.webhook_event(completed.id, "PAYMENT.CAPTURE.COMPLETED")
    assert refunded["resource"]["status"] == "REFUNDED"
    with pytest.raises(KeyError):
        paypal_peer.webhook_event("NOSUCHTHING")


# --------------------------------------------------------------------------- Transaction Search
def search(peer: PayPalPeer, auth: dict[str, str], **params: Any) -> requests.Response:
    return http.get(f"{peer.base_url}/v1/reporting/transactions", params=params, headers=auth)


def test_transaction_search_windows_paging_and_codes(paypal_peer):
    start = datetime(2025, 11, 1, tzinfo=UTC)
    gifts = [
        paypal_peer.donate(1000 + i, custom=f"eoy:{i}", at=start + timedelta(days=i))
        for i in range(5)
    ]
    checkout = paypal_peer.donate(700, "EUR", channel="checkout", at=start + timedelta(days=6))
    paypal_peer.refund(gifts[0].id, 300, at=start + timedelta(days=7))
    paypal_peer.refund(gifts[1].id, at=start + timedelta(days=7, hours=1))
    outside = paypal_peer.donate(999, at=start + timedelta(days=40))
    auth = token(paypal_peer)

    window = {"start_date": stamp(start), "end_date": stamp(start + timedelta(days=31))}
    pages, seen = [], []
    page = 1
    while True:
        body = search(paypal_peer, auth, **window, page=page, page_size=3, fields="all").json()
        pages.append(body)
        seen += body.get("transaction_details", [])
        if page >= body["total_pages"]:
            break
        page += 1
    assert [p["total_pages"] for p in pages] == [3, 3, 3]
    assert pages[0]["total_items"] == 8
    infos = {d["transaction_info"]["transaction_id"]: d for d in seen}
    assert outside.id not in infos and len(infos) == 8
    first = infos[gifts[0].id]["transaction_info"]
    assert first["transaction_event_code"] == "T0013" and first["transaction_status"] == "S"
    assert first["transaction_amount"] == {"currency_code": "USD", "value": "10.00"}
    assert first["custom_field"] == "eoy:0"
    assert first["transaction_initiation_date"] == "2025-11-01T00:00:00Z"
    assert infos[gifts[1].id]["transaction_info"]["transaction_status"] == "V"
    assert infos[checkout.id]["transaction_info"]["transaction_event_code"] == "T0006"
    refunds = [
        d["transaction_info"]
        for d in seen
        if d["transaction_info"]["transaction_event_code"] == "T1107"
    ]
    assert sorted(r["transaction_amount"]["value"] for r in refunds) == ["-10.01", "-3.00"]
    assert {r["paypal_reference_id"] for r in refunds} == {gifts[0].id, gifts[1].id}
    assert infos[gifts[2].id]["payer_info"]["email_address"] == gifts[2].payer.email

    default_fields = search(paypal_peer, auth, **window).json()
    assert "payer_info" not in default_fields["transaction_details"][0]

    later = search(
        paypal_peer,
        auth,
        start_date=stamp(start + timedelta(days=35)),
        end_date=stamp(start + timedelta(days=45)),
    ).json()
    assert [d["transaction_info"]["transaction_id"] for d in later["transaction_details"]] == [
        outside.id
    ]
    empty = search(
        paypal_peer, auth, start_date="2020-01-01T00:00:00Z", end_date="2020-01-02T00:00:00Z"
    )
    assert empty.status_code == 200 and empty.json()["total_items"] == 0


def test_transaction_search_refuses_more_than_31_days(paypal_peer):
    auth = token(paypal_peer)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    ok = search(
        paypal_peer, auth, start_date=stamp(start), end_date=stamp(start + timedelta(days=31))
    )
    assert ok.status_code == 200
    too_long = search(
        paypal_peer,
        auth,
        start_date=stamp(start),
        end_date=stamp(start + timedelta(days=31, seconds=1)),
    )
    assert too_long.status_code == 400 and too_long.json()["name"] == "INVALID_REQUEST"
    backwards = search(
        paypal_peer, auth, start_date=stamp(start), end_date=stamp(start - timedelta(days=1))
    )
    assert backwards.status_code == 400
    assert paypal_peer.violations == []


def test_transaction_search_without_dates_is_a_violation(paypal_peer):
    answer = search(paypal_peer, token(paypal_peer), start_date="2026-11-01T00:00:00Z")
    assert answer.status_code == 500
    assert "end_date" in paypal_peer.take_violations()[0]


def test_transaction_search_lags(paypal_peer):
    paypal_peer.search_lag = timedelta(hours=3)
    recent = paypal_peer.donate(1000, at=datetime.now(UTC) - timedelta(hours=1))
    older = paypal_peer.donate(1000, at=datetime.now(UTC) - timedelta(hours=4))
    body = search(
        paypal_peer,
        token(paypal_peer),
        start_date=stamp(datetime.now(UTC) - timedelta(days=1)),
        end_date=stamp(datetime.now(UTC)),
    ).json()
    ids = [d["transaction_info"]["transaction_id"] for d in body["transaction_details"]]
    assert ids == [older.id] and recent.id not in ids


# --------------------------------------------------------------------------- IPN
def validate_ipn(peer: PayPalPeer, body: bytes) -> requests.Response:
    return http.post(
        f"{peer.base_url}/cgi-bin/webscr",
        data=b"cmd=_notify-validate&" + body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def test_ipn_verified_only_for_the_exact_message(paypal_peer, receiver):
    gift = paypal_peer.donate(1500, "EUR", custom="eoy-2026", item_number="eoy-2026")
    delivery = paypal_peer.send_ipn(receiver.url + "/webhooks/paypal/ipn", gift.id)
    [got] = receiver.received
    assert got["body"] == delivery.body
    fields = dict(parse_qsl(got["body"].decode()))
    assert fields["txn_id"] == gift.id and fields["payment_status"] == "Completed"
    assert fields["mc_gross"] == "15.00" and fields["mc_currency"] == "EUR"
    assert fields["receiver_email"] == fields["business"] == paypal_peer.receiver_email
    assert fields["custom"] == fields["item_number"] == "eoy-2026"
    assert fields["txn_type"] == "web_accept" and fields["ipn_track_id"]
    assert check_ipn(fields) == []

    assert validate_ipn(paypal_peer, got["body"]).text == "VERIFIED"
    assert validate_ipn(paypal_peer, got["body"].replace(b"15.00", b"150.00")).text == "INVALID"
    assert validate_ipn(paypal_peer, got["body"] + b"&extra=1").text == "INVALID"
    unprefixed = http.post(f"{paypal_peer.base_url}/cgi-bin/webscr", data=got["body"])
    assert unprefixed.text == "INVALID"

    paypal_peer.ipn_unavailable = True
    assert validate_ipn(paypal_peer, got["body"]).status_code == 503
    paypal_peer.ipn_unavailable = False
    assert validate_ipn(paypal_peer, got["body"]).text == "VERIFIED"
    assert [answer for _, answer in paypal_peer.ipn_validations] == [
        "VERIFIED", "INVALID", "INVALID", "INVALID", "VERIFIED"
    ]  # fmt: skip


def test_ipn_for_refund_reversal_and_cancelled_reversal(paypal_peer, receiver):
    gift = paypal_peer.donate(2000)
    refund = paypal_peer.refund(gift.id, 500)
    reversal = paypal_peer.reverse(gift.id)
    back = paypal_peer.cancel_reversal(gift.id)
    expected = [
        (refund.id, "Refunded", "-5.00"),
        (reversal.id, "Reversed", "-15.00"),
        (back.id, "Canceled_Reversal", "15.00"),
    ]
    for transaction_id, status, gross in expected:
        fields = paypal_peer.send_ipn(receiver.url, transaction_id).fields
        assert (fields["payment_status"], fields["mc_gross"]) == (status, gross)
        assert fields["parent_txn_id"] == gift.id and fields["txn_id"] == transaction_id
    assert paypal_peer.captures[gift.id].remaining == 1500


def test_ipn_pending_then_completed_and_replay(paypal_peer, receiver):
    gift = paypal_peer.donate(1000, status="PENDING")
    pending = paypal_peer.send_ipn(receiver.url, gift.id)
    assert pending.fields["payment_status"] == "Pending"
    assert pending.fields["pending_reason"] == "echeck"
    paypal_peer.complete(gift.id)
    done = paypal_peer.send_ipn(receiver.url, gift.id)
    assert done.fields["payment_status"] == "Completed" and done.fields["txn_id"] == gift.id
    replay = paypal_peer.resend_ipn(done)
    assert replay.body == done.body and receiver.received[-1]["body"] == done.body


def test_ipn_overrides_and_the_checker(paypal_peer, receiver):
    gift = paypal_peer.donate(1000)
    wrong = paypal_peer.send_ipn(receiver.url, gift.id, receiver_email="someone@example.net")
    assert wrong.fields["receiver_email"] == "someone@example.net"
    assert validate_ipn(paypal_peer, wrong.body).text == "VERIFIED"
    with pytest.raises(PeerViolation, match="payment_date"):
        paypal_peer.send_ipn(receiver.url, gift.id, payment_date="2026-12-01T10:00:00Z")
    assert "payment_date" in paypal_peer.take_violations()[0]
    bad = paypal_peer.send_ipn(receiver.url, gift.id, txn_id=None, check=False)
    assert "txn_id" not in bad.fields
    assert "txn_id is missing" in check_ipn(bad.fields)
    assert payment_date(datetime(2009, 1, 14, 4, 12, 59, tzinfo=UTC)) == "20:12:59 Jan 13, 2009 PST"
    assert payment_date(datetime(2026, 7, 1, 19, 0, 0, tzinfo=UTC)) == "12:00:00 Jul 01, 2026 PDT"


def test_ipn_in_windows_1252(paypal_peer, receiver):
    from tests.peers.paypal import Payer

    gift = paypal_peer.donate(1000, payer=Payer(given_name="José", surname="Müller"))
    delivery = paypal_peer.send_ipn(receiver.url, gift.id, charset="windows-1252")
    assert b"Jos%E9" in delivery.body
    assert dict(parse_qsl(delivery.body.decode(), encoding="windows-1252"))["first_name"] == "José"
    assert validate_ipn(paypal_peer, delivery.body).text == "VERIFIED"


# --------------------------------------------------------------------------- outages, SDK
def test_the_api_can_be_unavailable(paypal_peer):
    auth = token(paypal_peer)
    paypal_peer.api_unavailable = True
    assert (
        http.post(
            f"{paypal_peer.base_url}/v2/checkout/orders", json=ORDER, headers=auth
        ).status_code
        == 503
    )
    assert http.post(
        f"{paypal_peer.base_url}/v1/oauth2/token",
        auth=(paypal_peer.client_id, paypal_peer.client_secret),
        data={"grant_type": "client_credentials"},
    ).status_code == 503  # fmt: skip
    paypal_peer.reset()
    assert paypal_peer.api_unavailable is False


def test_settings_point_the_app_at_the_peer(paypal_peer):
    settings = paypal_peer.settings()
    assert settings["PAYPAL_API_BASE"] == paypal_peer.base_url
    assert settings["PAYPAL_IPN_VERIFY_URL"].endswith("/cgi-bin/webscr")
    script = http.get(settings["PAYPAL_JS_URL"], params={"client-id": paypal_peer.client_id})
    assert script.status_code == 200 and "paypal.Buttons" in script.text.replace("window.", "")
    assert paypal_peer.base_url in script.text


@pytest.mark.browser
def test_the_js_sdk_stand_in_creates_approves_and_hands_back_the_order(paypal_peer, page):
    from tests.peers.host_page import serve_host_page

    auth = token(paypal_peer)
    order_id = http.post(
        f"{paypal_peer.base_url}/v2/checkout/orders", json=ORDER, headers=auth
    ).json()["id"]
    sdk = f"{paypal_peer.settings()['PAYPAL_JS_URL']}?client-id={paypal_peer.client_id}"
    html = f"""<!doctype html><html><body><div id="paypal-button"></div>
    <script src="{sdk}"></script>
    <script>
      paypal.Buttons({{
        createOrder: function () {{ return Promise.resolve("{order_id}"); }},
        onApprove: function (data) {{ document.body.dataset.approved = data.orderID; }},
        onError: function (error) {{ document.body.dataset.error = String(error); }}
      }}).render("#paypal-button");
    </script></body></html>"""
    with serve_host_page(html) as url:
        page.goto(url)
        page.get_by_role("button", name="PayPal").click()
        page.wait_for_function("document.body.dataset.approved || document.body.dataset.error")
        assert page.evaluate("document.body.dataset.error") is None
        assert page.evaluate("document.body.dataset.approved") == order_id
    assert paypal_peer.orders[order_id].status == "APPROVED"
