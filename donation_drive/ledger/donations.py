"""Recording donations, refunds, disputes and voids: the one place money changes.

Every write here runs in its own transaction, updates the drive's running totals
in that same transaction, and leaves an audit row. Provider payments are keyed by
``(provider, provider_ref)``, so recording one twice (a replayed webhook, a
reconcile run racing a webhook) changes nothing the second time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm.exc import StaleDataError

from ..emails.outbox import cancel_unsent_receipts, queue_receipt
from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import OFFLINE_METHODS, Donation, DonationEvent, Drive, Method, Status, utcnow
from ..observability import count_donation_recorded
from .totals import invalidate_progress
from .validation import check_minor_units, clean_text, validate_currency, validate_email

log = logging.getLogger(__name__)
T = TypeVar("T")

# Dispute states in which the money is (or stays) with the cardholder.
DISPUTE_HOLDS_FUNDS = {
    "warning_needs_response",
    "needs_response",
    "under_review",
    "warning_under_review",
    "lost",
}
DISPUTE_FINAL = {"won", "lost", "warning_closed"}


@dataclass(frozen=True, slots=True)
class DonorDetails:
    """What a donor told us about themselves; every field optional."""

    name: str | None = None
    email: str | None = None
    display_name: str | None = None
    is_anonymous: bool = False
    message: str | None = None

    def cleaned(self) -> DonorDetails:
        return DonorDetails(
            name=clean_text(self.name, "donor_name", max_length=200),
            email=validate_email(self.email, "donor_email"),
            display_name=clean_text(self.display_name, "display_name", max_length=200),
            is_anonymous=bool(self.is_anonymous),
            message=clean_text(self.message, "message", max_length=1000, multiline=True),
        )


@dataclass(frozen=True, slots=True)
class RecordResult:
    donation: Donation
    created: bool  # a new row was written
    counted: bool  # this call made the donation count toward the total


def _in_transaction(work: Callable[[], T], *, attempts: int = 8) -> T:
    """Run ``work`` and commit, retrying when a concurrent writer got there first
    (optimistic-lock or unique-key conflicts, a busy SQLite file)."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            db.session.commit()
            return result
        except (StaleDataError, IntegrityError, OperationalError) as exc:
            db.session.rollback()
            retryable = not isinstance(exc, OperationalError) or "locked" in str(exc)
            if not retryable or attempt == attempts:
                raise
            time.sleep(0.005 * attempt)
        except Exception:
            db.session.rollback()
            raise
    raise AssertionError("unreachable")


def _snapshot(donation: Donation) -> tuple[int, int]:
    counted = donation.counted_amount
    return counted, 1 if counted > 0 else 0


def _apply(
    donation: Donation,
    before: tuple[int, int],
    *,
    actor: str,
    action: str,
    details: dict | None = None,
) -> int:
    """Move the drive's running totals by what this change did, and audit it."""
    after = _snapshot(donation)
    delta, count_delta = after[0] - before[0], after[1] - before[1]
    db.session.flush()  # the version check on the donation row happens here
    if delta or count_delta:
        db.session.execute(
            update(Drive)
            .where(Drive.id == donation.drive_id)
            .values(
                raised_amount=Drive.raised_amount + delta,
                donor_count=Drive.donor_count + count_delta,
            )
        )
    db.session.add(
        DonationEvent(
            donation_id=donation.id,
            actor=actor,
            action=action,
            amount_delta=delta,
            details=details or {},
        )
    )
    return delta


def _after_commit(drive_id: int) -> None:
    invalidate_progress(drive_id)


def _load(donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", "donation")
    return donation


def find_provider_donation(provider: str, provider_ref: str) -> Donation | None:
    return db.session.scalar(
        select(Donation)
        .where(Donation.provider == provider, Donation.provider_ref == provider_ref)
        .execution_options(populate_existing=True)
    )


def record_offline_donation(
    drive: Drive,
    *,
    amount: int,
    method: str,
    received_at: datetime,
    entered_by: str,
    donor: DonorDetails = DonorDetails(),
    currency: str | None = None,
    reference: str | None = None,
    note: str | None = None,
    send_receipt: bool = True,
) -> Donation:
    """Record money that arrived outside Stripe (check, PayPal, gift card, bitcoin,
    cash, other). ``amount`` is in minor units of the drive's currency."""
    if method not in OFFLINE_METHODS:
        raise InvalidInput(f"method must be one of {', '.join(OFFLINE_METHODS)}", "method")
    currency = validate_currency(currency or drive.currency)
    if currency != drive.currency:
        raise InvalidInput(f"this drive takes {drive.currency}, not {currency}", "currency")
    donor = donor.cleaned()
    donation = Donation(
        drive_id=drive.id,
        amount=check_minor_units(amount),
        currency=currency,
        method=method,
        status=Status.SUCCEEDED,
        received_at=received_at,
        donor_name=donor.name,
        donor_email=donor.email,
        display_name=donor.display_name,
        is_anonymous=donor.is_anonymous,
        message=donor.message,
        reference=clean_text(reference, "reference", max_length=200),
        note=clean_text(note, "note", max_length=2000, multiline=True),
        entered_by=entered_by,
        send_receipt=send_receipt,
        refunded_amount=0,
        disputed_amount=0,
    )

    def work() -> Donation:
        db.session.add(donation)
        db.session.flush()
        _apply(
            donation,
            (0, 0),
            actor=entered_by,
            action="recorded",
            details={"method": method, "amount": donation.amount},
        )
        queue_receipt(donation)
        return donation

    result = _in_transaction(work, attempts=1)
    _after_commit(drive.id)
    count_donation_recorded(method)
    return result


def create_pending_card_donation(
    drive: Drive,
    *,
    amount: int,
    donor: DonorDetails,
    fee_covered_amount: int = 0,
    provider: str = "stripe",
) -> Donation:
    """A card donation started at checkout; it counts only once the provider says paid."""
    donor = donor.cleaned()
    donation = Donation(
        drive_id=drive.id,
        amount=check_minor_units(amount),
        currency=drive.currency,
        method=Method.CARD,
        status=Status.PENDING,
        received_at=utcnow(),
        donor_name=donor.name,
        donor_email=donor.email,
        display_name=donor.display_name,
        is_anonymous=donor.is_anonymous,
        message=donor.message,
        provider=provider,
        entered_by="checkout",
        fee_covered_amount=fee_covered_amount,
        refunded_amount=0,
        disputed_amount=0,
    )

    def work() -> Donation:
        db.session.add(donation)
        db.session.flush()
        _apply(
            donation,
            (0, 0),
            actor="checkout",
            action="checkout_started",
            details={"amount": donation.amount},
        )
        return donation

    return _in_transaction(work, attempts=1)


def attach_provider_ref(donation_id: int, provider_ref: str) -> Donation:
    """Tie a pending donation to the provider's payment id (a Stripe PaymentIntent)."""

    def work() -> Donation:
        donation = _load(donation_id)
        if donation.provider_ref not in (None, provider_ref):
            raise Conflict("this donation is already tied to another payment", "provider_ref")
        donation.provider_ref = provider_ref
        db.session.flush()
        return donation

    return _in_transaction(work)


def record_provider_payment(
    *,
    provider: str,
    provider_ref: str,
    drive: Drive,
    amount: int,
    currency: str,
    received_at: datetime,
    actor: str,
    donor: DonorDetails = DonorDetails(),
    pending_donation_id: int | None = None,
    method: str = Method.CARD,
    reference: str | None = None,
    note: str | None = None,
    send_receipt: bool = True,
) -> RecordResult:
    """Record a payment the provider says succeeded. Idempotent on
    ``(provider, provider_ref)``: a second call, in any order or concurrently, returns
    the same donation and counts nothing again.

    ``pending_donation_id`` (from the payment's metadata) lets a payment that reaches
    us before checkout stored its id adopt the pending row instead of making a second.
    ``method`` is ``card`` for Stripe; imports of other providers' payments (a PayPal
    activity export) pass their own method and keep the same once-only guarantee;
    ``note`` (an admin's private note from an import) is kept on a new row only.
    """
    if method not in tuple(Method):
        raise InvalidInput(f"method must be one of {', '.join(Method)}", "method")
    reference = clean_text(reference, "reference", max_length=200)
    note = clean_text(note, "note", max_length=2000, multiline=True)
    currency = validate_currency(currency)
    if currency != drive.currency:
        # The drive's running total is a sum in one currency; adding another currency's
        # minor units to it would make the total wrong without anyone noticing.
        raise InvalidInput(f"this drive takes {drive.currency}, not {currency}", "currency")
    amount = check_minor_units(amount)
    donor = donor.cleaned()

    def work() -> RecordResult:
        donation = find_provider_donation(provider, provider_ref)
        if donation is None and pending_donation_id is not None:
            candidate = db.session.get(Donation, pending_donation_id, populate_existing=True)
            if (
                candidate is not None
                and candidate.provider == provider
                and candidate.provider_ref is None
                and candidate.drive_id == drive.id
            ):
                candidate.provider_ref = provider_ref
                donation = candidate
        if donation is None:
            donation = Donation(
                drive_id=drive.id,
                amount=amount,
                currency=currency,
                method=method,
                status=Status.SUCCEEDED,
                received_at=received_at,
                donor_name=donor.name,
                donor_email=donor.email,
                display_name=donor.display_name,
                is_anonymous=donor.is_anonymous,
                message=donor.message,
                provider=provider,
                provider_ref=provider_ref,
                reference=reference,
                note=note,
                entered_by=actor,
                send_receipt=send_receipt,
                refunded_amount=0,
                disputed_amount=0,
            )
            db.session.add(donation)
            db.session.flush()  # a concurrent insert of the same key fails here; retried
            _apply(
                donation,
                (0, 0),
                actor=actor,
                action="payment_recorded",
                details={"provider_ref": provider_ref, "amount": amount},
            )
            queue_receipt(donation)
            return RecordResult(donation, created=True, counted=True)
        if donation.status == Status.SUCCEEDED or donation.status == Status.VOIDED:
            return RecordResult(donation, created=False, counted=False)
        before = _snapshot(donation)
        if (donation.amount, donation.currency) != (amount, currency):
            log.warning(
                "payment %s: provider amount %s %s differs from checkout %s %s",
                provider_ref,
                amount,
                currency,
                donation.amount,
                donation.currency,
            )
        donation.amount, donation.currency = amount, currency
        # A refund or dispute event can arrive before the payment's success (events
        # come in any order); what it recorded can never exceed what was paid.
        donation.refunded_amount = min(donation.refunded_amount, amount)
        donation.disputed_amount = min(donation.disputed_amount, amount)
        donation.status = Status.SUCCEEDED
        donation.received_at = received_at
        donation.failure_reason = None
        _apply(
            donation,
            before,
            actor=actor,
            action="payment_succeeded",
            details={"provider_ref": provider_ref, "amount": amount},
        )
        queue_receipt(donation)
        return RecordResult(donation, created=False, counted=True)

    result = _in_transaction(work)
    _after_commit(drive.id)
    count_donation_recorded(result.donation.method, counted=result.counted)
    return result


def mark_payment_unsuccessful(
    provider: str, provider_ref: str, *, status: str, reason: str | None, actor: str
) -> Donation | None:
    """A pending payment failed or was canceled. A payment that already succeeded is
    left alone (a late 'failed' event for an earlier attempt must not undo it)."""
    if status not in (Status.FAILED, Status.CANCELED):
        raise InvalidInput("status must be failed or canceled", "status")

    def work() -> Donation | None:
        donation = find_provider_donation(provider, provider_ref)
        if donation is None or donation.status != Status.PENDING:
            return donation
        before = _snapshot(donation)
        donation.status = status
        donation.failure_reason = clean_text(reason, "reason", max_length=500)
        _apply(
            donation,
            before,
            actor=actor,
            action=f"payment_{status}",
            details={"reason": donation.failure_reason},
        )
        return donation

    return _in_transaction(work)


def apply_provider_refund(
    provider: str, provider_ref: str, *, refunded_total: int, actor: str
) -> Donation | None:
    """Set a provider payment's refunded amount to the provider's cumulative figure.

    Refunds only grow, so the larger of what we have and what we are told wins: the
    same or an older event leaves the total alone. Returns None for unknown payments.
    """
    if (
        isinstance(refunded_total, bool)
        or not isinstance(refunded_total, int)
        or refunded_total < 0
    ):
        raise InvalidInput("refunded total must be a non-negative integer", "amount_refunded")

    def work() -> Donation | None:
        donation = find_provider_donation(provider, provider_ref)
        if donation is None:
            return None
        new_total = min(max(donation.refunded_amount, refunded_total), donation.amount)
        if new_total == donation.refunded_amount:
            return donation
        before = _snapshot(donation)
        previous = donation.refunded_amount
        donation.refunded_amount = new_total
        _apply(
            donation,
            before,
            actor=actor,
            action="refunded",
            details={"refunded_total": new_total, "previous": previous},
        )
        if new_total >= donation.amount:
            cancel_unsent_receipts(donation, "payment refunded before the receipt was sent")
        return donation

    donation = _in_transaction(work)
    if donation is not None:
        _after_commit(donation.drive_id)
    return donation


def apply_provider_dispute(
    provider: str, provider_ref: str, *, dispute_status: str, disputed_amount: int, actor: str
) -> Donation | None:
    """Hold back a disputed amount while a dispute is open or lost; restore it if won.

    A final state (won, lost) is not overwritten by a late non-final event.
    """
    if (
        isinstance(disputed_amount, bool)
        or not isinstance(disputed_amount, int)
        or disputed_amount < 0
    ):
        raise InvalidInput("disputed amount must be a non-negative integer", "disputed_amount")

    def work() -> Donation | None:
        donation = find_provider_donation(provider, provider_ref)
        if donation is None:
            return None
        current = donation.dispute_status
        if current in DISPUTE_FINAL and dispute_status not in DISPUTE_FINAL:
            return donation
        held = min(disputed_amount, donation.amount) if dispute_status in DISPUTE_HOLDS_FUNDS else 0
        if current == dispute_status and held == donation.disputed_amount:
            return donation
        before = _snapshot(donation)
        donation.dispute_status = dispute_status
        donation.disputed_amount = held
        _apply(
            donation,
            before,
            actor=actor,
            action=f"dispute_{dispute_status}",
            details={"disputed_amount": held, "previous_status": current},
        )
        return donation

    donation = _in_transaction(work)
    if donation is not None:
        _after_commit(donation.drive_id)
    return donation


def refund_offline_donation(donation_id: int, *, amount: int, reason: str, actor: str) -> Donation:
    """Record money given back for an offline donation (card refunds go through Stripe)."""
    amount = check_minor_units(amount)
    reason_text = clean_text(reason, "reason", max_length=500, required=True)

    def work() -> Donation:
        donation = _load(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("refund card payments through Stripe", "donation")
        if donation.status != Status.SUCCEEDED:
            raise Conflict(f"cannot refund a {donation.status} donation", "donation")
        if donation.refunded_amount + amount > donation.amount:
            raise InvalidInput("the refund is larger than what is left of the gift", "amount")
        before = _snapshot(donation)
        donation.refunded_amount += amount
        _apply(
            donation,
            before,
            actor=actor,
            action="refunded",
            details={"amount": amount, "reason": reason_text},
        )
        if donation.refunded_amount >= donation.amount:
            cancel_unsent_receipts(donation, "gift refunded before the receipt was sent")
        return donation

    donation = _in_transaction(work)
    _after_commit(donation.drive_id)
    return donation


def void_donation(donation_id: int, *, reason: str, actor: str) -> Donation:
    """Withdraw an offline entry made in error. The row and its history stay."""
    reason_text = clean_text(reason, "reason", max_length=500, required=True)

    def work() -> Donation:
        donation = _load(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("card payments are refunded through Stripe, not voided", "donation")
        if donation.status == Status.VOIDED:
            return donation
        before = _snapshot(donation)
        donation.status = Status.VOIDED
        donation.void_reason = reason_text
        _apply(donation, before, actor=actor, action="voided", details={"reason": reason_text})
        cancel_unsent_receipts(donation, "donation voided")
        return donation

    donation = _in_transaction(work)
    _after_commit(donation.drive_id)
    return donation


EDITABLE_FIELDS = (
    "amount",
    "method",
    "received_at",
    "donor_name",
    "donor_email",
    "display_name",
    "is_anonymous",
    "message",
    "reference",
    "note",
)


def update_offline_donation(donation_id: int, *, actor: str, **changes: object) -> Donation:
    """Correct an offline donation; the audit row keeps each old and new value."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise InvalidInput(f"cannot edit {', '.join(sorted(unknown))}", sorted(unknown)[0])
    cleaned: dict[str, object] = {}
    for key, value in changes.items():
        if key == "amount":
            cleaned[key] = check_minor_units(value)
        elif key == "method":
            if value not in OFFLINE_METHODS:
                raise InvalidInput(f"method must be one of {', '.join(OFFLINE_METHODS)}", key)
            cleaned[key] = value
        elif key == "donor_email":
            cleaned[key] = validate_email(value, key)
        elif key == "is_anonymous":
            cleaned[key] = bool(value)
        elif key == "received_at":
            if not isinstance(value, datetime):
                raise InvalidInput("expected a date", key)
            cleaned[key] = value
        else:
            multiline = key in ("message", "note")
            cleaned[key] = clean_text(
                value, key, max_length=2000 if multiline else 200, multiline=multiline
            )

    def work() -> Donation:
        donation = _load(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("card payments come from Stripe and cannot be edited", "donation")
        if donation.status == Status.VOIDED:
            raise Conflict("a voided donation cannot be edited", "donation")
        if "amount" in cleaned and donation.refunded_amount > cleaned["amount"]:
            raise InvalidInput("the amount is below what was already refunded", "amount")
        before = _snapshot(donation)
        diff = {}
        for key, value in cleaned.items():
            old = getattr(donation, key)
            if old != value:
                diff[key] = {"from": _jsonable(old), "to": _jsonable(value)}
                setattr(donation, key, value)
        if diff:
            _apply(donation, before, actor=actor, action="edited", details=diff)
        return donation

    donation = _in_transaction(work)
    _after_commit(donation.drive_id)
    return donation


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
