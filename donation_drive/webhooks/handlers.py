"""What each Stripe event means for the ledger. A handler reads the event's
object through the gateway's typed views and calls one ledger function (for a
payment ``record_provider_payment``, as the checkout and reconciliation do); the
ledger's once-only keys make every handler safe to run twice, concurrently or out
of order.

The object decides, not the type: a payment is counted only when its PaymentIntent
says ``succeeded`` (a thin event, whose object lacks the status or the amount, is
completed from Stripe), a refund's figure is the charge's own. An event whose type
and object disagree is refused as ``UnprocessableEvent``, so it is kept, marked
failed with the disagreement, and listed for an admin.

A handler answers with ``Handled`` (processed or ignored), or raises
``NotYetProcessable`` (Stripe should retry later) or ``UnprocessableEvent`` (the
event cannot be applied as sent; an admin has to look). It is given
``mark_processed``, which writes the stored event's final status: a handler whose
ledger call can only commit when the event is processed passes it to the ledger as
``also_write`` (the ledger's "write this in my transaction" hook: one commit instead
of two, and the donation and the event's status cannot disagree) and answers
``Handled(..., settled=True)``; otherwise the intake records the outcome afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..errors import InvalidInput, UnknownDrive
from ..ledger import (
    AlsoWrite,
    apply_provider_dispute,
    apply_provider_refund,
    get_drive_key,
    mark_payment_unsuccessful,
    record_provider_payment,
)
from ..models import Status
from ..providers.stripe import (
    CANCELED,
    PROVIDER,
    REQUIRES_PAYMENT_METHOD,
    SUCCEEDED,
    ChargeInfo,
    PaymentIntentInfo,
    PaymentRejected,
    PaymentServiceUnavailable,
    ProviderEvent,
    charge_from,
    dispute_from,
    ledger_payment,
    payment_intent_from,
    refund_from,
    retrieve_charge,
    retrieve_payment,
)
from .monthly import MONTHLY_HANDLERS

T = TypeVar("T")
PROCESSED = "processed"
IGNORED = "ignored"


class NotYetProcessable(Exception):
    """The event depends on something not here yet (a refund for a payment not
    recorded yet, Stripe unreachable): answer 5xx so Stripe delivers it again."""


class UnprocessableEvent(Exception):
    """The event cannot be applied as sent (its drive does not exist, its currency
    is not the drive's): keep it, flag it for an admin, do not ask for retries."""


@dataclass(frozen=True, slots=True)
class Handled:
    status: str  # PROCESSED or IGNORED
    note: str | None = None
    settled: bool = False  # the stored event was marked in the ledger's transaction


MarkProcessed = AlsoWrite


# The PaymentIntent status each payment event's object must have for the event to
# be applied (after a failed attempt Stripe sends the intent back for a new card).
PAYMENT_STATUS_OF_EVENT = {
    "payment_intent.succeeded": SUCCEEDED,
    "payment_intent.payment_failed": REQUIRES_PAYMENT_METHOD,
    "payment_intent.canceled": CANCELED,
}


def _check_kind(event: ProviderEvent, kind: str) -> None:
    found = event.object.get("object")
    if found is not None and found != kind:
        raise UnprocessableEvent(f"{event.type} event carries a {found!r} object, not a {kind}")


def _read(parse: Callable[[dict], T], event: ProviderEvent, kind: str) -> T:
    """The event's object as a typed view of a ``kind`` object; a malformed one
    cannot be retried away."""
    _check_kind(event, kind)
    try:
        return parse(event.object)
    except InvalidInput as exc:  # an amount of 12.5, say: name the field and the value
        object_id = _object_id(event)
        raise UnprocessableEvent(f"{event.type} object {object_id}: {exc.message}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UnprocessableEvent(f"malformed {event.type} object: {exc!r}") from None


def _object_id(event: ProviderEvent) -> str:
    object_id = event.object.get("id")
    if not isinstance(object_id, str) or not object_id:
        raise UnprocessableEvent(f"malformed {event.type} object: it has no id")
    return object_id


def _is_thin(event: ProviderEvent, *fields: str) -> bool:
    return any(event.object.get(field) is None for field in fields)


def _payment_intent(event: ProviderEvent) -> PaymentIntentInfo:
    """The PaymentIntent as the event's object shows it, or as Stripe has it now
    when the object is thin (no status or no amount)."""
    if not _is_thin(event, "status", "amount"):
        return _read(payment_intent_from, event, "payment_intent")
    _check_kind(event, "payment_intent")
    payment_intent_id = _object_id(event)
    try:
        return retrieve_payment(payment_intent_id)
    except PaymentServiceUnavailable:
        raise NotYetProcessable(
            f"thin {event.type} event: could not read payment {payment_intent_id} from Stripe"
        ) from None
    except PaymentRejected:
        raise UnprocessableEvent(f"Stripe does not know payment {payment_intent_id}") from None


def _require_agreement(event: ProviderEvent, intent: PaymentIntentInfo) -> None:
    """Refuse ``event`` unless ``intent`` has the status its type claims."""
    expected = PAYMENT_STATUS_OF_EVENT[event.type]
    if intent.status != expected:
        raise UnprocessableEvent(
            f"{event.type} disagrees with its object: payment {intent.id} is "
            f"{intent.status or 'without a status'}, not {expected}; not applied"
        )


def _actor(event: ProviderEvent) -> str:
    # The audit trail names the very event that made each change.
    return f"stripe-webhook:{event.id}"


def payment_succeeded(event: ProviderEvent, mark_processed: MarkProcessed) -> Handled:
    intent = _payment_intent(event)
    if not intent.metadata.is_ours:
        return Handled(IGNORED, "not a Donation Drive payment (no drive in its metadata)")
    _require_agreement(event, intent)
    try:
        payment = ledger_payment(intent, get_drive_key(intent.metadata.drive_slug or ""))
        # Once the ledger commits, this event is processed: say so in that commit.
        result = record_provider_payment(payment, actor=_actor(event), also_write=mark_processed)
    except (UnknownDrive, InvalidInput) as exc:
        raise UnprocessableEvent(f"payment {intent.id}: {exc}") from None
    # The note names the payment, not the donation row: reading the row's id after
    # the commit would cost a SELECT.
    note = "counted" if result.counted else "already counted"
    return Handled(PROCESSED, f"payment {intent.id} {note}", settled=True)


def payment_unsuccessful(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    intent = _payment_intent(event)
    if not intent.metadata.is_ours:
        return Handled(IGNORED, "not a Donation Drive payment (no drive in its metadata)")
    # A "failed" event whose object says succeeded must not mark the donation failed.
    _require_agreement(event, intent)
    canceled = event.type == "payment_intent.canceled"
    donation = mark_payment_unsuccessful(
        PROVIDER,
        intent.id,
        status=Status.CANCELED if canceled else Status.FAILED,
        reason=intent.cancellation_reason if canceled else intent.failure_message,
        actor=_actor(event),
    )
    if donation is None:
        return Handled(IGNORED, f"no donation is tied to payment {intent.id}")
    return Handled(PROCESSED, f"donation {donation.id} is {donation.status}")


def _charge(charge_id: str) -> ChargeInfo:
    try:
        return retrieve_charge(charge_id)
    except PaymentServiceUnavailable:
        raise NotYetProcessable(f"could not read charge {charge_id} from Stripe") from None
    except PaymentRejected:
        raise UnprocessableEvent(f"Stripe does not know charge {charge_id}") from None


def _unrecorded_payment(payment_intent_id: str) -> Handled:
    """A refund or dispute for a payment the ledger does not have: ours but not
    recorded yet (retry later), or not ours at all (nothing to do)."""
    try:
        intent = retrieve_payment(payment_intent_id)
    except PaymentRejected:
        return Handled(IGNORED, f"Stripe does not know payment {payment_intent_id}")
    except PaymentServiceUnavailable:
        raise NotYetProcessable(
            f"payment {payment_intent_id} is not recorded and Stripe could not be asked"
        ) from None
    if not intent.metadata.is_ours:
        return Handled(IGNORED, "not a Donation Drive payment (no drive in its metadata)")
    raise NotYetProcessable(f"payment {payment_intent_id} is not recorded yet")


def _apply_refund(event: ProviderEvent, charge: ChargeInfo) -> Handled:
    if not charge.payment_intent_id:
        return Handled(IGNORED, f"charge {charge.id} has no PaymentIntent: not from checkout")
    donation = apply_provider_refund(
        PROVIDER,
        charge.payment_intent_id,
        refunded_total=charge.amount_refunded,
        actor=_actor(event),
    )
    if donation is None:
        return _unrecorded_payment(charge.payment_intent_id)
    return Handled(PROCESSED, f"donation {donation.id} refunded {donation.refunded_amount}")


def charge_refunded(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    """``charge.refunded`` carries the charge and its cumulative ``amount_refunded``
    (read from Stripe when the object is thin)."""
    if _is_thin(event, "amount_refunded"):
        _check_kind(event, "charge")
        charge = _charge(_object_id(event))
    else:
        charge = _read(charge_from, event, "charge")
    if charge.amount_refunded <= 0:
        raise UnprocessableEvent(
            f"{event.type} disagrees with its object: charge {charge.id} shows nothing "
            "refunded; not applied"
        )
    return _apply_refund(event, charge)


def refund_updated(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    """``charge.refund.updated`` carries a refund; the charge's cumulative figure is
    read from Stripe so that every refund event sets the same, latest total."""
    refund = _read(refund_from, event, "refund")
    if not refund.charge_id:
        raise UnprocessableEvent(f"refund {refund.id} names no charge")
    return _apply_refund(event, _charge(refund.charge_id))


def dispute_changed(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    dispute = _read(dispute_from, event, "dispute")
    if not dispute.status or len(dispute.status) > 32:
        raise UnprocessableEvent(f"dispute {dispute.id} has no usable status")
    payment_intent_id = dispute.payment_intent_id
    if payment_intent_id is None and dispute.charge_id:
        payment_intent_id = _charge(dispute.charge_id).payment_intent_id
    if payment_intent_id is None:
        return Handled(IGNORED, f"dispute {dispute.id} is not about a checkout payment")
    try:
        donation = apply_provider_dispute(
            PROVIDER,
            payment_intent_id,
            dispute_status=dispute.status,
            disputed_amount=dispute.amount,
            actor=_actor(event),
        )
    except InvalidInput as exc:
        raise UnprocessableEvent(f"dispute {dispute.id}: {exc}") from None
    if donation is None:
        return _unrecorded_payment(payment_intent_id)
    return Handled(PROCESSED, f"donation {donation.id} dispute {donation.dispute_status}")


HANDLERS: dict[str, Callable[[ProviderEvent, MarkProcessed], Handled]] = {
    "payment_intent.succeeded": payment_succeeded,
    "payment_intent.payment_failed": payment_unsuccessful,
    "payment_intent.canceled": payment_unsuccessful,
    "charge.refunded": charge_refunded,
    "charge.refund.updated": refund_updated,
    "charge.dispute.created": dispute_changed,
    "charge.dispute.updated": dispute_changed,
    "charge.dispute.closed": dispute_changed,
    "charge.dispute.funds_withdrawn": dispute_changed,
    "charge.dispute.funds_reinstated": dispute_changed,
    **MONTHLY_HANDLERS,  # invoices and subscriptions: webhooks/monthly.py
}


def handle_event(event: ProviderEvent, mark_processed: MarkProcessed) -> Handled:
    """Apply ``event`` to the ledger; unknown types are acknowledged and ignored."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Handled(IGNORED, f"no handler for {event.type}")
    return handler(event, mark_processed)
