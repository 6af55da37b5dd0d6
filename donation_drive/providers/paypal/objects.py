"""Plain, typed views of what PayPal sends: captures, refunds, Transaction Search rows
and IPN messages. Amounts become integer minor units (PayPal writes decimal strings);
a value with more places than the currency has is refused by name, never rounded.

Every PayPal API keys a payment by one id: the capture id of Orders v2 is the
transaction id of IPN (``txn_id``), of Transaction Search and of the activity CSV
export. That id is the ledger's ``provider_ref`` for ``provider="paypal"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ...errors import InvalidAmount
from ...ledger.validation import currency_exponent

# Capture statuses in which the money was received (refunds are counted apart).
PAID_STATUSES = frozenset({"COMPLETED", "PARTIALLY_REFUNDED", "REFUNDED"})
REFUND, REVERSAL, CANCEL_REVERSAL = "refund", "reversal", "cancel_reversal"


def to_minor(value: object, currency: str, field: str = "amount") -> int:
    """PayPal's decimal string ("10.50") as minor units of ``currency`` (1050)."""
    try:
        scaled = Decimal(str(value)).scaleb(currency_exponent(currency))
    except (InvalidOperation, ValueError):
        raise InvalidAmount(f"{field} is not a decimal amount: {value!r}", field) from None
    if not scaled.is_finite() or scaled != scaled.to_integral_value():
        raise InvalidAmount(f"{field} has more decimal places than {currency}: {value!r}", field)
    return int(scaled)


def to_value(minor: int, currency: str) -> str:
    """Minor units as PayPal's decimal string: 1050 USD -> "10.50"."""
    places = currency_exponent(currency)
    return f"{Decimal(minor).scaleb(-places):.{places}f}"


def money_of(data: Mapping[str, Any] | None, field: str) -> tuple[int, str]:
    if not isinstance(data, Mapping):
        raise InvalidAmount(f"{field} is missing", field)
    currency = str(data.get("currency_code") or "").upper()
    if len(currency) != 3:
        raise InvalidAmount(f"{field} has no currency", field)
    return to_minor(data.get("value"), currency, field), currency


def parse_time(value: object) -> datetime:
    """An RFC 3339 time as PayPal writes it ("2026-12-01T10:00:00Z")."""
    if isinstance(value, str) and value:
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime.now(UTC)


def _link_id(data: Mapping[str, Any], rel: str) -> str | None:
    for link in data.get("links") or ():
        if isinstance(link, Mapping) and link.get("rel") == rel:
            href = str(link.get("href") or "").rstrip("/")
            return href.rsplit("/", 1)[-1] or None
    return None


@dataclass(frozen=True, slots=True)
class CaptureInfo:
    id: str
    status: str
    amount: int
    currency: str
    created: datetime
    custom_id: str | None = None
    invoice_id: str | None = None
    order_id: str | None = None
    payee_email: str | None = None
    payer_email: str | None = None
    payer_name: str | None = None

    @property
    def is_paid(self) -> bool:
        return self.status in PAID_STATUSES


def capture_from(data: Mapping[str, Any]) -> CaptureInfo:
    amount, currency = money_of(data.get("amount"), "amount")
    payee = data.get("payee") if isinstance(data.get("payee"), Mapping) else {}
    related = (data.get("supplementary_data") or {}).get("related_ids") or {}
    return CaptureInfo(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        amount=amount,
        currency=currency,
        created=parse_time(data.get("create_time")),
        custom_id=_text(data.get("custom_id")),
        invoice_id=_text(data.get("invoice_id")),
        order_id=_text(related.get("order_id")) or _link_id(data, "up"),
        payee_email=_text(payee.get("email_address")),
    )


@dataclass(frozen=True, slots=True)
class RefundInfo:
    """A refund, or (in a ``PAYMENT.CAPTURE.REVERSED`` event) a reversal."""

    id: str
    capture_id: str | None
    amount: int
    currency: str
    status: str
    created: datetime


def refund_from(data: Mapping[str, Any]) -> RefundInfo:
    amount, currency = money_of(data.get("amount"), "amount")
    return RefundInfo(
        id=str(data["id"]),
        capture_id=_link_id(data, "up"),
        amount=amount,
        currency=currency,
        status=str(data.get("status") or ""),
        created=parse_time(data.get("create_time")),
    )


@dataclass(frozen=True, slots=True)
class OrderInfo:
    id: str
    status: str
    capture: CaptureInfo | None = None
    payer_email: str | None = None
    payer_name: str | None = None


def order_from(data: Mapping[str, Any]) -> OrderInfo:
    capture = None
    payer = data.get("payer") if isinstance(data.get("payer"), Mapping) else {}
    name = payer.get("name") if isinstance(payer.get("name"), Mapping) else {}
    payer_name = " ".join(
        part for part in (_text(name.get("given_name")), _text(name.get("surname"))) if part
    )
    for unit in data.get("purchase_units") or ():
        captures = ((unit or {}).get("payments") or {}).get("captures") or ()
        if captures:
            found = capture_from(captures[0])
            capture = CaptureInfo(
                **{
                    **{k: getattr(found, k) for k in found.__slots__},
                    "order_id": found.order_id or str(data.get("id")),
                    "custom_id": found.custom_id or _text(unit.get("custom_id")),
                    "payer_email": _text(payer.get("email_address")),
                    "payer_name": payer_name or None,
                }
            )
    return OrderInfo(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        capture=capture,
        payer_email=_text(payer.get("email_address")),
        payer_name=payer_name or None,
    )


def _text(value: object) -> str | None:
    return value.strip()[:200] or None if isinstance(value, str) else None
