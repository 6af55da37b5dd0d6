"""Reading PayPal's Transaction Search (``GET /v1/reporting/transactions``) for
reconciliation: windows of at most 31 days (PayPal's limit), every page, one row at a
time. PayPal's search lags up to three hours behind; the caller widens its window by
``SEARCH_LAG`` so a run sees what the previous one could not yet."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ...errors import InvalidAmount
from .client import paypal_client
from .objects import CANCEL_REVERSAL, REFUND, REVERSAL, money_of, parse_time

MAX_WINDOW = timedelta(days=31)
SEARCH_LAG = timedelta(hours=3)
PAGE_SIZE = 100
# Event codes (PayPal's Transaction event codes reference): T00xx are payments
# received; T1107 a refund, T1106 a reversal, T1111 a cancelled reversal.
ADJUSTMENT_CODES = {"T1107": REFUND, "T1106": REVERSAL, "T1111": CANCEL_REVERSAL}


@dataclass(frozen=True, slots=True)
class SearchedTransaction:
    id: str
    event_code: str
    status: str  # S success, V reversed/refunded, P pending, D denied
    amount: int  # minor units, signed as PayPal shows it
    currency: str
    at: datetime
    reference_id: str | None  # the payment an adjustment belongs to
    custom: str | None
    payer_email: str | None
    payer_name: str | None

    @property
    def is_payment(self) -> bool:
        return self.event_code.startswith("T00") and self.amount > 0

    @property
    def adjustment_kind(self) -> str | None:
        return ADJUSTMENT_CODES.get(self.event_code)


def _row(detail: dict[str, Any]) -> SearchedTransaction | None:
    info = detail.get("transaction_info") or {}
    payer = detail.get("payer_info") or {}
    name = payer.get("payer_name") or {}
    try:
        amount, currency = money_of(info.get("transaction_amount"), "transaction_amount")
    except InvalidAmount:
        return None
    transaction_id = info.get("transaction_id")
    if not isinstance(transaction_id, str) or not transaction_id:
        return None
    full_name = name.get("alternate_full_name") or " ".join(
        part for part in (name.get("given_name"), name.get("surname")) if part
    )
    return SearchedTransaction(
        id=transaction_id,
        event_code=str(info.get("transaction_event_code") or ""),
        status=str(info.get("transaction_status") or ""),
        amount=amount,
        currency=currency,
        at=parse_time(info.get("transaction_initiation_date")),
        reference_id=info.get("paypal_reference_id") or None,
        custom=info.get("custom_field") or None,
        payer_email=payer.get("email_address") or None,
        payer_name=full_name or None,
    )


def windows(start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
    """``start``..``end`` cut into consecutive windows of at most 31 days."""
    while start < end:
        stop = min(start + MAX_WINDOW, end)
        yield start, stop
        start = stop


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iter_transactions(start: datetime, end: datetime) -> Iterator[SearchedTransaction]:
    """Every transaction PayPal lists from ``start`` to ``end``, page by page.
    Raises ``PayPalUnavailable`` / ``PayPalRejected``."""
    client = paypal_client()
    for window_start, window_end in windows(start, end):
        page, pages = 1, 1
        while page <= pages:
            body = client.call(
                "GET",
                "/v1/reporting/transactions",
                params={
                    "start_date": _iso(window_start),
                    "end_date": _iso(window_end),
                    "fields": "transaction_info,payer_info",
                    "page_size": PAGE_SIZE,
                    "page": page,
                },
            )
            pages = int(body.get("total_pages") or 0)
            for detail in body.get("transaction_details") or ():
                row = _row(detail) if isinstance(detail, dict) else None
                if row is not None:
                    yield row
            page += 1
