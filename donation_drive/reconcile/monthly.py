"""The monthly-gift pass of a reconcile run (before the payment pass, so the
installments it records are found there as the ledger's own):

1. every subscription of ours at Stripe: stored here if no checkout or webhook
   stored it, and its status brought in line (canceled at Stripe is canceled here;
   a past-due or recovered gift follows Stripe; a pause is never undone, since the
   emulator keeps pauses with us alone);
2. every paid invoice of ours created in the window: its installment recorded
   through the same function as the webhook (``monthly.installments``), so a paid
   invoice whose webhook never arrived is counted once, and one that was counted
   is left alone.
"""

from __future__ import annotations

from datetime import datetime

from ..errors import DonationDriveError, UnknownDrive
from ..ledger import find_provider_donation
from ..models import GiftStatus, Status
from ..monthly.installments import NotOurs, adopt_subscription, gift_of_invoice, record_paid_invoice
from ..monthly.records import apply_status, find_gift, status_from_provider
from ..providers.stripe import PROVIDER
from ..providers.stripe.subscriptions import (
    invoice_payment_intent_id,
    iter_invoices,
    iter_subscriptions,
    retrieve_subscription,
)
from .runlog import Kind, RunLog

ACTOR = "reconcile"
# Which of Stripe's word a reconcile run applies, by our current status.
_FOLLOWS = {
    GiftStatus.INCOMPLETE: {GiftStatus.ACTIVE, GiftStatus.PAST_DUE, GiftStatus.CANCELED},
    GiftStatus.ACTIVE: {GiftStatus.PAST_DUE, GiftStatus.CANCELED},
    GiftStatus.PAST_DUE: {GiftStatus.ACTIVE, GiftStatus.CANCELED},
    GiftStatus.PAUSED: {GiftStatus.CANCELED},
}


def reconcile_monthly(window: datetime | None, run_log: RunLog) -> None:
    _sync_subscriptions(run_log)
    _record_paid_invoices(window, run_log)


def _sync_subscriptions(run_log: RunLog) -> None:
    for subscription in iter_subscriptions():
        run_log.tick()
        if not subscription.metadata.is_ours:
            continue
        gift = find_gift(PROVIDER, subscription.id)
        if gift is None:
            if run_log.dry_run:
                run_log.counts.updated += 1
                continue
            try:
                gift = adopt_subscription(subscription, actor=ACTOR)
            except (NotOurs, UnknownDrive, DonationDriveError) as exc:
                run_log.flag(
                    Kind.UNKNOWN_DRIVE,
                    f"Stripe subscription {subscription.id} could not be stored: {exc}",
                    provider_ref=subscription.id,
                )
                continue
        status = status_from_provider(subscription.status, paused=subscription.paused)
        if status is None or status not in _FOLLOWS.get(GiftStatus(gift.status), set()):
            continue
        run_log.counts.updated += 1
        if not run_log.dry_run:
            apply_status(gift.id, status, as_of=0, actor=ACTOR, reason="found by reconcile")


def _record_paid_invoices(window: datetime | None, run_log: RunLog) -> None:
    for invoice in iter_invoices(window):
        run_log.tick()
        if invoice.status != "paid" or not invoice.subscription_id:
            continue
        if run_log.dry_run and find_gift(PROVIDER, invoice.subscription_id) is None:
            # A dry run stores no gift, so it cannot record this; it says it would.
            if retrieve_subscription(invoice.subscription_id).metadata.is_ours:
                run_log.counts.checked += 1
                run_log.counts.created += 1
            continue
        try:
            gift = gift_of_invoice(invoice, actor=ACTOR)
        except NotOurs:
            continue
        except DonationDriveError as exc:
            run_log.flag(
                Kind.CANNOT_RECORD,
                f"Stripe invoice {invoice.id} could not be recorded: {exc}",
                provider_ref=invoice.id,
            )
            continue
        run_log.counts.checked += 1
        payment_intent_id = invoice_payment_intent_id(invoice)
        donation = (
            find_provider_donation(PROVIDER, payment_intent_id) if payment_intent_id else None
        )
        if donation is not None and donation.status in (Status.SUCCEEDED, Status.VOIDED):
            continue
        run_log.counts.created += 1
        if run_log.dry_run:
            continue
        try:
            result = record_paid_invoice(invoice, gift, actor=ACTOR)
        except DonationDriveError as exc:
            run_log.counts.created -= 1
            run_log.flag(
                Kind.CANNOT_RECORD,
                f"Stripe invoice {invoice.id} could not be recorded: {exc}",
                provider_ref=invoice.id,
            )
            continue
        if not result.counted:
            run_log.counts.created -= 1
