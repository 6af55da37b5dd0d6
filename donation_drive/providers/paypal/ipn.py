"""Instant Payment Notification, for the classic Donate button: reading a message and
validating it by posting it back, byte for byte, with ``cmd=_notify-validate`` to
``PAYPAL_IPN_VERIFY_URL``. PayPal answers ``VERIFIED`` or ``INVALID``.

Messages are form-encoded in the charset they name (``charset``, windows-1252 when
absent). The raw body is kept as latin-1 text (one character per byte), so a message
stored now can be posted back later exactly as it came.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import current_app
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from .errors import InvalidWebhook, PayPalUnavailable
from .objects import CANCEL_REVERSAL, REFUND, REVERSAL, to_minor

VERIFIED, INVALID = "VERIFIED", "INVALID"
PAYPAL_TIME = ZoneInfo("America/Los_Angeles")
ADJUSTMENT_KINDS = {"Refunded": REFUND, "Reversed": REVERSAL, "Canceled_Reversal": CANCEL_REVERSAL}


@dataclass(frozen=True, slots=True)
class IpnMessage:
    raw: bytes
    fields: dict[str, str]

    def get(self, name: str) -> str:
        return self.fields.get(name, "").strip()

    @property
    def txn_id(self) -> str:
        return self.get("txn_id")

    @property
    def payment_status(self) -> str:
        return self.get("payment_status")

    @property
    def key(self) -> str:
        """The stored message's unique key: one transaction in one state. A retry of
        the same message has the same key; Pending and then Completed have two."""
        return f"{self.txn_id}:{self.payment_status}"[:200]

    @property
    def currency(self) -> str:
        return self.get("mc_currency").upper()

    def amount(self) -> int:
        """``mc_gross`` in minor units, unsigned (refunds and reversals are negative)."""
        return abs(to_minor(self.get("mc_gross"), self.currency or "USD", "mc_gross"))

    @property
    def receivers(self) -> set[str]:
        return {v.lower() for v in (self.get("receiver_email"), self.get("business")) if v}

    @property
    def paid_at(self) -> datetime:
        return payment_date(self.get("payment_date"))

    def as_payload(self) -> dict[str, object]:
        return {"raw": self.raw.decode("latin-1"), "fields": self.fields}


def parse_message(raw: bytes) -> IpnMessage:
    """Read a form-encoded IPN. Raises ``InvalidWebhook`` when it is none."""
    try:
        ascii_pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True)
    except ValueError:
        raise InvalidWebhook("the body is not form-encoded", "payload") from None
    charset = dict(ascii_pairs).get("charset") or "windows-1252"
    try:
        pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding=charset)
    except (LookupError, UnicodeDecodeError, ValueError):
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    fields = {name[:64]: value[:2000] for name, value in pairs}
    message = IpnMessage(raw=raw, fields=fields)
    if not message.txn_id or not message.payment_status or len(message.txn_id) > 64:
        raise InvalidWebhook("an IPN needs txn_id and payment_status", "payload")
    return message


def message_from_payload(payload: Mapping[str, object]) -> IpnMessage:
    """A stored message, as ``as_payload`` kept it."""
    return parse_message(str(payload.get("raw") or "").encode("latin-1"))


def payment_date(text: str) -> datetime:
    """``HH:MM:SS Mmm DD, YYYY PST`` (or PDT), PayPal's time, as UTC."""
    try:
        local = datetime.strptime(" ".join(text.split()[:4]), "%H:%M:%S %b %d, %Y")
    except ValueError:
        return datetime.now(UTC)
    return local.replace(tzinfo=PAYPAL_TIME).astimezone(UTC)


def validate(message: IpnMessage) -> str:
    """Post the message back; ``VERIFIED`` or ``INVALID``. Raises
    ``PayPalUnavailable`` when PayPal cannot be reached or answers anything else
    (the message is then kept and validated later by the worker)."""
    url = current_app.config["PAYPAL_IPN_VERIFY_URL"]
    timeout = float(current_app.config.get("PAYPAL_TIMEOUT_SECONDS") or 20)
    body = b"cmd=_notify-validate&" + message.raw

    import requests  # lazily, as in ``client``

    def once() -> str:
        try:
            response = requests.post(
                url,
                data=body,
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "User-Agent": "donation-drive-ipn",
                },
                timeout=timeout,
            )
        except requests.RequestException as exc:
            raise PayPalUnavailable(f"IPN validation failed: {exc}") from None
        answer = response.text.strip()
        if response.status_code != 200 or answer not in (VERIFIED, INVALID):
            raise PayPalUnavailable(
                f"IPN validation answered HTTP {response.status_code}: {answer[:80]!r}"
            )
        return answer

    # Validating twice is harmless: a few quick tries before leaving it to the worker.
    retrying = Retrying(
        stop=stop_after_attempt(2),
        wait=wait_exponential(multiplier=0.2, max=1),
        retry=retry_if_exception_type(PayPalUnavailable),
        reraise=True,
    )
    return retrying(once)
