"""Plain, typed views of the Stripe objects the service reads. They are built from
mappings (an SDK object's ``to_dict()`` or an event's ``data.object``), so the rest
of the service never touches SDK classes. Amounts stay integer minor units;
currencies are upper-case ISO codes. An amount that is not an integer raises
``InvalidAmount`` naming the field."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ...errors import InvalidAmount
from .metadata import PaymentMetadata, read_metadata

# PaymentIntent statuses, as Stripe names them.
SUCCEEDED = "succeeded"
REQUIRES_ACTION = "requires_action"
REQUIRES_PAYMENT_METHOD = "requires_payment_method"
PROCESSING = "processing"
CANCELED = "canceled"


def _id_of(value: object) -> str | None:
    """A reference that may be an id or an expanded object."""
    if isinstance(value, Mapping):
        value = value.get("id")
    return value if isinstance(value, str) and value else None


def _int(value: object, default: int = 0) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _minor_units(data: Mapping[str, Any], key: str) -> int:
    """An amount field: absent is 0; anything but an integer (12.5, "1250", true)
    is refused by name, never read as 0 or rounded."""
    value = data.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount(f"{key} must be a whole number of minor units, got {value!r}", key)
    return value


# Unix seconds up to the end of year 9999; beyond that a value is no time at all.
_LATEST_TIMESTAMP = 253_402_300_799


def _timestamp(value: object) -> datetime:
    seconds = _int(value)
    if 0 < seconds <= _LATEST_TIMESTAMP:
        return datetime.fromtimestamp(seconds, UTC)
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class PaymentIntentInfo:
    id: str
    status: str
    amount: int
    amount_received: int
    currency: str
    created: datetime
    metadata: PaymentMetadata
    client_secret: str | None = None
    receipt_email: str | None = None
    failure_message: str | None = None
    cancellation_reason: str | None = None
    latest_charge_id: str | None = None

    @property
    def settled_amount(self) -> int:
        """What the donor paid: ``amount_received`` once Stripe reports it."""
        return self.amount_received or self.amount


def payment_intent_from(data: Mapping[str, Any]) -> PaymentIntentInfo:
    error = data.get("last_payment_error") or {}
    return PaymentIntentInfo(
        id=str(data["id"]),
        status=str(data.get("status") or ""),
        amount=_minor_units(data, "amount"),
        amount_received=_minor_units(data, "amount_received"),
        currency=str(data.get("currency") or "").upper(),
        created=_timestamp(data.get("created")),
        metadata=read_metadata(data.get("metadata")),
        client_secret=data.get("client_secret"),
        receipt_email=data.get("receipt_email"),
        failure_message=error.get("message") if isinstance(error, Mapping) else None,
        cancellation_reason=data.get("cancellation_reason"),
        latest_charge_id=_id_of(data.get("latest_charge")),
    )


@dataclass(frozen=True, slots=True)
class ChargeInfo:
    id: str
    payment_intent_id: str | None
    amount: int
    amount_refunded: int  # cumulative, over every refund of this charge
    currency: str


def charge_from(data: Mapping[str, Any]) -> ChargeInfo:
    return ChargeInfo(
        id=str(data["id"]),
        payment_intent_id=_id_of(data.get("payment_intent")),
        amount=_minor_units(data, "amount"),
        amount_refunded=_minor_units(data, "amount_refunded"),
        currency=str(data.get("currency") or "").upper(),
    )


@dataclass(frozen=True, slots=True)
class ChargeReversal:
    """A refund or a dispute of a charge: Stripe's two objects carry the same fields
    we read (id, charge, payment intent, amount, status)."""

    id: str
    charge_id: str | None
    payment_intent_id: str | None
    amount: int
    status: str


def reversal_from(data: Mapping[str, Any]) -> ChargeReversal:
    return ChargeReversal(
        id=str(data["id"]),
        charge_id=_id_of(data.get("charge")),
        payment_intent_id=_id_of(data.get("payment_intent")),
        amount=_minor_units(data, "amount"),
        status=str(data.get("status") or ""),
    )


# The names the callers use, for what they hold: one class, one parser.
RefundInfo = DisputeInfo = ChargeReversal
refund_from = dispute_from = reversal_from


@dataclass(frozen=True, slots=True)
class ProviderRefund:
    """What ``refund_payment`` did: the refund, and the charge's cumulative
    refunded amount afterwards (what ``ledger.apply_provider_refund`` wants)."""

    refund_id: str
    status: str
    amount: int
    payment_intent_id: str
    charge_refunded_total: int
