"""One reconcile run over PayPal's Transaction Search, beside Stripe's (``runs``).

The window runs from the last successful PayPal run's start, less
``RECONCILE_OVERLAP_SECONDS`` and less PayPal's search lag (``SEARCH_LAG``, 3 hours:
what was not yet searchable last time is searched again), up to now, cut into windows
of at most 31 days and read page by page (``providers.paypal.listing``). For each row:

- a completed payment received (event codes T00xx, success or since refunded) that
  the ledger lacks is recorded once, through the same path as the webhook and the IPN
  (``providers.paypal.record_payment``, by the drive rule); one the ledger has is
  compared (amount, currency) and flagged when it differs; one no drive can be told
  for, or in another currency than its drive, is flagged;
- a refund (T1107), reversal (T1106) or cancelled reversal (T1111) is kept once by its
  id and applied to its payment (``sync_adjustments``);
- pending and denied payments have moved no money and are left alone.

Then every PayPal donation the ledger has in the window, old enough for the search to
show it, that the search did not list is flagged. A dry run takes the same decisions,
counts and flags them, and writes nothing. The run log, leases and health are
Stripe's: a ``ReconcileRun`` with ``provider="paypal"``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from ..errors import DonationDriveError
from ..extensions import db
from ..models import Donation, PayPalAdjustment, ReconcileRun, Status, WebhookEvent, utcnow
from ..providers import paypal
from ..providers.paypal.listing import SEARCH_LAG, SearchedTransaction, iter_transactions
from ..webhooks.handlers import PROCESSED, Handled, MarkProcessed, UnprocessableEvent
from ..webhooks.intake import receive_event
from .runlog import Kind, RunLog
from .seen import SeenIds
from .window import effective_since

log = logging.getLogger(__name__)
PROVIDER = "paypal"
ACTOR = "reconcile:paypal"
SEARCH_PROVIDER = "paypal-search"  # payments only the search showed, needing a drive
FIRST_RUN_LOOKBACK = timedelta(days=31)
PAID_STATES = ("S", "V")  # success; reversed or refunded since (still money received)


def reconcile_paypal(
    since: datetime | None = None,
    dry_run: bool = False,
    *,
    heartbeat: Callable[[], None] | None = None,
) -> ReconcileRun:
    """Compare PayPal's Transaction Search with the ledger and repair the gaps.
    Like ``reconcile_payments``: an error ends the run ``failed`` (the next one covers
    the same window again) instead of raising."""
    window = effective_since(since, PROVIDER)
    run_log = RunLog.start(since=window, dry_run=dry_run, heartbeat=heartbeat, provider=PROVIDER)
    end = utcnow()
    start = (window or end - FIRST_RUN_LOOKBACK) - SEARCH_LAG
    try:
        seen = SeenIds()
        for row in iter_transactions(start, end):
            run_log.tick()
            _reconcile_row(row, run_log, seen)
        _flag_unlisted(start, end - SEARCH_LAG, seen, run_log)
        _summarize_missing(run_log)
    except Exception as exc:
        db.session.rollback()
        log.exception("PayPal reconcile run failed")
        text = (
            exc.message if isinstance(exc, DonationDriveError) else f"{type(exc).__name__}: {exc}"
        )
        return run_log.finish("failed", error=f"PayPal: {text}"[:2000])
    return run_log.finish("succeeded")


def _reconcile_row(row: SearchedTransaction, run_log: RunLog, seen: SeenIds) -> None:
    if row.is_payment:
        if row.status not in PAID_STATES:
            return
        run_log.counts.checked += 1
        seen.add(row.id)
        _reconcile_payment(row, run_log)
    elif row.adjustment_kind and row.reference_id:
        run_log.counts.checked += 1
        _reconcile_adjustment(row, run_log)


def _reconcile_payment(row: SearchedTransaction, run_log: RunLog) -> None:
    donation = db.session.scalar(
        select(Donation).where(Donation.provider == PROVIDER, Donation.provider_ref == row.id)
    )
    if donation is not None and donation.status in (Status.SUCCEEDED, Status.VOIDED):
        if donation.status == Status.SUCCEEDED and (donation.amount, donation.currency) != (
            row.amount,
            row.currency,
        ):
            kind = (
                Kind.CURRENCY_MISMATCH
                if donation.currency != row.currency
                else Kind.AMOUNT_MISMATCH
            )
            run_log.flag(
                kind,
                f"PayPal payment {row.id} is {row.amount} {row.currency} (minor units) but "
                f"donation {donation.id} records {donation.amount} {donation.currency}",
                provider_ref=row.id,
                donation_id=donation.id,
                details={"paypal": [row.amount, row.currency]},
            )
        db.session.rollback()
        return
    payment = paypal.PayPalPayment(
        capture_id=row.id,
        amount=row.amount,
        currency=row.currency,
        paid_at=row.at,
        named=paypal.read_custom(row.custom),
        donor=paypal.donor_of(row.payer_email, row.payer_name),
    )
    try:
        drive = paypal.choose_drive(payment)
        if drive.currency != payment.currency:
            raise paypal.Refused(f"payment {row.id} is not in drive {drive.slug!r}'s currency")
    except paypal.NeedsDrive as exc:
        run_log.flag(Kind.UNKNOWN_DRIVE, str(exc), provider_ref=row.id)
        if not run_log.dry_run:
            keep_for_an_admin(row)
        return
    except paypal.Refused as exc:
        run_log.flag(Kind.CURRENCY_MISMATCH, str(exc), provider_ref=row.id)
        return
    if not run_log.dry_run:
        try:
            result = paypal.record_payment(payment, actor=ACTOR, drive=drive)
        except (DonationDriveError, paypal.Refused) as exc:
            run_log.flag(Kind.CANNOT_RECORD, f"PayPal payment {row.id}: {exc}", provider_ref=row.id)
            return
        if result is None or not result.counted:
            return
    db.session.rollback()
    run_log.counts.created += 1
    grace = timedelta(seconds=current_app.config["RECONCILE_WEBHOOK_GRACE_SECONDS"])
    if utcnow() - row.at >= grace:
        run_log.counts.late += 1


@dataclass(frozen=True, slots=True)
class SearchEvent:
    """A payment only Transaction Search showed, kept like a webhook event (provider
    ``paypal-search``) while it needs a drive, so an admin can assign one from the
    PayPal page as for a webhook or an IPN."""

    id: str
    type: str
    created: int
    payload: dict[str, Any]


def _search_event(row: SearchedTransaction) -> SearchEvent:
    return SearchEvent(
        id=row.id,
        type="search:payment",
        created=int(row.at.timestamp()),
        payload={
            "transaction_id": row.id,
            "amount": row.amount,
            "currency": row.currency,
            "at": row.at.isoformat(),
            "custom": row.custom,
            "payer_email": row.payer_email,
            "payer_name": row.payer_name,
        },
    )


def search_event_from(payload: dict[str, Any]) -> SearchEvent:
    return SearchEvent(
        id=str(payload["transaction_id"]),
        type="search:payment",
        created=0,
        payload=payload,
    )


def handle_search_event(event: SearchEvent, mark_processed: MarkProcessed, drive=None) -> Handled:
    """Count a kept Transaction Search payment (toward ``drive`` when an admin chose)."""
    data = event.payload
    payment = paypal.PayPalPayment(
        capture_id=event.id,
        amount=int(data["amount"]),
        currency=str(data["currency"]),
        paid_at=datetime.fromisoformat(str(data["at"])),
        named=paypal.read_custom(data.get("custom")),
        donor=paypal.donor_of(data.get("payer_email"), data.get("payer_name")),
    )
    try:
        result = paypal.record_payment(payment, actor=ACTOR, also_write=mark_processed, drive=drive)
    except (paypal.NeedsDrive, paypal.Refused, DonationDriveError) as exc:
        raise UnprocessableEvent(str(exc)) from None
    if result is None:
        return Handled(PROCESSED, f"payment {event.id} already counted")
    return Handled(PROCESSED, f"payment {event.id} counted", settled=True)


def keep_for_an_admin(row: SearchedTransaction) -> None:
    receive_event(_search_event(row), provider=SEARCH_PROVIDER, handle=handle_search_event)


def _reconcile_adjustment(row: SearchedTransaction, run_log: RunLog) -> None:
    assert row.adjustment_kind and row.reference_id
    known = db.session.scalar(
        select(PayPalAdjustment.id).where(PayPalAdjustment.adjustment_id == row.id)
    )
    db.session.rollback()
    if run_log.dry_run:
        if known is None:
            run_log.counts.updated += 1
        return
    adjustment = paypal.Adjustment(
        id=row.id,
        capture_id=row.reference_id,
        kind=row.adjustment_kind,
        amount=abs(row.amount),
        currency=row.currency,
        at=row.at,
    )
    created = paypal.record_adjustment(adjustment, source="reconcile")
    donation = paypal.sync_adjustments(row.reference_id, actor=ACTOR)
    if created and donation is not None:
        run_log.counts.updated += 1


def _flag_unlisted(start: datetime, searchable_until: datetime, seen: SeenIds, run_log: RunLog):
    """PayPal donations the ledger has in the window that the search did not list."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Donation.id, Donation.provider_ref)
            .where(
                Donation.provider == PROVIDER,
                Donation.status == Status.SUCCEEDED,
                Donation.provider_ref.is_not(None),
                Donation.received_at >= start,
                Donation.received_at <= searchable_until,
                Donation.id > last_id,
            )
            .order_by(Donation.id)
            .limit(500)
        ).all()
        db.session.rollback()
        if not rows:
            return
        for donation_id, provider_ref in rows:
            if provider_ref not in seen:
                run_log.flag(
                    "unknown_to_paypal",
                    f"donation {donation_id} names PayPal transaction {provider_ref}, which "
                    "PayPal's Transaction Search does not list",
                    provider_ref=provider_ref,
                    donation_id=donation_id,
                )
        last_id = rows[-1][0]


def _summarize_missing(run_log: RunLog) -> None:
    late = run_log.counts.late
    if not late:
        return
    last = db.session.scalar(
        select(func.max(WebhookEvent.received_at)).where(
            WebhookEvent.provider.in_((paypal.PROVIDER, paypal.IPN_PROVIDER))
        )
    )
    heard = (
        f"the last PayPal webhook or IPN arrived {last.isoformat(timespec='seconds')}"
        if last
        else "no PayPal webhook or IPN has ever arrived"
    )
    verb = "are missing (dry run: nothing was recorded)" if run_log.dry_run else "were missing"
    run_log.flag(
        Kind.WEBHOOKS_MISSING,
        f"{late} PayPal payment(s) {verb}: webhooks and IPN may not be arriving; {heard}. "
        "Check the webhook in the PayPal app and the Donate button's notify URL (docs/paypal.md).",
        details={"missing": late, "provider": PROVIDER},
    )
