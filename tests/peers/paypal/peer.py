"""The PayPal test peer: PayPal's REST endpoints Donation Drive uses, IPN validation and a
stand-in for the JS SDK, served on loopback; every request it receives and every
response and event it sends is validated against PayPal's OpenAPI documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import secrets
import threading
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from flask import Flask, Response, request
from werkzeug.serving import WSGIRequestHandler, make_server

from ..ports import free_port
from . import ipn, spec
from .model import (
    Capture,
    Order,
    Payer,
    Refund,
    iso,
    money,
    new_id,
    now,
    refund_json,
    to_minor,
    to_value,
)

SDK_JS = Path(__file__).with_name("sdk.js")

EVENT_SUMMARIES = {
    "PAYMENT.CAPTURE.COMPLETED": "Payment completed for {amount}",
    "PAYMENT.CAPTURE.PENDING": "Payment pending for {amount}",
    "PAYMENT.CAPTURE.DENIED": "Payment denied for {amount}",
    "PAYMENT.CAPTURE.REFUNDED": "A {amount} capture payment was refunded",
    "PAYMENT.CAPTURE.REVERSED": "A {amount} capture payment was reversed",
}

ERRORS = {
    400: (
        "INVALID_REQUEST",
        "Request is not well-formed, syntactically incorrect, or violates schema.",
    ),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to missing authorization header, or invalid authentication "
        "credentials.",
    ),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed "
        "business validation.",
    ),
}


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class PeerViolation(AssertionError):
    """Something sent to or by the peer breaks PayPal's published contract."""


@dataclass
class WebhookDelivery:
    url: str
    event: dict[str, Any]
    body: bytes
    headers: dict[str, str]
    webhook_id: str
    status_code: int | None = None
    response_text: str = ""

    @property
    def event_id(self) -> str:
        return self.event["id"]


@dataclass
class IpnDelivery:
    url: str
    fields: dict[str, str]
    body: bytes
    status_code: int | None = None
    response_text: str = ""


@dataclass
class _Reply:
    status: int
    body: dict[str, Any] | None
    headers: dict[str, str] = field(default_factory=dict)


def _error(status: int, issue: str | None = None, description: str = "", **detail: str) -> _Reply:
    name, message = ERRORS[status]
    body: dict[str, Any] = {"name": name, "message": message, "debug_id": new_id(13).lower()}
    if issue:
        body["details"] = [{"issue": issue, "description": description, **detail}]
    return _Reply(status, body)


class PayPalPeer:
    """PayPal on loopback. Start with :meth:`start`, clear between tests with :meth:`reset`."""

    def __init__(
        self,
        *,
        client_id: str = "peer-client-id",
        client_secret: str = "peer-client-secret",  # noqa: S107
        webhook_id: str = "1PEERWEBHOOK0001",
        receiver_email: str = "drive@example.org",
        merchant_id: str = "PEERMERCHANT2",
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.webhook_id = webhook_id
        self.receiver_email = receiver_email
        self.merchant_id = merchant_id
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self._signing_key = secrets.token_bytes(32)
        self._lock = threading.RLock()
        self._server = make_server(
            "127.0.0.1", self.port, self._make_app(), threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.reset()

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> PayPalPeer:
        spec.load_all()
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    def reset(self) -> None:
        """Forget every order, payment, token, delivery and violation; reachable again."""
        with self._lock:
            self.orders: dict[str, Order] = {}
            self.captures: dict[str, Capture] = {}
            self.refunds: dict[str, Refund] = {}
            self.tokens: dict[str, datetime] = {}
            self.tokens_issued = 0
            self.token_lifetime = 32400
            self.webhooks: list[WebhookDelivery] = []
            self.ipns: list[IpnDelivery] = []
            self.ipn_validations: list[tuple[bytes, str]] = []
            self.verifications: list[tuple[dict[str, Any], str]] = []
            self.requests: list[tuple[str, str, int]] = []  # (method, path, status answered)
            self.violations: list[str] = []
            self.api_unavailable = False
            self.ipn_unavailable = False
            self.search_lag = timedelta(0)
            self._idempotent: dict[tuple[str, str], _Reply] = {}

    def settings(self) -> dict[str, str]:
        """The app settings that point Donation Drive at this peer."""
        return {
            "PAYPAL_CLIENT_ID": self.client_id,
            "PAYPAL_CLIENT_SECRET": self.client_secret,
            "PAYPAL_WEBHOOK_ID": self.webhook_id,
            "PAYPAL_API_BASE": self.base_url,
            "PAYPAL_JS_URL": f"{self.base_url}/sdk/js",
            "PAYPAL_RECEIVER_EMAIL": self.receiver_email,
            "PAYPAL_IPN_VERIFY_URL": f"{self.base_url}/cgi-bin/webscr",
        }

    # ------------------------------------------------------------------ violations
    def violation(self, text: str) -> None:
        with self._lock:
            self.violations.append(text)

    def take_violations(self) -> list[str]:
        """The violations recorded so far, clearing them (for tests that expect some)."""
        with self._lock:
            taken, self.violations = self.violations, []
        return taken

    def assert_no_violations(self) -> None:
        with self._lock:
            found = list(self.violations)
        if found:
            raise PeerViolation(
                "the PayPal peer saw traffic that breaks PayPal's published contract:\n"
                + "\n\n".join(found)
            )

    # ------------------------------------------------------------------ test-side controls
    def donate(
        self,
        amount: int,
        currency: str = "USD",
        *,
        custom: str | None = None,
        item_number: str | None = None,
        item_name: str | None = None,
        channel: str = "donate_button",
        status: str = "COMPLETED",
        pending_reason: str = "ECHECK",
        at: datetime | None = None,
        payer: Payer | None = None,
        receiver_email: str | None = None,
        invoice_id: str | None = None,
        txn_type: str = "web_accept",
    ) -> Capture:
        """A donor pays ``amount`` minor units, by the classic Donate button
        (``channel="donate_button"``) or by checkout (``"checkout"``: an order is created,
        approved and captured too). ``custom`` is the button's ``custom`` / the order's
        ``custom_id``. ``status`` is COMPLETED, PENDING or DECLINED."""
        if channel not in ("donate_button", "checkout"):
            raise ValueError(f"channel {channel!r}")
        if status not in ("COMPLETED", "PENDING", "DECLINED"):
            raise ValueError(f"status {status!r}")
        currency = currency.upper()
        moment = at or now()
        with self._lock:
            capture = Capture(
                id=self._fresh_id(),
                amount=amount,
                currency=currency,
                created=moment,
                payer=payer or Payer(),
                channel=channel,
                custom_id=custom,
                invoice_id=invoice_id,
                item_number=item_number,
                item_name=item_name,
                receiver_email=receiver_email or self.receiver_email,
                base_status=status,
                pending_reason=pending_reason if status == "PENDING" else "OTHER",
                txn_type=txn_type,
            )
            if channel == "checkout":
                unit: dict[str, Any] = {"amount": money(amount, currency)}
                if custom is not None:
                    unit["custom_id"] = custom
                order = Order(
                    id=self._fresh_id(),
                    intent="CAPTURE",
                    purchase_unit=unit,
                    created=moment,
                    status="COMPLETED",
                    payer=capture.payer,
                    capture_id=capture.id,
                )
                capture.order_id = order.id
                self.orders[order.id] = order
            self.captures[capture.id] = capture
        return capture

    def approve_order(
        self, order_id: str, *, payer: Payer | None = None, capture_status: str = "COMPLETED"
    ) -> Order:
        """The donor approves the order in PayPal's window; its capture will have
        ``capture_status`` (COMPLETED, PENDING or DECLINED)."""
        with self._lock:
            order = self.orders[order_id]
            if order.status != "CREATED":
                raise ValueError(f"order {order_id} is {order.status}, not CREATED")
            order.status = "APPROVED"
            order.payer = payer or Payer()
            order.capture_status = capture_status
            order.updated = now()
            return order

    def refund(
        self, capture_id: str, amount: int | None = None, *, at: datetime | None = None
    ) -> Refund:
        """The merchant refunds (all that is left of) a payment, e.g. on PayPal's site."""
        return self._adjust(capture_id, "refund", amount, at)

    def reverse(self, capture_id: str, *, at: datetime | None = None) -> Refund:
        """A chargeback or PayPal reversal takes what is left of the payment back."""
        return self._adjust(capture_id, "reversal", None, at)

    def cancel_reversal(self, capture_id: str, *, at: datetime | None = None) -> Refund:
        """The dispute is won: the reversed money comes back (IPN Canceled_Reversal)."""
        with self._lock:
            capture = self.captures[capture_id]
            reversals = [r for r in capture.refunds if r.kind == "reversal"]
            if not reversals:
                raise ValueError(f"capture {capture_id} has no reversal to cancel")
            return self._adjust(capture_id, "cancel_reversal", reversals[-1].amount, at)

    def complete(self, capture_id: str) -> Capture:
        """A PENDING payment completes (e.g. the eCheck clears)."""
        with self._lock:
            capture = self.captures[capture_id]
            capture.base_status = "COMPLETED"
            capture.updated = now()
            return capture

    def deny(self, capture_id: str) -> Capture:
        """A PENDING payment is denied."""
        with self._lock:
            capture = self.captures[capture_id]
            capture.base_status = "DECLINED"
            capture.pending_reason = "OTHER"
            capture.updated = now()
            return capture

    def expire_tokens(self) -> None:
        """Every access token issued so far stops working (the app must get a new one)."""
        with self._lock:
            self.tokens.clear()

    # ------------------------------------------------------------------ webhooks
    def webhook_event(self, resource_id: str, event_type: str | None = None) -> dict[str, Any]:
        """The event PayPal would send for a capture or refund, validated against
        PayPal's documents. ``event_type`` defaults to the resource's state."""
        with self._lock:
            if resource_id in self.captures:
                capture = self.captures[resource_id]
                resource = capture.as_json(self.base_url, self.receiver_email, self.merchant_id)
                kind, amount = "capture", resource["amount"]
                default = {
                    "PENDING": "PAYMENT.CAPTURE.PENDING",
                    "DECLINED": "PAYMENT.CAPTURE.DENIED",
                }.get(capture.base_status, "PAYMENT.CAPTURE.COMPLETED")
            elif (
                resource_id in self.refunds and self.refunds[resource_id].kind != "cancel_reversal"
            ):
                refund = self.refunds[resource_id]
                resource = refund_json(refund, self.captures[refund.capture_id], self.base_url)
                kind, amount = "refund", resource["amount"]
                default = (
                    "PAYMENT.CAPTURE.REVERSED"
                    if refund.kind == "reversal"
                    else "PAYMENT.CAPTURE.REFUNDED"
                )
            else:
                raise KeyError(f"no capture or refund {resource_id} at the peer")
        event_type = event_type or default
        amount_text = f"{amount['value']} {amount['currency_code']}"
        event_id = f"WH-{new_id()}-{new_id()}"
        event = {
            "id": event_id,
            "create_time": iso(now()),
            "resource_type": kind,
            "event_type": event_type,
            "summary": EVENT_SUMMARIES.get(event_type, event_type).format(amount=amount_text),
            "resource": resource,
            "resource_version": "2.0",
            "event_version": "1.0",
            "links": [
                {
                    "href": f"{self.base_url}/v1/notifications/webhooks-events/{event_id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{self.base_url}/v1/notifications/webhooks-events/{event_id}/resend",
                    "rel": "resend",
                    "method": "POST",
                },
            ],
        }
        problem = spec.validate_event(event)
        if problem:
            self.violation(f"webhook event {event_type} the peer built:\n{problem}")
            raise PeerViolation(problem)
        return event

    def deliver_webhook(
        self,
        url: str,
        resource_id: str | None = None,
        event_type: str | None = None,
        *,
        event: dict[str, Any] | None = None,
        webhook_id: str | None = None,
        timeout: float = 30,
    ) -> WebhookDelivery:
        """POST a signed webhook event to ``url`` (as PayPal does): for ``resource_id`` (a
        capture or refund id) or a ready ``event``. Returns the delivery, with the answer."""
        if event is None:
            if resource_id is None:
                raise TypeError("give resource_id or event")
            event = self.webhook_event(resource_id, event_type)
        body = json.dumps(event, separators=(",", ":")).encode()
        return self._post_signed(url, event, body, webhook_id or self.webhook_id, timeout)

    def redeliver(self, delivery: WebhookDelivery, timeout: float = 30) -> WebhookDelivery:
        """PayPal's retry: the same event, byte for byte, in a new transmission."""
        return self._post_signed(
            delivery.url, delivery.event, delivery.body, delivery.webhook_id, timeout
        )

    def _signature(self, transmission_id: str, time: str, webhook_id: str, body: bytes) -> str:
        message = f"{transmission_id}|{time}|{webhook_id}|{zlib.crc32(body)}".encode()
        return base64.b64encode(
            hmac.new(self._signing_key, message, hashlib.sha256).digest()
        ).decode()

    def _post_signed(
        self, url: str, event: dict[str, Any], body: bytes, webhook_id: str, timeout: float
    ) -> WebhookDelivery:
        while True:  # PayPal's documented pattern wants the id and signature to start with \w
            transmission_id = str(uuid.uuid1())
            time = iso(now())
            signature = self._signature(transmission_id, time, webhook_id, body)
            if signature[0].isalnum() and transmission_id[0].isalpha():
                break
        headers = {
            "Content-Type": "application/json",
            "PAYPAL-TRANSMISSION-ID": transmission_id,
            "PAYPAL-TRANSMISSION-TIME": time,
            "PAYPAL-TRANSMISSION-SIG": signature,
            "PAYPAL-CERT-URL": f"{self.base_url}/v1/notifications/certs/CERT-360caa42-peer",
            "PAYPAL-AUTH-ALGO": "SHA256withRSA",
            "User-Agent": "PayPal/AUHD-214.0-58844005",
        }
        delivery = WebhookDelivery(url, event, body, headers, webhook_id)
        with self._lock:
            self.webhooks.append(delivery)
        response = requests.post(url, data=body, headers=headers, timeout=timeout)
        delivery.status_code = response.status_code
        delivery.response_text = response.text
        return delivery

    def _verify(self, payload: dict[str, Any]) -> str:
        with self._lock:
            deliveries = list(self.webhooks)
        for delivery in deliveries:
            headers = delivery.headers
            if (
                payload["transmission_id"] == headers["PAYPAL-TRANSMISSION-ID"]
                and payload["transmission_time"] == headers["PAYPAL-TRANSMISSION-TIME"]
                and payload["transmission_sig"] == headers["PAYPAL-TRANSMISSION-SIG"]
                and payload["cert_url"] == headers["PAYPAL-CERT-URL"]
                and payload["auth_algo"] == headers["PAYPAL-AUTH-ALGO"]
                and payload["webhook_id"] == delivery.webhook_id == self.webhook_id
                and payload["webhook_event"] == json.loads(delivery.body)
            ):
                return "SUCCESS"
        return "FAILURE"

    # ------------------------------------------------------------------ IPN
    def ipn_message(self, transaction_id: str, **overrides: str | None) -> dict[str, str]:
        """The IPN PayPal would send for a payment (capture id) or a refund, reversal or
        cancelled reversal (its id). ``overrides`` replace fields; None removes one."""
        with self._lock:
            if transaction_id in self.captures:
                capture, adjustment = self.captures[transaction_id], None
            elif transaction_id in self.refunds:
                adjustment = self.refunds[transaction_id]
                capture = self.captures[adjustment.capture_id]
            else:
                raise KeyError(f"no transaction {transaction_id} at the peer")
        fields: dict[str, str] = {
            "mc_gross": to_value(capture.amount, capture.currency),
            "protection_eligibility": "Eligible",
            "payer_id": capture.payer.payer_id,
            "payment_date": ipn.payment_date(capture.created),
            "payment_status": {"PENDING": "Pending", "DECLINED": "Denied"}.get(
                capture.base_status, "Completed"
            ),
            "charset": "UTF-8",
            "first_name": capture.payer.given_name,
            "mc_fee": to_value(capture.fee, capture.currency),
            "notify_version": "3.9",
            "custom": capture.custom_id or "",
            "payer_status": "verified",
            "business": capture.receiver_email,
            "quantity": "1",
            "verify_sign": "A" + secrets.token_urlsafe(40).replace("-", "x").replace("_", "y"),
            "payer_email": capture.payer.email,
            "txn_id": capture.id,
            "payment_type": "instant",
            "last_name": capture.payer.surname,
            "receiver_email": capture.receiver_email,
            "payment_fee": "",
            "receiver_id": self.merchant_id,
            "txn_type": capture.txn_type,
            "item_name": capture.item_name or "Donation",
            "mc_currency": capture.currency,
            "item_number": capture.item_number or "",
            "residence_country": capture.payer.country_code,
            "transaction_subject": capture.item_name or "Donation",
            "payment_gross": "",
            "ipn_track_id": secrets.token_hex(7)[:13],
        }
        if capture.base_status == "PENDING":
            fields["pending_reason"] = "echeck" if capture.pending_reason == "ECHECK" else "other"
            fields["payment_type"] = "echeck"
            fields.pop("mc_fee")
        if adjustment is not None:
            status, reason = {
                "refund": ("Refunded", "refund"),
                "reversal": ("Reversed", "chargeback"),
                "cancel_reversal": ("Canceled_Reversal", "other"),
            }[adjustment.kind]
            sign = 1 if adjustment.kind == "cancel_reversal" else -1
            fee_back = capture.fee * adjustment.amount // capture.amount if capture.amount else 0
            fields.update(
                payment_status=status,
                reason_code=reason,
                txn_id=adjustment.id,
                parent_txn_id=capture.id,
                mc_gross=to_value(sign * adjustment.amount, capture.currency),
                mc_fee=to_value(sign * fee_back, capture.currency),
                payment_date=ipn.payment_date(adjustment.created),
            )
            fields.pop("txn_type")
            fields.pop("pending_reason", None)
        for name, value in overrides.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        return fields

    def send_ipn(
        self,
        url: str,
        transaction_id: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        check: bool = True,
        timeout: float = 30,
        **overrides: str | None,
    ) -> IpnDelivery:
        """POST an IPN (form-encoded, in its charset) to ``url``, for a transaction at the
        peer or for ready ``fields``. Checked against PayPal's IPN variable reference
        unless ``check=False`` (for deliberately malformed messages)."""
        if fields is None:
            if transaction_id is None:
                raise TypeError("give transaction_id or fields")
            fields = self.ipn_message(transaction_id, **overrides)
        if check:
            problems = ipn.check_ipn(fields)
            if problems:
                text = "IPN the peer was asked to send: " + "; ".join(problems)
                self.violation(text)
                raise PeerViolation(text)
        return self._post_ipn(url, fields, ipn.encode(fields), timeout)

    def resend_ipn(self, delivery: IpnDelivery, timeout: float = 30) -> IpnDelivery:
        """PayPal's IPN retry: the same message, byte for byte."""
        return self._post_ipn(delivery.url, delivery.fields, delivery.body, timeout)

    def _post_ipn(
        self, url: str, fields: dict[str, str], body: bytes, timeout: float
    ) -> IpnDelivery:
        delivery = IpnDelivery(url, dict(fields), body)
        with self._lock:
            self.ipns.append(delivery)
        charset = fields.get("charset", "UTF-8")
        response = requests.post(
            url,
            data=body,
            headers={
                "Content-Type": f"application/x-www-form-urlencoded; charset={charset}",
                "User-Agent": "PayPal IPN ( https://www.paypal.com/ipn )",
            },
            timeout=timeout,
        )
        delivery.status_code = response.status_code
        delivery.response_text = response.text
        return delivery

    # ------------------------------------------------------------------ transaction search
    def _transactions(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for capture in self.captures.values():
            code = "T0013" if capture.channel == "donate_button" else "T0006"
            if capture.base_status == "PENDING":
                status = "P"
            elif capture.base_status == "DECLINED":
                status = "D"
            else:
                status = "V" if capture.remaining <= 0 else "S"
            info: dict[str, Any] = {
                "paypal_account_id": capture.payer.payer_id,
                "transaction_id": capture.id,
                "transaction_event_code": code,
                "transaction_initiation_date": iso(capture.created),
                "transaction_updated_date": iso(capture.updated or capture.created),
                "transaction_amount": money(capture.amount, capture.currency),
                "fee_amount": money(-capture.fee, capture.currency),
                "transaction_status": status,
                "protection_eligibility": "01",
            }
            if capture.custom_id:
                info["custom_field"] = capture.custom_id
            if capture.invoice_id:
                info["invoice_id"] = capture.invoice_id
            if capture.item_name:
                info["transaction_subject"] = capture.item_name
            rows.append({"info": info, "capture": capture, "at": capture.created})
            for adjustment in capture.refunds:
                sign = 1 if adjustment.kind == "cancel_reversal" else -1
                code = {"refund": "T1107", "reversal": "T1106", "cancel_reversal": "T1111"}[
                    adjustment.kind
                ]
                info = {
                    "paypal_account_id": capture.payer.payer_id,
                    "transaction_id": adjustment.id,
                    "paypal_reference_id": capture.id,
                    "paypal_reference_id_type": "TXN",
                    "transaction_event_code": code,
                    "transaction_initiation_date": iso(adjustment.created),
                    "transaction_updated_date": iso(adjustment.created),
                    "transaction_amount": money(sign * adjustment.amount, capture.currency),
                    "transaction_status": "S",
                }
                if capture.custom_id:
                    info["custom_field"] = capture.custom_id
                rows.append({"info": info, "capture": capture, "at": adjustment.created})
        rows.sort(key=lambda row: (row["at"], row["info"]["transaction_id"]))
        return rows

    def _search(self, query: dict[str, str]) -> _Reply:
        try:
            start = datetime.fromisoformat(query["start_date"].replace("Z", "+00:00"))
            end = datetime.fromisoformat(query["end_date"].replace("Z", "+00:00"))
        except ValueError as error:
            return _error(400, "INVALID_DATE", str(error), field="start_date", location="query")
        if end < start:
            return _error(
                400, "INVALID_DATE_RANGE", "End date must be after start date.",
                field="end_date", location="query",
            )  # fmt: skip
        if end - start > timedelta(days=31):
            return _error(
                400,
                "INVALID_DATE_RANGE",
                "Date range is greater than 31 days",
                field="start_date",
                location="query",
            )
        page = int(query.get("page", 1))
        page_size = int(query.get("page_size", 100))
        fields = set(query.get("fields", "transaction_info").split(","))
        refreshed = now() - self.search_lag
        wanted_id = query.get("transaction_id")
        wanted_status = query.get("transaction_status")
        with self._lock:
            rows = [
                row
                for row in self._transactions()
                if start <= row["at"] <= end
                and row["at"] <= refreshed
                and (wanted_id is None or row["info"]["transaction_id"] == wanted_id)
                and (wanted_status is None or row["info"]["transaction_status"] == wanted_status)
            ]
        total_pages = math.ceil(len(rows) / page_size)
        chosen = rows[(page - 1) * page_size : page * page_size]
        details = []
        for row in chosen:
            detail: dict[str, Any] = {"transaction_info": row["info"]}
            if fields & {"all", "payer_info"}:
                payer: Payer = row["capture"].payer
                detail["payer_info"] = {
                    "account_id": payer.payer_id,
                    "email_address": payer.email,
                    "address_status": "Y",
                    "payer_status": "Y",
                    "payer_name": {
                        "given_name": payer.given_name,
                        "surname": payer.surname,
                        "alternate_full_name": f"{payer.given_name} {payer.surname}",
                    },
                    "country_code": payer.country_code,
                }
            details.append(detail)
        self_query = urlencode(query)
        body: dict[str, Any] = {
            "account_number": self.merchant_id,
            "start_date": iso(start),
            "end_date": iso(min(end, refreshed)),
            "last_refreshed_datetime": iso(refreshed),
            "page": page,
            "total_items": len(rows),
            "total_pages": total_pages,
            "links": [
                {
                    "href": f"{self.base_url}/v1/reporting/transactions?{self_query}",
                    "rel": "self",
                    "method": "GET",
                }
            ],
        }
        if page < total_pages:
            next_query = urlencode({**query, "page": str(page + 1)})
            body["links"].append(
                {
                    "href": f"{self.base_url}/v1/reporting/transactions?{next_query}",
                    "rel": "next",
                    "method": "GET",
                }
            )
        if details:  # the document says minItems 1: an empty page has no transaction_details
            body["transaction_details"] = details
        return _Reply(200, body)

    # ------------------------------------------------------------------ orders & payments
    def _order_json(self, order: Order, minimal: bool = False) -> dict[str, Any]:
        links = [
            {
                "href": f"{self.base_url}/v2/checkout/orders/{order.id}",
                "rel": "self",
                "method": "GET",
            }
        ]
        if order.status in ("CREATED", "APPROVED"):
            links += [
                {
                    "href": f"{self.base_url}/checkoutnow?token={order.id}",
                    "rel": "approve",
                    "method": "GET",
                },
                {
                    "href": f"{self.base_url}/v2/checkout/orders/{order.id}",
                    "rel": "update",
                    "method": "PATCH",
                },
                {
                    "href": f"{self.base_url}/v2/checkout/orders/{order.id}/capture",
                    "rel": "capture",
                    "method": "POST",
                },
            ]
        if minimal:
            return {"id": order.id, "status": order.status, "links": links}
        unit = {
            "reference_id": "default",
            **order.purchase_unit,
            "payee": {"email_address": self.receiver_email, "merchant_id": self.merchant_id},
        }
        if order.capture_id:
            capture = self.captures[order.capture_id]
            unit["payments"] = {
                "captures": [capture.as_json(self.base_url, self.receiver_email, self.merchant_id)]
            }
        body: dict[str, Any] = {
            "id": order.id,
            "intent": order.intent,
            "status": order.status,
            "purchase_units": [unit],
            "create_time": iso(order.created),
            "update_time": iso(order.updated or order.created),
            "links": links,
        }
        if order.payer is not None:
            body["payer"] = order.payer.as_order_payer()
            body["payment_source"] = {
                "paypal": {
                    "email_address": order.payer.email,
                    "account_id": order.payer.payer_id,
                    "account_status": "VERIFIED",
                    "name": {"given_name": order.payer.given_name, "surname": order.payer.surname},
                    "address": {"country_code": order.payer.country_code},
                }
            }
        return body

    def _create_order(self, payload: dict[str, Any], minimal: bool) -> _Reply:
        units = payload["purchase_units"]
        if len(units) != 1:
            self.violation("the peer supports orders with exactly one purchase unit")
            return _error(422, "PEER_LIMITATION", "one purchase unit only")
        amount = units[0]["amount"]
        minor = to_minor(amount["value"], amount["currency_code"])
        if minor is None:
            return _error(
                422, "DECIMAL_PRECISION",
                "If the currency supports decimals, only two decimal place precision is supported.",
                field="/purchase_units/@reference_id=='default'/amount/value", location="body",
            )  # fmt: skip
        if minor <= 0:
            return _error(
                422,
                "CANNOT_BE_ZERO_OR_NEGATIVE",
                "Must be greater than zero. If the currency supports decimals, only two decimal"
                " place precision is supported.",
            )
        order = Order(
            id=self._fresh_id(), intent=payload["intent"], purchase_unit=units[0], created=now()
        )
        self.orders[order.id] = order
        return _Reply(201, self._order_json(order, minimal))

    def _capture_order(self, order_id: str, minimal: bool) -> _Reply:
        order = self.orders.get(order_id)
        if order is None:
            return _error(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist. Please check the resource ID and try again.")  # fmt: skip  # noqa: E501
        if order.status == "COMPLETED":
            return _error(422, "ORDER_ALREADY_CAPTURED", "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed.")  # fmt: skip  # noqa: E501
        if order.status != "APPROVED":
            return _error(422, "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid `payment_source` in the request.")  # fmt: skip  # noqa: E501
        amount = order.purchase_unit["amount"]
        assert order.payer is not None
        capture = Capture(
            id=self._fresh_id(),
            amount=to_minor(amount["value"], amount["currency_code"]) or 0,
            currency=amount["currency_code"],
            created=now(),
            payer=order.payer,
            channel="checkout",
            custom_id=order.purchase_unit.get("custom_id"),
            invoice_id=order.purchase_unit.get("invoice_id"),
            item_name=order.purchase_unit.get("description"),
            receiver_email=self.receiver_email,
            base_status=order.capture_status,
            pending_reason="PENDING_REVIEW" if order.capture_status == "PENDING" else "OTHER",
            order_id=order.id,
            txn_type="express_checkout",
        )
        self.captures[capture.id] = capture
        order.capture_id = capture.id
        order.status = "COMPLETED"
        order.updated = capture.created
        body = self._order_json(order)
        if minimal:  # PayPal's minimal capture answer still carries the captures
            body = {
                k: body[k]
                for k in ("id", "status", "payment_source", "purchase_units", "payer", "links")
            }
        return _Reply(201, body)

    def _refund_capture(self, capture_id: str, payload: dict[str, Any], minimal: bool) -> _Reply:
        capture = self.captures.get(capture_id)
        if capture is None:
            return _error(404, "INVALID_RESOURCE_ID", "Specified resource ID does not exist. Please check the resource ID and try again.")  # fmt: skip  # noqa: E501
        if capture.base_status != "COMPLETED":
            return _error(422, "REFUND_NOT_ALLOWED", "Capture cannot be refunded.")
        if capture.remaining <= 0:
            return _error(422, "CAPTURE_FULLY_REFUNDED", "The capture has already been fully refunded")  # fmt: skip  # noqa: E501
        amount = capture.remaining
        if "amount" in payload:
            if payload["amount"]["currency_code"] != capture.currency:
                return _error(422, "REFUND_CAPTURE_CURRENCY_MISMATCH", "Refund must be in the same currency as the capture")  # fmt: skip  # noqa: E501
            requested = to_minor(payload["amount"]["value"], capture.currency)
            if requested is None:
                return _error(422, "DECIMAL_PRECISION", "The value of the field should not be more than two decimal places.")  # fmt: skip  # noqa: E501
            if requested <= 0:
                return _error(422, "CANNOT_BE_ZERO_OR_NEGATIVE", "Must be greater than zero.")
            if requested > capture.remaining:
                return _error(422, "REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.")  # fmt: skip  # noqa: E501
            amount = requested
        refund = Refund(
            id=self._fresh_id(),
            capture_id=capture.id,
            amount=amount,
            currency=capture.currency,
            created=now(),
            note=payload.get("note_to_payer"),
            invoice_id=payload.get("invoice_id"),
        )
        self._attach(capture, refund)
        body = refund_json(refund, capture, self.base_url)
        if minimal:
            body = {k: body[k] for k in ("id", "status", "links")}
        return _Reply(201, body)

    def _adjust(
        self, capture_id: str, kind: str, amount: int | None, at: datetime | None
    ) -> Refund:
        with self._lock:
            capture = self.captures[capture_id]
            if kind != "cancel_reversal":
                amount = capture.remaining if amount is None else amount
                if not 0 < amount <= capture.remaining:
                    raise ValueError(
                        f"{kind} of {amount}: {capture.remaining} left on {capture_id}"
                    )
            assert amount is not None
            refund = Refund(
                self._fresh_id(), capture.id, amount, capture.currency, at or now(), kind
            )
            self._attach(capture, refund)
            return refund

    def _attach(self, capture: Capture, refund: Refund) -> None:
        capture.refunds.append(refund)
        capture.updated = refund.created
        self.refunds[refund.id] = refund

    def _fresh_id(self) -> str:
        while True:
            candidate = new_id()
            if (
                candidate not in self.captures
                and candidate not in self.refunds
                and candidate not in self.orders
            ):
                return candidate

    # ------------------------------------------------------------------ HTTP
    def _authorized(self) -> bool:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return False
        with self._lock:
            expires = self.tokens.get(header.removeprefix("Bearer "))
        return expires is not None and expires > datetime.now(UTC)

    def _rest(
        self, document: str, handler: Callable[..., _Reply], idempotent: bool = False
    ) -> Callable[..., Response]:
        def view(**path: str) -> Response:
            message = spec.Message(
                request.method,
                request.path,
                request.query_string.decode(),
                request.get_data(),
                request.mimetype or "application/json",
                {k: v for k, v in request.headers.items() if k.lower() != "content-type"},
            )
            if self.api_unavailable:
                return self._send(
                    503, {"name": "SERVICE_UNAVAILABLE", "message": "Service Unavailable."}
                )
            if not self._authorized():
                reply = _error(401)
            else:
                problem = spec.validate_request(document, message)
                if problem:
                    return self._refuse(f"request {request.method} {request.path}:\n{problem}")
                key = request.headers.get("PayPal-Request-Id")
                minimal = "return=representation" not in request.headers.get("Prefer", "")
                with self._lock:
                    cached = self._idempotent.get((request.path, key)) if key else None
                    if cached is not None:
                        reply = _Reply(200, cached.body)
                    else:
                        payload = json.loads(message.body) if message.body.strip() else {}
                        reply = handler(
                            payload=payload,
                            minimal=minimal,
                            query=dict(parse_qsl(message.query)),
                            **path,
                        )
                        if key and idempotent and reply.status < 300:
                            self._idempotent[(request.path, key)] = reply
            data = json.dumps(reply.body).encode() if reply.body is not None else b""
            problem = spec.validate_response(document, message, reply.status, data)
            if problem:
                return self._refuse(
                    f"response to {request.method} {request.path} ({reply.status}):\n{problem}"
                )
            return self._send(reply.status, reply.body)

        view.__name__ = handler.__name__
        return view

    def _send(self, status: int, body: dict[str, Any] | None) -> Response:
        with self._lock:
            self.requests.append((request.method, request.path, status))
        return Response(
            json.dumps(body) if body is not None else "",
            status=status,
            content_type="application/json",
            headers={"Paypal-Debug-Id": new_id(13).lower()},
        )

    def _refuse(self, problem: str) -> Response:
        self.violation(problem)
        return self._send(500, {"name": "PEER_CONTRACT_VIOLATION", "message": problem})

    def _make_app(self) -> Flask:
        app = Flask("paypal_peer")
        rest = self._rest
        orders, payments = spec.ORDERS, spec.PAYMENTS

        def create_order(payload, minimal, query):
            return self._create_order(payload, minimal)

        def show_order(payload, minimal, query, id):
            order = self.orders.get(id)
            return _error(404) if order is None else _Reply(200, self._order_json(order))

        def capture_order(payload, minimal, query, id):
            return self._capture_order(id, minimal)

        def show_capture(payload, minimal, query, capture_id):
            capture = self.captures.get(capture_id)
            if capture is None:
                return _error(404)
            return _Reply(
                200, capture.as_json(self.base_url, self.receiver_email, self.merchant_id)
            )

        def refund_capture(payload, minimal, query, capture_id):
            return self._refund_capture(capture_id, payload, minimal)

        def show_refund(payload, minimal, query, refund_id):
            refund = self.refunds.get(refund_id)
            if refund is None or refund.kind == "cancel_reversal":
                return _error(404)
            return _Reply(200, refund_json(refund, self.captures[refund.capture_id], self.base_url))

        def verify_signature(payload, minimal, query):
            status = self._verify(payload)
            with self._lock:
                self.verifications.append((payload, status))
            return _Reply(200, {"verification_status": status})

        def search(payload, minimal, query):
            return self._search(query)

        routes = [
            ("/v2/checkout/orders", "POST", orders, create_order, True),
            ("/v2/checkout/orders/<id>", "GET", orders, show_order, False),
            ("/v2/checkout/orders/<id>/capture", "POST", orders, capture_order, True),
            ("/v2/payments/captures/<capture_id>", "GET", payments, show_capture, False),
            ("/v2/payments/captures/<capture_id>/refund", "POST", payments, refund_capture, True),
            ("/v2/payments/refunds/<refund_id>", "GET", payments, show_refund, False),
            (
                "/v1/notifications/verify-webhook-signature",
                "POST",
                spec.WEBHOOKS,
                verify_signature,
                False,
            ),
            ("/v1/reporting/transactions", "GET", spec.REPORTING, search, False),
        ]
        for rule, method, document, handler, idempotent in routes:
            app.add_url_rule(
                rule, handler.__name__, rest(document, handler, idempotent), methods=[method]
            )

        @app.post("/v1/oauth2/token")
        def token() -> Response:
            if self.api_unavailable:
                return self._send(
                    503, {"name": "SERVICE_UNAVAILABLE", "message": "Service Unavailable."}
                )
            auth = request.authorization
            if request.mimetype != "application/x-www-form-urlencoded":
                return self._refuse(
                    f"token request with Content-Type {request.mimetype!r}, not form-encoded"
                )
            if (
                auth is None
                or auth.type != "basic"
                or (auth.username, auth.password) != (self.client_id, self.client_secret)
            ):
                return self._send(
                    401,
                    {
                        "error": "invalid_client",
                        "error_description": "Client Authentication failed",
                    },
                )
            if request.form.get("grant_type") != "client_credentials":
                return self._send(
                    400,
                    {
                        "error": "unsupported_grant_type",
                        "error_description": "Grant Type is NULL"
                        if not request.form.get("grant_type")
                        else "unsupported grant_type",
                    },
                )
            access_token = "A21AA" + secrets.token_urlsafe(48)
            with self._lock:
                self.tokens[access_token] = datetime.now(UTC) + timedelta(
                    seconds=self.token_lifetime
                )
                self.tokens_issued += 1
            return self._send(200, {
                "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/reporting/search/read https://uri.paypal.com/services/payments/refund",  # noqa: E501
                "access_token": access_token,
                "token_type": "Bearer",
                "app_id": "APP-80W284485P519543T",
                "expires_in": self.token_lifetime,
                "nonce": iso(now()) + secrets.token_hex(8),
            })  # fmt: skip

        @app.post("/cgi-bin/webscr")
        def ipn_validate() -> Response:
            if self.ipn_unavailable:
                return Response("Service Unavailable", status=503, content_type="text/html")
            body = request.get_data()
            prefix = b"cmd=_notify-validate&"
            with self._lock:
                sent = {delivery.body for delivery in self.ipns}
            answer = (
                "VERIFIED" if body.startswith(prefix) and body[len(prefix) :] in sent else "INVALID"
            )
            with self._lock:
                self.ipn_validations.append((body, answer))
            return Response(answer, status=200, content_type="text/html; charset=UTF-8")

        @app.get("/sdk/js")
        def sdk() -> Response:
            client_id = request.args.get("client-id")
            if client_id != self.client_id:
                self.violation(
                    f"JS SDK loaded with client-id {client_id!r}, not {self.client_id!r}"
                )
            script = SDK_JS.read_text(encoding="utf-8").replace(
                "__PEER_BASE__", json.dumps(self.base_url)
            )
            return Response(script, content_type="application/javascript")

        @app.route("/_peer/orders/<order_id>/approve", methods=["POST", "OPTIONS"])
        def sdk_approve(order_id: str) -> Response:
            cors = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST"}
            if request.method == "OPTIONS":
                return Response("", status=204, headers=cors)
            try:
                order = self.approve_order(order_id)
            except (KeyError, ValueError) as error:
                return Response(
                    json.dumps({"error": str(error)}),
                    status=409,
                    headers=cors,
                    content_type="application/json",
                )
            assert order.payer is not None
            answer = {"id": order_id, "status": order.status, "payer_id": order.payer.payer_id}
            return Response(json.dumps(answer), headers=cors, content_type="application/json")

        @app.get("/checkoutnow")
        def checkoutnow() -> Response:
            order = self.orders.get(request.args.get("token", ""))
            if order is None:
                return Response("no such order", status=404)
            return Response(
                f"<!doctype html><title>PayPal peer</title><p>Order {order.id}: {order.status}</p>",
                content_type="text/html",
            )

        @app.errorhandler(Exception)
        def crashed(error: Exception) -> Response:
            from werkzeug.exceptions import HTTPException

            if isinstance(error, HTTPException):
                return Response(
                    json.dumps(_error(404).body),
                    status=error.code or 500,
                    content_type="application/json",
                )
            self.violation(f"the peer failed on {request.method} {request.path}: {error!r}")
            return Response(
                json.dumps({"name": "PEER_ERROR", "message": repr(error)}),
                status=500,
                content_type="application/json",
            )

        return app


__all__ = ["IpnDelivery", "PayPalPeer", "Payer", "PeerViolation", "WebhookDelivery"]
