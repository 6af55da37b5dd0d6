"""Recording donations: offline entries, card payments started at checkout and
how they fail (a provider's payment that succeeded is ``provider_payments``).

Every write runs in its own transaction (see ``transactions``), updates the drive's
running totals in that same transaction, and leaves an audit row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..errors import Conflict, InvalidInput
from ..extensions import db
from ..models import OFFLINE_METHODS, Donation, Drive, Method, Status, utcnow
from .donors import donor_for
from .signals import Gift
from .transactions import (
    NOT_COUNTED,
    announce_counted,
    apply_change,
    find_provider_donation,
    in_transaction,
    load_donation,
    snapshot,
)
from .validation import check_drive_currency, check_minor_units, clean_text, validate_email


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
        donation.donor_id = donor_for(donation.donor_email, donation.donor_name)
        db.session.add(donation)
        db.session.flush()
        apply_change(
            donation,
            NOT_COUNTED,
            actor=entered_by,
            action="recorded",
            details={"method": method, "amount": donation.amount},
        )
        announce_counted(Gift.of(donation))
        return donation

    return in_transaction(work, attempts=1)


def create_pending_card_donation(
    drive: Drive,
    *,
    amount: int,
    donor: DonorDetails,
    provider: str,
    fee_covered_amount: int = 0,
    method: str = Method.CARD,
) -> Donation:
    """A donation started at checkout (by card, or ``method`` paypal for PayPal's
    button); it counts only once the provider says paid."""
    if method not in (Method.CARD, Method.PAYPAL):
        raise InvalidInput("a checkout gift is by card or PayPal", "method")
    donor = donor.cleaned()
    donation = _new_donation(
        drive_id=drive.id,
        amount=check_minor_units(amount),
        currency=drive.currency,
        method=method,
        status=Status.PENDING,
        received_at=utcnow(),
        **donor.as_columns(),
        provider=provider,
        entered_by="checkout",
        fee_covered_amount=fee_covered_amount,
    )

    def work() -> Donation:
        donation.donor_id = donor_for(donation.donor_email, donation.donor_name)
        db.session.add(donation)
        db.session.flush()
        apply_change(
            donation,
            NOT_COUNTED,
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
