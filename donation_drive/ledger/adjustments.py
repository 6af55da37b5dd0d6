"""Changes to recorded donations: provider refunds and disputes, offline refunds,
voids and corrections. Each keeps the history in audit rows and moves the drive's
running totals by exactly what it changed."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from ..errors import Conflict, InvalidInput
from ..models import OFFLINE_METHODS, Donation, Method, Status, normalize_email
from .donors import donor_for
from .signals import Gift, gift_refunded, gift_voided
from .transactions import (
    apply_change,
    find_provider_donation,
    in_transaction,
    load_donation,
    snapshot,
)
from .validation import check_minor_units, clean_text, validate_email

# Dispute states in which the money is (or stays) with the cardholder.
DISPUTE_HOLDS_FUNDS = {
    "warning_needs_response",
    "needs_response",
    "under_review",
    "warning_under_review",
    "lost",
    "reversed",  # PayPal: a reversal (chargeback) took the money back, until cancelled
}
DISPUTE_FINAL = {"won", "lost", "warning_closed"}


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
        before = snapshot(donation)
        previous = donation.refunded_amount
        donation.refunded_amount = new_total
        apply_change(
            donation,
            before,
            actor=actor,
            action="refunded",
            details={"refunded_total": new_total, "previous": previous},
        )
        _announce_refund(donation)
        return donation

    return in_transaction(work)


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
        before = snapshot(donation)
        donation.dispute_status = dispute_status
        donation.disputed_amount = held
        apply_change(
            donation,
            before,
            actor=actor,
            action=f"dispute_{dispute_status}",
            details={"disputed_amount": held, "previous_status": current},
        )
        return donation

    return in_transaction(work)


def _announce_refund(donation: Donation) -> None:
    gift_refunded.send(
        current_app._get_current_object(),
        gift=Gift.of(donation),
        in_full=donation.refunded_amount >= donation.amount,
    )


def refund_offline_donation(donation_id: int, *, amount: int, reason: str, actor: str) -> Donation:
    """Record money given back for an offline donation (card refunds go through Stripe)."""
    amount = check_minor_units(amount)
    reason_text = clean_text(reason, "reason", max_length=500, required=True)

    def work() -> Donation:
        donation = load_donation(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("refund card payments through Stripe", "donation")
        if donation.status != Status.SUCCEEDED:
            raise Conflict(f"cannot refund a {donation.status} donation", "donation")
        if donation.refunded_amount + amount > donation.amount:
            raise InvalidInput("the refund is larger than what is left of the gift", "amount")
        before = snapshot(donation)
        donation.refunded_amount += amount
        apply_change(
            donation,
            before,
            actor=actor,
            action="refunded",
            details={"amount": amount, "reason": reason_text},
        )
        _announce_refund(donation)
        return donation

    return in_transaction(work)


def void_donation(donation_id: int, *, reason: str, actor: str) -> Donation:
    """Withdraw an offline entry made in error. The row and its history stay."""
    reason_text = clean_text(reason, "reason", max_length=500, required=True)

    def work() -> Donation:
        donation = load_donation(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("card payments are refunded through Stripe, not voided", "donation")
        if donation.status == Status.VOIDED:
            return donation
        before = snapshot(donation)
        donation.status = Status.VOIDED
        donation.void_reason = reason_text
        apply_change(
            donation, before, actor=actor, action="voided", details={"reason": reason_text}
        )
        gift_voided.send(current_app._get_current_object(), gift=Gift.of(donation))
        return donation

    return in_transaction(work)


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
        donation = load_donation(donation_id)
        if donation.method == Method.CARD:
            raise Conflict("card payments come from Stripe and cannot be edited", "donation")
        if donation.status == Status.VOIDED:
            raise Conflict("a voided donation cannot be edited", "donation")
        if "amount" in cleaned and donation.refunded_amount > cleaned["amount"]:
            raise InvalidInput("the amount is below what was already refunded", "amount")
        before = snapshot(donation)
        diff = {}
        for key, value in cleaned.items():
            old = getattr(donation, key)
            if old != value:
                diff[key] = {"from": _jsonable(old), "to": _jsonable(value)}
                setattr(donation, key, value)
        if "donor_email" in diff and normalize_email(
            diff["donor_email"]["from"]
        ) != normalize_email(donation.donor_email):
            # Another email is another donor: the gift moves to them (its drive's
            # donor count follows in apply_change).
            donation.donor_id = donor_for(donation.donor_email, donation.donor_name)
            diff["donor_id"] = {"from": before.donor_id, "to": donation.donor_id}
        if diff:
            apply_change(donation, before, actor=actor, action="edited", details=diff)
        return donation

    return in_transaction(work)


def _jsonable(value: object) -> object:
    return value.isoformat() if isinstance(value, datetime) else value
