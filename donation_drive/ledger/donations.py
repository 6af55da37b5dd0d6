"""Recording donations: offline entries, card payments started at checkout, and
payments a provider says succeeded.

Every write runs in its own transaction (see ``transactions``), updates the drive's
running totals in that same transaction, and leaves an audit row. Provider payments
are keyed by ``(provider, provider_ref)``, so recording one twice (a replayed
webhook, a reconcile run racing a webhook) changes nothing the second time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ..emails.outbox import queue_receipt
from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import (
    OFFLINE_METHODS,
    Donation,
    Drive,
    Method,
    Status,
    utcnow,
)
from ..observability import count_donation_recorded
from .drives import DriveKey
from .new_payments import (
    PROVIDER_DONATION_ID,
    count_new_payment,
    forget_inserted,
    insert_provider_payment,
)
from .transactions import (
    after_commit,
    apply_change,
    find_provider_donation,
    in_transaction,
    load_donation,
    snapshot,
)
from .validation import check_drive_currency, check_minor_units, clean_text, validate_email

log = logging.getLogger(__name__)


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

    def as_columns(self) -> dict[str, object]:
        return {
            "donor_name": self.name,
            "donor_email": self.email,
            "display_name": self.display_name,
            "is_anonymous": self.is_anonymous,
            "message": self.message,
        }


def _new_donation(**columns: object) -> Donation:
    """A donation row with nothing refunded or disputed yet."""
    return Donation(refunded_amount=0, disputed_amount=0, **columns)


@dataclass(frozen=True, slots=True)
class RecordResult:
    donation: Donation
    created: bool  # a new row was written
    counted: bool  # this call made the donation count toward the total


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
    currency = check_drive_currency(drive, currency or drive.currency)
    donor = donor.cleaned()
    donation = _new_donation(
        drive_id=drive.id,
        amount=check_minor_units(amount),
        currency=currency,
        method=method,
        status=Status.SUCCEEDED,
        received_at=received_at,
        **donor.as_columns(),
        reference=clean_text(reference, "reference", max_length=200),
        note=clean_text(note, "note", max_length=2000, multiline=True),
        entered_by=entered_by,
        send_receipt=send_receipt,
    )

    def work() -> Donation:
        db.session.add(donation)
        db.session.flush()
        apply_change(
            donation,
            (0, 0),
            actor=entered_by,
            action="recorded",
            details={"method": method, "amount": donation.amount},
        )
        queue_receipt(donation)
        return donation

    result = in_transaction(work, attempts=1)
    after_commit(drive.id)
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
    donation = _new_donation(
        drive_id=drive.id,
        amount=check_minor_units(amount),
        currency=drive.currency,
        method=Method.CARD,
        status=Status.PENDING,
        received_at=utcnow(),
        **donor.as_columns(),
        provider=provider,
        entered_by="checkout",
        fee_covered_amount=fee_covered_amount,
    )

    def work() -> Donation:
        db.session.add(donation)
        db.session.flush()
        apply_change(
            donation,
            (0, 0),
            actor="checkout",
            action="checkout_started",
            details={"amount": donation.amount},
        )
        return donation

    return in_transaction(work, attempts=1)


def attach_provider_ref(donation_id: int, provider_ref: str) -> Donation:
    """Tie a pending donation to the provider's payment id (a Stripe PaymentIntent)."""

    def work() -> Donation:
        donation = load_donation(donation_id)
        if donation.provider_ref not in (None, provider_ref):
            raise Conflict("this donation is already tied to another payment", "provider_ref")
        donation.provider_ref = provider_ref
        db.session.flush()
        return donation

    return in_transaction(work)


def record_provider_payment(
    *,
    provider: str,
    provider_ref: str,
    drive: Drive | DriveKey,
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
    also_in_transaction: Callable[[], object] | None = None,
) -> RecordResult:
    """Record a payment the provider says succeeded. Idempotent on
    ``(provider, provider_ref)``: a second call, in any order or concurrently, returns
    the same donation and counts nothing again.

    ``pending_donation_id`` (from the payment's metadata) lets a payment that reaches
    us before checkout stored its id adopt the pending row instead of making a second.
    ``method`` is ``card`` for Stripe; imports of other providers' payments (a PayPal
    activity export) pass their own method and keep the same once-only guarantee;
    ``note`` (an admin's private note from an import) is kept on a new row only.
    ``also_in_transaction`` runs inside the recording transaction just before it
    commits, so its writes commit or roll back with the payment (the webhook intake
    marks its stored event processed this way).
    """
    if method not in tuple(Method):
        raise InvalidInput(f"method must be one of {', '.join(Method)}", "method")
    reference = clean_text(reference, "reference", max_length=200)
    note = clean_text(note, "note", max_length=2000, multiline=True)
    currency = check_drive_currency(drive, currency)
    amount = check_minor_units(amount)
    donor = donor.cleaned()

    inserted: Donation | None = None  # by the latest attempt, until it commits

    new_columns = {
        "drive_id": drive.id,
        "amount": amount,
        "currency": currency,
        "method": method,
        "status": Status.SUCCEEDED,
        "received_at": received_at,
        **donor.as_columns(),
        "provider": provider,
        "provider_ref": provider_ref,
        "reference": reference,
        "note": note,
        "entered_by": actor,
        "send_receipt": send_receipt,
        "refunded_amount": 0,
        "disputed_amount": 0,
    }

    def count_inserted(donation: Donation) -> RecordResult:
        nonlocal inserted
        inserted = donation
        count_new_payment(
            donation, actor=actor, details={"provider_ref": provider_ref, "amount": amount}
        )
        return RecordResult(donation, created=True, counted=True)

    def work() -> RecordResult:
        nonlocal inserted
        forget_inserted(inserted)  # an earlier attempt rolled back
        inserted = None
        if pending_donation_id is None:
            # Most payments are new and have no pending row to adopt: try the insert
            # first; only a payment we already have goes on to the lookup below.
            donation = insert_provider_payment(new_columns, if_new=True)
            if donation is not None:
                return count_inserted(donation)
        # Most payments are new: ask for the id alone, and load the row only if found.
        existing_id = db.session.execute(
            PROVIDER_DONATION_ID, {"provider": provider, "provider_ref": provider_ref}
        ).scalar()
        donation = None
        if existing_id is not None:
            donation = db.session.get(Donation, existing_id, populate_existing=True)
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
            new = insert_provider_payment(new_columns)
            assert new is not None  # without if_new it inserts or raises
            return count_inserted(new)
        if donation.status == Status.SUCCEEDED or donation.status == Status.VOIDED:
            return RecordResult(donation, created=False, counted=False)
        before = snapshot(donation)
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
        apply_change(
            donation,
            before,
            actor=actor,
            action="payment_succeeded",
            details={"provider_ref": provider_ref, "amount": amount},
        )
        queue_receipt(donation)
        return RecordResult(donation, created=False, counted=True)

    def work_noting_method() -> RecordResult:
        nonlocal counted_method
        result = work()
        counted_method = result.donation.method
        if also_in_transaction is not None:
            also_in_transaction()
        return result

    # Read before the commit expires them: reloading afterwards costs a SELECT each.
    drive_id, counted_method = drive.id, method
    try:
        result = in_transaction(work_noting_method)
    except BaseException:
        forget_inserted(inserted)
        raise
    after_commit(drive_id)
    count_donation_recorded(counted_method, counted=result.counted)
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
        before = snapshot(donation)
        donation.status = status
        donation.failure_reason = clean_text(reason, "reason", max_length=500)
        apply_change(
            donation,
            before,
            actor=actor,
            action=f"payment_{status}",
            details={"reason": donation.failure_reason},
        )
        return donation

    return in_transaction(work)
