"""Reading Stripe's records page by page, for reconciliation.

Every function here yields plain values one at a time, using the SDK's
auto-pagination (``PAGE_SIZE`` objects per request), so a caller can walk thousands
of payments in constant memory. Stripe's errors become ``ListingError``.

The local emulator refuses ``created`` filters on lists, so the time window is
always applied here, and also sent to the server when talking to Stripe itself.
The emulator has no disputes at all: ``iter_disputes`` raises ``ListingUnavailable``
there, which callers report rather than fail on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .client import settings, stripe_client
from .objects import (
    DisputeInfo,
    PaymentIntentInfo,
    RefundInfo,
    charge_from,
    dispute_from,
    payment_intent_from,
    refund_from,
)

if TYPE_CHECKING:
    import stripe

PAGE_SIZE = 100


class ListingError(Exception):
    """Stripe could not be read (down, refused the key, answered nonsense)."""


class ListingUnavailable(ListingError):
    """This Stripe API has no such list (the emulator has no disputes)."""


@dataclass(frozen=True, slots=True)
class StripePayment:
    """A PaymentIntent with its latest charge's cumulative refunded amount."""

    intent: PaymentIntentInfo
    amount_refunded: int

    @property
    def id(self) -> str:
        return self.intent.id

    @property
    def status(self) -> str:
        return self.intent.status

    @property
    def amount(self) -> int:
        """Minor units collected (``amount_received``, which the emulator omits)."""
        return self.intent.settled_amount

    @property
    def currency(self) -> str:
        return self.intent.currency

    @property
    def created(self) -> datetime:
        return self.intent.created

    @property
    def drive_slug(self) -> str | None:
        return self.intent.metadata.drive_slug

    @property
    def pending_donation_id(self) -> int | None:
        return self.intent.metadata.donation_id

    @property
    def receipt_email(self) -> str | None:
        return self.intent.receipt_email


@dataclass(frozen=True, slots=True)
class ListedRefund:
    refund: RefundInfo
    created: datetime


def _as_dict(obj: Any) -> dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _created(data: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(int(data.get("created") or 0), UTC)


def _describe(exc: stripe.StripeError) -> str:
    status = getattr(exc, "http_status", None)
    message = " ".join(str(exc.user_message or exc).split())
    where = f" (HTTP {status})" if status else ""
    return f"Stripe {type(exc).__name__}{where}: {message}"


def _payment_from(data: dict[str, Any]) -> StripePayment:
    intent = payment_intent_from(data)
    charge = data.get("latest_charge")
    if isinstance(charge, str):  # not expanded after all: ask for it
        charge = _as_dict(stripe_client().v1.charges.retrieve(charge))
    refunded = charge_from(charge).amount_refunded if isinstance(charge, dict) else 0
    return StripePayment(intent=intent, amount_refunded=refunded)


def _window_params(since: datetime | None) -> dict[str, Any]:
    if since is None or not settings().dialect.filters_lists_by_created:
        return {}
    return {"created": {"gte": int(since.timestamp())}}


def _pages(list_call: Callable[..., Any], params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every object of a Stripe list, one at a time, as a dict."""
    import stripe  # lazily: the SDK is slow to import (see the package docstring)

    try:
        listing = list_call(params={"limit": PAGE_SIZE, **params})
        for obj in listing.auto_paging_iter():
            yield _as_dict(obj)
    except stripe.StripeError as exc:
        if getattr(exc, "http_status", None) == 404:
            raise ListingUnavailable(_describe(exc)) from exc
        raise ListingError(_describe(exc)) from exc


def iter_payments(since: datetime | None) -> Iterator[StripePayment]:
    """Every PaymentIntent created at or after ``since`` (all when None), in any
    status, with its latest charge's refunded total. Raises ``ListingError``."""
    import stripe  # lazily: the SDK is slow to import (see the package docstring)

    params = {"expand": ["data.latest_charge"], **_window_params(since)}
    for data in _pages(stripe_client().v1.payment_intents.list, params):
        if since is None or _created(data) >= since:
            try:
                yield _payment_from(data)
            except stripe.StripeError as exc:
                raise ListingError(_describe(exc)) from exc


def find_payment(payment_intent_id: str) -> StripePayment | None:
    """One PaymentIntent by id, or None when Stripe does not know it."""
    import stripe  # lazily: the SDK is slow to import (see the package docstring)

    try:
        intent = stripe_client().v1.payment_intents.retrieve(
            payment_intent_id, params={"expand": ["latest_charge"]}
        )
        return _payment_from(_as_dict(intent))
    except stripe.StripeError as exc:
        if isinstance(exc, stripe.InvalidRequestError) and exc.http_status == 404:
            return None
        raise ListingError(_describe(exc)) from exc


def iter_refunds(since: datetime | None) -> Iterator[ListedRefund]:
    """Refunds created at or after ``since``; they may belong to older payments."""
    for data in _pages(stripe_client().v1.refunds.list, _window_params(since)):
        created = _created(data)
        if since is None or created >= since:
            yield ListedRefund(refund=refund_from(data), created=created)


def iter_disputes() -> Iterator[DisputeInfo]:
    """Every dispute: they are few, and old ones change state (won, lost).
    Raises ``ListingUnavailable`` where the API has no disputes (the emulator)."""
    for data in _pages(stripe_client().v1.disputes.list, {}):
        yield dispute_from(data)
