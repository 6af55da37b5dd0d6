"""What each Stripe event means for the ledger. A handler reads the event's
object through the gateway's typed views and calls one ledger function (through
``checkout.recording`` for payments); the ledger's once-only keys make every
handler safe to run twice, concurrently or out of order.

A handler answers with ``Handled`` (processed or ignored), or raises
``NotYetProcessable`` (Stripe should retry later) or ``UnprocessableEvent`` (the
event cannot be applied as sent; an admin has to look). It is given
``mark_processed``, which writes the stored event's final status: a handler whose
ledger call can only commit when the event is processed runs it inside that
transaction (one commit instead of two, and the donation and the event's status
cannot disagree) and answers ``Handled(..., settled=True)``; otherwise the intake
records the outcome afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from ..checkout.recording import PROVIDER, record_succeeded_payment, record_unsuccessful_payment
from ..errors import InvalidInput, UnknownDrive
from ..ledger import apply_provider_dispute, apply_provider_refund
from ..stripe_gateway import (
    ChargeInfo,
    PaymentRejected,
    PaymentServiceUnavailable,
    ProviderEvent,
    charge_from,
    dispute_from,
    payment_intent_from,
    refund_from,
    retrieve_charge,
    retrieve_payment,
)

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


MarkProcessed = Callable[[], object]


def _read(parse: Callable[[dict], T], event: ProviderEvent) -> T:
    """The event's object as a typed view; a malformed one cannot be retried away."""
    try:
        return parse(event.object)
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UnprocessableEvent(f"malformed {event.type} object: {exc!r}") from None


def _actor(event: ProviderEvent) -> str:
    # The audit trail names the very event that made each change.
    return f"stripe-webhook:{event.id}"


def payment_succeeded(event: ProviderEvent, mark_processed: MarkProcessed) -> Handled:
    intent = _read(payment_intent_from, event)
    if not intent.metadata.is_ours:
        return Handled(IGNORED, "not a Donation Drive payment (no drive in its metadata)")
    try:
        # Once the ledger commits, this event is processed: say so in that commit.
        result = record_succeeded_payment(
            intent, actor=_actor(event), also_in_transaction=mark_processed
        )
    except (UnknownDrive, InvalidInput) as exc:
        raise UnprocessableEvent(f"payment {intent.id}: {exc}") from None
    # The note names the payment, not the donation row: reading the row's id after
    # the commit would cost a SELECT.
    note = "counted" if result.counted else "already counted"
    return Handled(PROCESSED, f"payment {intent.id} {note}", settled=True)


def payment_unsuccessful(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    intent = _read(payment_intent_from, event)
    if not intent.metadata.is_ours:
        return Handled(IGNORED, "not a Donation Drive payment (no drive in its metadata)")
    canceled = event.type == "payment_intent.canceled"
    donation = record_unsuccessful_payment(
        intent.id,
        canceled=canceled,
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
    """``charge.refunded`` carries the charge and its cumulative ``amount_refunded``."""
    return _apply_refund(event, _read(charge_from, event))


def refund_updated(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    """``charge.refund.updated`` carries a refund; the charge's cumulative figure is
    read from Stripe so that every refund event sets the same, latest total."""
    refund = _read(refund_from, event)
    if not refund.charge_id:
        raise UnprocessableEvent(f"refund {refund.id} names no charge")
    return _apply_refund(event, _charge(refund.charge_id))


def dispute_changed(event: ProviderEvent, _mark_processed: MarkProcessed) -> Handled:
    dispute = _read(dispute_from, event)
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
}


def handle_event(event: ProviderEvent, mark_processed: MarkProcessed) -> Handled:
    """Apply ``event`` to the ledger; unknown types are acknowledged and ignored."""
    handler = HANDLERS.get(event.type)
    if handler is None:
        return Handled(IGNORED, f"no handler for {event.type}")
    return handler(event, mark_processed)
