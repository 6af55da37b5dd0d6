"""The PayPal test peer's state: orders, captures, refunds (and reversals), payers, and
how each looks in PayPal's JSON."""

from __future__ import annotations

import secrets
import string
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

# PayPal's currencies without minor units (developer.paypal.com/api/rest/reference/currency-codes/).
ZERO_DECIMAL = {"HUF", "JPY", "TWD"}
_ID_ALPHABET = string.ascii_uppercase + string.digits
# PayPal account ids (payer_id, merchant_id): 13 characters, no 0, 1, I or O.
_ACCOUNT_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


def new_id(length: int = 17) -> str:
    """An id shaped like PayPal's (17 upper-case letters and digits)."""
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_account_id() -> str:
    return "".join(secrets.choice(_ACCOUNT_ALPHABET) for _ in range(13))


def now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exponent(currency: str) -> int:
    return 0 if currency.upper() in ZERO_DECIMAL else 2


def to_value(minor: int, currency: str) -> str:
    """Integer minor units as PayPal's decimal string: 1050 USD -> "10.50", 500 JPY -> "500"."""
    places = exponent(currency)
    sign = "-" if minor < 0 else ""
    units, cents = divmod(abs(minor), 10**places)
    return f"{sign}{units}" if places == 0 else f"{sign}{units}.{cents:0{places}d}"


def to_minor(value: str, currency: str) -> int | None:
    """PayPal's decimal string as minor units, or None if it has more places than the
    currency allows."""
    try:
        scaled = Decimal(value) * (10 ** exponent(currency))
    except InvalidOperation:
        return None
    if scaled != scaled.to_integral_value():
        return None
    return int(scaled)


def money(minor: int, currency: str) -> dict[str, str]:
    return {"currency_code": currency, "value": to_value(minor, currency)}


def fee_for(minor: int) -> int:
    """A deterministic PayPal-like fee (3.49 % + 49 minor units), never above the amount."""
    return min(minor, minor * 349 // 10000 + 49)


@dataclass
class Payer:
    given_name: str = "Jane"
    surname: str = "Donor"
    email: str = "jane.donor@example.com"
    payer_id: str = field(default_factory=new_account_id)
    country_code: str = "US"

    def as_order_payer(self) -> dict[str, Any]:
        return {
            "name": {"given_name": self.given_name, "surname": self.surname},
            "email_address": self.email,
            "payer_id": self.payer_id,
            "address": {"country_code": self.country_code},
        }


@dataclass
class Refund:
    """A refund (``kind="refund"``), a reversal (chargeback, ``"reversal"``) or the
    cancellation of a reversal (``"cancel_reversal"``, money back to the merchant)."""

    id: str
    capture_id: str
    amount: int
    currency: str
    created: datetime
    kind: str = "refund"
    note: str | None = None
    invoice_id: str | None = None

    @property
    def lowers_capture(self) -> int:
        return -self.amount if self.kind == "cancel_reversal" else self.amount


@dataclass
class Capture:
    id: str
    amount: int
    currency: str
    created: datetime
    payer: Payer
    channel: str = "checkout"  # "checkout" (Orders v2) or "donate_button" (classic button)
    custom_id: str | None = None
    invoice_id: str | None = None
    item_number: str | None = None
    item_name: str | None = None
    receiver_email: str = ""
    base_status: str = "COMPLETED"  # COMPLETED, PENDING or DECLINED
    pending_reason: str = "PENDING_REVIEW"
    order_id: str | None = None
    txn_type: str = "web_accept"
    updated: datetime | None = None
    refunds: list[Refund] = field(default_factory=list)

    @property
    def fee(self) -> int:
        return fee_for(self.amount)

    @property
    def refunded(self) -> int:
        return sum(refund.lowers_capture for refund in self.refunds)

    @property
    def remaining(self) -> int:
        return self.amount - self.refunded

    @property
    def status(self) -> str:
        if self.base_status != "COMPLETED":
            return self.base_status
        if self.refunded <= 0:
            return "COMPLETED"
        return "REFUNDED" if self.refunded >= self.amount else "PARTIALLY_REFUNDED"

    def as_json(self, base_url: str, merchant_email: str, merchant_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id,
            "status": self.status,
            "amount": money(self.amount, self.currency),
            "final_capture": True,
            "seller_protection": {
                "status": "ELIGIBLE",
                "dispute_categories": ["ITEM_NOT_RECEIVED", "UNAUTHORIZED_TRANSACTION"],
            },
            "payee": {"email_address": merchant_email, "merchant_id": merchant_id},
            "links": [
                {
                    "href": f"{base_url}/v2/payments/captures/{self.id}",
                    "rel": "self",
                    "method": "GET",
                },
                {
                    "href": f"{base_url}/v2/payments/captures/{self.id}/refund",
                    "rel": "refund",
                    "method": "POST",
                },
            ],
            "create_time": iso(self.created),
            "update_time": iso(self.updated or self.created),
        }
        if self.status in ("PENDING", "DECLINED"):
            body["status_details"] = {"reason": self.pending_reason}
        else:
            body["seller_receivable_breakdown"] = {
                "gross_amount": money(self.amount, self.currency),
                "paypal_fee": money(self.fee, self.currency),
                "net_amount": money(self.amount - self.fee, self.currency),
            }
        if self.custom_id is not None:
            body["custom_id"] = self.custom_id
        if self.invoice_id is not None:
            body["invoice_id"] = self.invoice_id
        if self.order_id is not None:
            body["links"].append(
                {
                    "href": f"{base_url}/v2/checkout/orders/{self.order_id}",
                    "rel": "up",
                    "method": "GET",
                }
            )
            body["supplementary_data"] = {"related_ids": {"order_id": self.order_id}}
        return body


def refund_json(refund: Refund, capture: Capture, base_url: str) -> dict[str, Any]:
    fee_back = capture.fee * refund.amount // capture.amount if capture.amount else 0
    body: dict[str, Any] = {
        "id": refund.id,
        "status": "COMPLETED",
        "amount": money(refund.amount, refund.currency),
        "seller_payable_breakdown": {
            "gross_amount": money(refund.amount, refund.currency),
            "paypal_fee": money(fee_back, refund.currency),
            "net_amount": money(refund.amount - fee_back, refund.currency),
            "total_refunded_amount": money(capture.refunded, capture.currency),
        },
        "links": [
            {"href": f"{base_url}/v2/payments/refunds/{refund.id}", "rel": "self", "method": "GET"},
            {
                "href": f"{base_url}/v2/payments/captures/{capture.id}",
                "rel": "up",
                "method": "GET",
            },
        ],
        "create_time": iso(refund.created),
        "update_time": iso(refund.created),
    }
    if refund.note:
        body["note_to_payer"] = refund.note
    if refund.invoice_id:
        body["invoice_id"] = refund.invoice_id
    return body


@dataclass
class Order:
    id: str
    intent: str
    purchase_unit: dict[str, Any]
    created: datetime
    status: str = "CREATED"
    payer: Payer | None = None
    capture_status: str = "COMPLETED"  # what a capture of this order will be
    capture_id: str | None = None
    updated: datetime | None = None

    @property
    def currency(self) -> str:
        return self.purchase_unit["amount"]["currency_code"]

    @property
    def value(self) -> str:
        return self.purchase_unit["amount"]["value"]
