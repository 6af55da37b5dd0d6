"""PayPal's two ways of telling us about money, through the provider-neutral intake
(``intake.receive_event``: stored once before processing, then applied):

- ``POST /webhooks/paypal``: REST webhook events. PayPal vouches for each delivery
  (``providers.paypal.parse_event``) before anything is stored; an event it does not
  vouch for gets 400 and changes nothing. Stored as provider ``paypal``, keyed by the
  event id.
- ``POST /webhooks/paypal/ipn``: IPN messages of the classic Donate button. Stored
  first (provider ``paypal-ipn``, keyed by ``<txn_id>:<payment_status>``, so PayPal's
  retries of a message are one row and a Pending payment that completes is two),
  then validated by postback and applied within the request. PayPal gets 200 once
  the message is stored; one that could not be validated now (PayPal unreachable)
  stays ``error`` and the worker retries it (``retry_stored_ipns``).

Both exempt from CSRF and rate limits, like Stripe's webhook.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from ..errors import InvalidInput
from ..extensions import csrf, db, limiter
from ..models import WebhookEvent, utcnow
from ..observability import count_webhook_failure
from ..providers import paypal
from ..providers.paypal import ipn as paypal_ipn
from ..providers.paypal.objects import REFUND, REVERSAL, capture_from, refund_from
from .handlers import (
    IGNORED,
    PROCESSED,
    Handled,
    MarkProcessed,
    NotYetProcessable,
    UnprocessableEvent,
)
from .intake import ERROR, IntakeResult, receive_event

log = logging.getLogger(__name__)
bp = Blueprint("paypal_webhooks", __name__)
MAX_PAYLOAD_BYTES = 1_000_000
NEEDS_DRIVE_PREFIX = "needs a drive"


# ---------------------------------------------------------------------- REST webhooks
def _actor(event_id: str) -> str:
    return f"paypal-webhook:{event_id}"[:320]


def _check_receiver(email: str | None, what: str) -> None:
    expected = paypal.settings().receiver_email.lower()
    if email and email.lower() != expected:
        raise UnprocessableEvent(
            f"{what} was paid to {email!r}, not to PAYPAL_RECEIVER_EMAIL; not counted"
        )


def _apply_payment(
    payment: paypal.PayPalPayment, actor: str, mark_processed: MarkProcessed, drive=None
) -> Handled:
    try:
        result = paypal.record_payment(payment, actor=actor, also_write=mark_processed, drive=drive)
    except (paypal.NeedsDrive, paypal.Refused) as exc:
        raise UnprocessableEvent(str(exc)) from None
    except InvalidInput as exc:
        raise UnprocessableEvent(f"payment {payment.capture_id}: {exc}") from None
    if result is None:
        return Handled(PROCESSED, f"payment {payment.capture_id} already counted")
    return Handled(PROCESSED, f"payment {payment.capture_id} counted", settled=True)


def _apply_adjustment(adjustment: paypal.Adjustment, actor: str, source: str) -> Handled:
    paypal.record_adjustment(adjustment, source=source)
    donation = paypal.sync_adjustments(adjustment.capture_id, actor=actor)
    if donation is None:
        return Handled(
            PROCESSED,
            f"{adjustment.kind} {adjustment.id} kept: payment {adjustment.capture_id} is not "
            "recorded (it is applied when the payment is)",
        )
    return Handled(
        PROCESSED, f"{adjustment.kind} {adjustment.id} applied to donation {donation.id}"
    )


def handle_event(event: paypal.PayPalEvent, mark_processed: MarkProcessed, drive=None) -> Handled:
    """Apply one verified REST webhook event. The resource decides, not the type: a
    COMPLETED event counts only a capture that says it was paid."""
    kind = event.type
    try:
        if kind == "PAYMENT.CAPTURE.COMPLETED":
            capture = capture_from(event.resource)
            if not capture.is_paid:
                raise UnprocessableEvent(
                    f"{kind} disagrees with its resource: capture {capture.id} is "
                    f"{capture.status or 'without a status'}; not applied"
                )
            _check_receiver(capture.payee_email, f"capture {capture.id}")
            payment = paypal.PayPalPayment(
                capture_id=capture.id,
                amount=capture.amount,
                currency=capture.currency,
                paid_at=capture.created,
                named=paypal.read_custom(capture.custom_id),
                donor=_order_payer(capture),
            )
            return _apply_payment(payment, _actor(event.id), mark_processed, drive)
        if kind in ("PAYMENT.CAPTURE.PENDING", "PAYMENT.CAPTURE.DENIED"):
            return Handled(IGNORED, f"{kind}: nothing is counted until PayPal completes it")
        if kind in ("PAYMENT.CAPTURE.REFUNDED", "PAYMENT.CAPTURE.REVERSED"):
            refund = refund_from(event.resource)
            if not refund.capture_id:
                raise UnprocessableEvent(f"{kind}: refund {refund.id} names no capture")
            adjustment = paypal.Adjustment(
                id=refund.id,
                capture_id=refund.capture_id,
                kind=REFUND if kind == "PAYMENT.CAPTURE.REFUNDED" else REVERSAL,
                amount=refund.amount,
                currency=refund.currency,
                at=refund.created,
            )
            return _apply_adjustment(adjustment, _actor(event.id), "webhook")
    except InvalidInput as exc:
        raise UnprocessableEvent(f"{kind}: {exc}") from None
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        raise UnprocessableEvent(f"malformed {kind} resource: {exc!r}") from None
    return Handled(IGNORED, f"no handler for {kind}")


def _order_payer(capture: paypal.CaptureInfo):
    """The donor of a checkout capture (its order has the payer); none for others."""
    if not capture.order_id:
        return paypal.donor_of(None, None)
    from ..providers.paypal.payments import get_order

    try:
        order = get_order(capture.order_id)
    except (paypal.PayPalUnavailable, paypal.PayPalRejected):
        return paypal.donor_of(None, None)
    return paypal.donor_of(order.payer_email, order.payer_name)


def _json_answer(result: IntakeResult, event_id: str) -> tuple[Response, int]:
    body: dict[str, Any] = {"received": True, "event": event_id, "status": result.status}
    if result.detail and result.http_status >= 500:
        body["error"] = result.detail
    return jsonify(body), result.http_status


@bp.post("/webhooks/paypal")
@csrf.exempt
@limiter.exempt
def paypal_webhook() -> tuple[Response, int]:
    if not paypal.is_enabled():
        raise paypal.PayPalNotConfigured("PayPal is not configured here", "provider")
    if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
        count_webhook_failure("too_large", paypal.PROVIDER)
        raise InvalidInput("the body is too large for a PayPal event", "payload")
    payload = request.get_data(cache=False)
    try:
        event = paypal.parse_event(payload, request.headers)
    except paypal.InvalidWebhook as exc:
        count_webhook_failure(
            "bad_signature" if exc.field == "signature" else "bad_payload", paypal.PROVIDER
        )
        raise
    except paypal.PayPalUnavailable as exc:
        # Nothing stored: PayPal delivers the event again later.
        count_webhook_failure("verification_unavailable", paypal.PROVIDER)
        return jsonify({"received": False, "error": exc.message}), 503
    return _json_answer(
        receive_event(event, provider=paypal.PROVIDER, handle=handle_event), event.id
    )


# ---------------------------------------------------------------------- IPN
@dataclass(frozen=True, slots=True)
class IpnEvent:
    id: str
    type: str
    created: int
    payload: dict[str, Any]
    message: paypal_ipn.IpnMessage


def ipn_event(message: paypal_ipn.IpnMessage) -> IpnEvent:
    return IpnEvent(
        id=message.key,
        type=f"ipn:{message.payment_status}"[:100],
        created=int(message.paid_at.timestamp()),
        payload=message.as_payload(),
        message=message,
    )


def _ipn_actor(message: paypal_ipn.IpnMessage) -> str:
    return f"paypal-ipn:{message.key}"[:320]


def handle_ipn(event: IpnEvent, mark_processed: MarkProcessed, drive=None) -> Handled:
    """Validate one stored IPN by postback, check it, apply it."""
    message = event.message
    try:
        answer = paypal_ipn.validate(message)
    except paypal.PayPalUnavailable as exc:
        raise NotYetProcessable(f"not validated yet: {exc.message}") from None
    if answer != paypal_ipn.VERIFIED:
        raise UnprocessableEvent("PayPal answered INVALID to the postback: not a PayPal message")
    expected = paypal.settings().receiver_email.lower()
    if expected not in message.receivers:
        raise UnprocessableEvent(
            f"IPN {message.txn_id} was sent for {', '.join(sorted(message.receivers)) or 'nobody'}"
            ", not PAYPAL_RECEIVER_EMAIL; not counted"
        )
    status = message.payment_status
    try:
        if status == "Completed":
            if message.get("txn_type").startswith(("subscr_", "recurring_payment_profile")):
                return Handled(IGNORED, f"txn_type {message.get('txn_type')} moves no money")
            payment = paypal.PayPalPayment(
                capture_id=message.txn_id,
                amount=message.amount(),
                currency=message.currency,
                paid_at=message.paid_at,
                named=paypal.read_custom(message.get("custom"), message.get("item_number")),
                donor=paypal.donor_of(
                    message.get("payer_email"),
                    " ".join(p for p in (message.get("first_name"), message.get("last_name")) if p),
                ),
            )
            return _apply_payment(payment, _ipn_actor(message), mark_processed, drive)
        kind = paypal_ipn.ADJUSTMENT_KINDS.get(status)
        if kind is not None:
            parent = message.get("parent_txn_id")
            if not parent:
                raise UnprocessableEvent(f"{status} IPN {message.txn_id} has no parent_txn_id")
            adjustment = paypal.Adjustment(
                id=message.txn_id,
                capture_id=parent,
                kind=kind,
                amount=message.amount(),
                currency=message.currency,
                at=message.paid_at,
            )
            return _apply_adjustment(adjustment, _ipn_actor(message), "ipn")
    except InvalidInput as exc:
        raise UnprocessableEvent(f"IPN {message.txn_id}: {exc}") from None
    except paypal.Refused as exc:
        raise UnprocessableEvent(str(exc)) from None
    if status == "Pending":
        return Handled(
            IGNORED,
            f"pending ({message.get('pending_reason') or 'no reason'}): "
            "counted when PayPal's Completed message arrives",
        )
    return Handled(IGNORED, f"payment_status {status} moves no money here")


def receive_ipn(message: paypal_ipn.IpnMessage) -> IntakeResult:
    return receive_event(ipn_event(message), provider=paypal.IPN_PROVIDER, handle=handle_ipn)


@bp.post("/webhooks/paypal/ipn")
@csrf.exempt
@limiter.exempt
def paypal_ipn_listener() -> tuple[Response, int]:
    if not paypal.is_enabled():
        raise paypal.PayPalNotConfigured("PayPal is not configured here", "provider")
    if (request.content_length or 0) > MAX_PAYLOAD_BYTES:
        raise InvalidInput("the body is too large for an IPN message", "payload")
    message = paypal_ipn.parse_message(request.get_data(cache=False))
    result = receive_ipn(message)
    if result.status == ERROR and result.http_status == 503:
        # Stored; the worker validates it when PayPal answers again.
        return jsonify({"received": True, "status": "stored", "detail": result.detail}), 200
    return _json_answer(result, message.key)


# ---------------------------------------------------------------------- worker
def retry_stored_ipns(limit: int = 200, older_than: timedelta = timedelta(seconds=30)) -> int:
    """Process again the IPN messages that could not be validated or applied (status
    ``error``, or ``received`` and left by a process that died). Returns how many
    were tried. Each goes through the same intake, so none is counted twice."""
    rows = db.session.execute(
        select(WebhookEvent.id, WebhookEvent.payload)
        .where(
            WebhookEvent.provider == paypal.IPN_PROVIDER,
            WebhookEvent.status.in_((ERROR, "received")),
            WebhookEvent.received_at <= utcnow() - older_than,
        )
        .order_by(WebhookEvent.id)
        .limit(limit)
    ).all()
    db.session.rollback()
    for _row_id, payload in rows:
        try:
            message = paypal_ipn.message_from_payload(payload)
        except paypal.InvalidWebhook:
            continue
        receive_ipn(message)
    return len(rows)
