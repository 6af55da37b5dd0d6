"""Orders v2 and Payments v2: the checkout's order and capture, reading a capture,
refunding one. Every POST carries a ``PayPal-Request-Id`` derived from what it is
for, so a retried call (ours, or a donor's second click) acts once at PayPal."""

from __future__ import annotations

from typing import Any

from .client import paypal_client
from .objects import CaptureInfo, OrderInfo, RefundInfo, capture_from, order_from, refund_from
from .objects import to_value as _to_value


def create_order(
    *, amount: int, currency: str, custom_id: str, description: str, request_id: str
) -> OrderInfo:
    """An order for ``amount`` minor units, intent CAPTURE, naming the drive and the
    pending donation in ``custom_id``; the donor approves it in PayPal's window."""
    body: dict[str, Any] = {
        "intent": "CAPTURE",
        "purchase_units": [
            {
                "custom_id": custom_id[:127],
                "description": description[:127],
                "amount": {"currency_code": currency, "value": _to_value(amount, currency)},
            }
        ],
    }
    data = paypal_client().call("POST", "/v2/checkout/orders", json=body, request_id=request_id)
    return order_from(data)


def capture_order(order_id: str, *, request_id: str) -> OrderInfo:
    """Capture an approved order; the capture (id = the payment's key) is in the answer."""
    data = paypal_client().call(
        "POST", f"/v2/checkout/orders/{_safe(order_id)}/capture", json={}, request_id=request_id
    )
    return order_from(data)


def get_order(order_id: str) -> OrderInfo:
    return order_from(paypal_client().call("GET", f"/v2/checkout/orders/{_safe(order_id)}"))


def get_capture(capture_id: str) -> CaptureInfo:
    data = paypal_client().call("GET", f"/v2/payments/captures/{_safe(capture_id)}")
    return capture_from(data)


def refund_capture(
    capture_id: str, amount: int | None, currency: str, *, request_id: str
) -> RefundInfo:
    """Refund ``amount`` minor units of a capture (what is left, when None)."""
    body: dict[str, Any] = {}
    if amount is not None:
        body["amount"] = {"currency_code": currency, "value": _to_value(amount, currency)}
    data = paypal_client().call(
        "POST",
        f"/v2/payments/captures/{_safe(capture_id)}/refund",
        json=body,
        request_id=request_id,
    )
    refund = refund_from(data)
    if refund.capture_id is None:  # PayPal's minimal answer has no "up" link
        refund = RefundInfo(**{**_fields(refund), "capture_id": capture_id})
    return refund


def _fields(obj: object) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in obj.__slots__}  # type: ignore[attr-defined]


def _safe(identifier: str) -> str:
    """PayPal ids are letters and digits; refuse anything that could change the path."""
    from .errors import PayPalRejected

    if not identifier or not identifier.replace("-", "").isalnum() or len(identifier) > 64:
        raise PayPalRejected(f"not a PayPal id: {identifier[:64]!r}", "id")
    return identifier
