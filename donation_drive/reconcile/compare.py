"""Comparing one Stripe record with the ledger, and repairing or flagging the gap.

Repairs go through the same idempotent ledger functions as the webhook
(``record_provider_payment``, ``apply_provider_refund``, ``apply_provider_dispute``,
``mark_payment_unsuccessful``), so a run racing a webhook, or a second run, counts
nothing twice, and the ledger's once-per-donation receipt key means reconcile never
causes a second email. A dry run takes the same decisions and counts them, but
calls none of the ledger's writing functions.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..errors import DonationDriveError, InvalidCurrency, InvalidInput
from ..extensions import db
from ..ledger import (
    DonorDetails,
    apply_provider_dispute,
    apply_provider_refund,
    find_provider_donation,
    mark_payment_unsuccessful,
    record_provider_payment,
)
from ..ledger.adjustments import DISPUTE_FINAL, DISPUTE_HOLDS_FUNDS
from ..ledger.validation import check_drive_currency
from ..models import Donation, Drive, Status, utcnow
from ..providers.stripe import PROVIDER, ledger_payment
from ..providers.stripe.listing import StripePayment
from ..providers.stripe.objects import DisputeInfo
from .runlog import Kind, RunLog

ACTOR = "reconcile"


class DriveLookup:
    """Drives by slug for the length of a run (there are few drives; the cap guards
    against a flood of made-up slugs in metadata)."""

    CAP = 256

    def __init__(self) -> None:
        self._ids: dict[str, int | None] = {}

    def get(self, slug: str) -> Drive | None:
        if slug not in self._ids:
            if len(self._ids) >= self.CAP:
                self._ids.clear()
            self._ids[slug] = db.session.scalar(select(Drive.id).where(Drive.slug == slug))
        drive_id = self._ids[slug]
        return db.session.get(Drive, drive_id) if drive_id is not None else None


def reconcile_payment(payment: StripePayment, log: RunLog, drives: DriveLookup) -> None:
    """Bring the ledger in line with one PaymentIntent, or flag why it cannot be."""
    log.counts.checked += 1
    if payment.status == "succeeded":
        donation = _record_if_missing(payment, log, drives)
        if donation is not None:
            _sync_refund(payment, donation, log)
    elif payment.status == "canceled":
        _sync_cancellation(payment, log)
    # Other states (processing, requires_*) have moved no money yet.


def _drive_of(
    payment: StripePayment, donation: Donation | None, log: RunLog, drives: DriveLookup
) -> Drive | None:
    """The drive the payment belongs to: the ledger's, when it has the donation (a
    metadata slug that disagrees is flagged); else the one its metadata names."""
    slug = payment.drive_slug
    if donation is not None:
        if slug is not None and slug != donation.drive.slug:
            log.flag(
                Kind.DRIVE_MISMATCH,
                f"Stripe payment {payment.id} names drive {slug[:80]!r} "
                f"but donation {donation.id} belongs to drive {donation.drive.slug!r}",
                provider_ref=payment.id,
                donation_id=donation.id,
                details=_payment_details(payment),
            )
        return donation.drive
    if slug is None:
        # Not started by our checkout (the Stripe account may take other payments).
        log.note_foreign(payment.id)
        return None
    drive = drives.get(slug)
    if drive is None:
        log.flag(
            Kind.UNKNOWN_DRIVE,
            f"Stripe payment {payment.id} names a drive {slug[:80]!r} that does not exist; "
            "it was not recorded",
            provider_ref=payment.id,
            details=_payment_details(payment),
        )
    return drive


def _record_if_missing(payment: StripePayment, log: RunLog, drives: DriveLookup) -> Donation | None:
    """The ledger's donation for a succeeded payment, recording it first if the ledger
    lacks it. None when it cannot be recorded (flagged), or in a dry run."""
    donation = find_provider_donation(PROVIDER, payment.id)
    drive = _drive_of(payment, donation, log, drives)
    if donation is not None and donation.status in (Status.SUCCEEDED, Status.VOIDED):
        _compare_recorded(payment, donation, log)
        return donation
    if drive is None:
        return None
    try:
        check_drive_currency(drive, payment.currency)
    except InvalidCurrency:
        log.flag(
            Kind.CURRENCY_MISMATCH,
            f"Stripe payment {payment.id} is in {payment.currency} but drive {drive.slug!r} "
            f"takes {drive.currency}; it was not recorded",
            provider_ref=payment.id,
            donation_id=donation.id if donation else None,
            details=_payment_details(payment),
        )
        return None
    late = _count_missing(payment, log)
    if log.dry_run:
        if payment.amount_refunded > 0:
            log.counts.updated += 1
        return None
    try:
        result = record_provider_payment(
            ledger_payment(payment.intent, drive, donor=_donor_of(payment)), actor=ACTOR
        )
    except DonationDriveError as exc:
        _uncount_missing(late, log)
        log.flag(
            Kind.CANNOT_RECORD,
            f"Stripe payment {payment.id} could not be recorded: {exc}",
            provider_ref=payment.id,
            details=_payment_details(payment),
        )
        return None
    if not result.counted:
        # A webhook recorded it between our read and our write: nothing was missing.
        _uncount_missing(late, log)
    return result.donation


def _donor_of(payment: StripePayment) -> DonorDetails:
    # Used only when no checkout row exists; a bad address must not block the money.
    try:
        return DonorDetails(email=payment.receipt_email).cleaned()
    except InvalidInput:
        return DonorDetails()


def _is_late(payment: StripePayment) -> bool:
    grace = timedelta(seconds=current_app.config["RECONCILE_WEBHOOK_GRACE_SECONDS"])
    return utcnow() - payment.created >= grace


def _count_missing(payment: StripePayment, log: RunLog) -> bool:
    """Count a payment the ledger lacked; True when it is old enough to blame webhooks."""
    late = _is_late(payment)
    log.counts.created += 1
    log.counts.late += late
    return late


def _uncount_missing(late: bool, log: RunLog) -> None:
    log.counts.created -= 1
    log.counts.late -= late


def _compare_recorded(payment: StripePayment, donation: Donation, log: RunLog) -> None:
    if donation.amount != payment.amount:
        log.flag(
            Kind.AMOUNT_MISMATCH,
            f"Stripe payment {payment.id} is {payment.amount} {payment.currency} (minor units) "
            f"but donation {donation.id} records {donation.amount} {donation.currency}",
            provider_ref=payment.id,
            donation_id=donation.id,
            details={**_payment_details(payment), "ledger_amount": donation.amount},
        )
    if donation.currency != payment.currency:
        log.flag(
            Kind.CURRENCY_MISMATCH,
            f"Stripe payment {payment.id} is in {payment.currency} "
            f"but donation {donation.id} records {donation.currency}",
            provider_ref=payment.id,
            donation_id=donation.id,
            details={**_payment_details(payment), "ledger_currency": donation.currency},
        )


def _sync_refund(payment: StripePayment, donation: Donation, log: RunLog) -> None:
    stripe_total = payment.amount_refunded
    if stripe_total > donation.refunded_amount:
        log.counts.updated += 1
        if not log.dry_run:
            apply_provider_refund(PROVIDER, payment.id, refunded_total=stripe_total, actor=ACTOR)
    elif stripe_total < donation.refunded_amount:
        log.flag(
            Kind.REFUND_MISMATCH,
            f"donation {donation.id} records {donation.refunded_amount} refunded "
            f"but Stripe payment {payment.id} shows {stripe_total}",
            provider_ref=payment.id,
            donation_id=donation.id,
            details={**_payment_details(payment), "ledger_refunded": donation.refunded_amount},
        )


def _sync_cancellation(payment: StripePayment, log: RunLog) -> None:
    donation = find_provider_donation(PROVIDER, payment.id)
    if donation is None or donation.status != Status.PENDING:
        return
    log.counts.updated += 1
    if not log.dry_run:
        mark_payment_unsuccessful(
            PROVIDER,
            payment.id,
            status=Status.CANCELED,
            reason="canceled in Stripe (found by reconcile)",
            actor=ACTOR,
        )


def reconcile_dispute(dispute: DisputeInfo, log: RunLog) -> None:
    """Hold back or restore money for a dispute the ledger has not caught up with."""
    if dispute.payment_intent_id is None:
        return  # a charge made outside PaymentIntents is not a donation of ours
    donation = find_provider_donation(PROVIDER, dispute.payment_intent_id)
    if donation is None:
        return  # the payment pass records or flags the payment itself
    current = donation.dispute_status
    if current in DISPUTE_FINAL and dispute.status not in DISPUTE_FINAL:
        return  # the ledger keeps a final outcome, as it does for webhooks
    held = min(dispute.amount, donation.amount) if dispute.status in DISPUTE_HOLDS_FUNDS else 0
    if current == dispute.status and held == donation.disputed_amount:
        return
    log.counts.updated += 1
    if not log.dry_run:
        apply_provider_dispute(
            PROVIDER,
            dispute.payment_intent_id,
            dispute_status=dispute.status,
            disputed_amount=dispute.amount,
            actor=ACTOR,
        )


def flag_unknown_to_stripe(donation_id: int, provider_ref: str, log: RunLog) -> None:
    log.flag(
        Kind.UNKNOWN_TO_STRIPE,
        f"donation {donation_id} counts Stripe payment {provider_ref}, which Stripe does not know",
        provider_ref=provider_ref,
        donation_id=donation_id,
    )


def _payment_details(payment: StripePayment) -> dict:
    return {
        "amount": payment.amount,
        "currency": payment.currency,
        "status": payment.status,
        "created": payment.created.isoformat(),
        "metadata": payment.intent.metadata.as_stripe(),
    }
