"""One reconcile run: walk Stripe's records for a window, repair the ledger, flag the rest.

A run makes four passes, each reading one item at a time (after the monthly-gift
pass, ``monthly``: subscriptions and their paid invoices):

1. PaymentIntents created in the window (record succeeded payments the ledger lacks,
   apply refunds, mark canceled ones, flag mismatches);
2. refunds created in the window whose payment is older than the window;
3. disputes, where the API has them (the local emulator does not: noted, not fatal);
4. the ledger's succeeded Stripe donations received in the window that pass 1 did not
   see, each looked up in Stripe (flagged when Stripe does not know it).

Memory stays constant: nothing is collected, the "seen" set is a fixed-size filter,
and every repair is its own committed ledger transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import select, update

from ..extensions import db
from ..models import Donation, ReconcileRun, Status, WebhookEvent, utcnow
from ..providers.stripe.listing import (
    ListingError,
    ListingUnavailable,
    find_payment,
    iter_disputes,
    iter_payments,
    iter_refunds,
)
from .compare import (
    PROVIDER,
    DriveLookup,
    flag_unknown_to_stripe,
    reconcile_dispute,
    reconcile_payment,
)
from .monthly import reconcile_monthly
from .runlog import Kind, RunLog
from .seen import SeenIds
from .window import effective_since

log = logging.getLogger(__name__)
LEDGER_BATCH = 500


def reconcile_payments(
    since: datetime | None = None,
    dry_run: bool = False,
    *,
    heartbeat: Callable[[], None] | None = None,
) -> ReconcileRun:
    """Compare Stripe with the ledger from ``since`` (widened to the default window,
    see ``window``) and repair what can be repaired.

    Returns the run with its counts and findings. A real run is stored as it goes; a
    dry run changes nothing in the database and keeps its findings in memory. An
    error along the way (Stripe down, a ledger write refused) ends the run ``failed``
    with the error instead of raising, and the next run covers the same window again;
    only a database that cannot even store that outcome raises. ``heartbeat`` is
    called between items (the worker renews its lease there, and may raise to stop
    the run).
    """
    window = effective_since(since)
    run_log = RunLog.start(since=window, dry_run=dry_run, heartbeat=heartbeat)
    try:
        _walk(window, run_log)
        _summarize(run_log)
    except Exception as exc:
        db.session.rollback()
        log.exception("reconcile run failed")
        return run_log.finish("failed", error=_describe(exc))
    run = run_log.finish("succeeded")
    log.info(
        "reconcile %s: checked %d, created %d, updated %d, flagged %d",
        "dry run" if dry_run else "run",
        run_log.counts.checked,
        run_log.counts.created,
        run_log.counts.updated,
        run_log.counts.flagged,
    )
    return run


def _walk(window: datetime | None, run_log: RunLog) -> None:
    drives = DriveLookup()
    seen = SeenIds()
    reconcile_monthly(window, run_log)  # first: its installments are then the ledger's
    for payment in iter_payments(window):
        run_log.tick()
        seen.add(payment.id)
        reconcile_payment(payment, run_log, drives)
    for listed in iter_refunds(window):
        payment_id = listed.refund.payment_intent_id
        if payment_id is None or payment_id in seen:
            continue
        run_log.tick()
        seen.add(payment_id)
        payment = find_payment(payment_id)
        if payment is not None:
            reconcile_payment(payment, run_log, drives)
    _walk_disputes(run_log)
    for donation_id, provider_ref in _ledger_stripe_payments(window):
        if provider_ref in seen:
            continue
        run_log.tick()
        seen.add(provider_ref)
        payment = find_payment(provider_ref)
        if payment is None:
            flag_unknown_to_stripe(donation_id, provider_ref, run_log)
        else:
            reconcile_payment(payment, run_log, drives)


def _walk_disputes(run_log: RunLog) -> None:
    try:
        for dispute in iter_disputes():
            run_log.tick()
            reconcile_dispute(dispute, run_log)
    except ListingUnavailable as exc:
        run_log.flag(
            Kind.DISPUTES_UNAVAILABLE,
            "Disputes were not checked: this Stripe API has no dispute list "
            "(expected with the local emulator)",
            details={"error": str(exc)},
        )


def _ledger_stripe_payments(since: datetime | None) -> Iterator[tuple[int, str]]:
    """(donation id, PaymentIntent id) of succeeded Stripe donations, in id order,
    fetched in batches so the run never holds them all."""
    last_id = 0
    while True:
        query = (
            select(Donation.id, Donation.provider_ref)
            .where(
                Donation.provider == PROVIDER,
                Donation.status == Status.SUCCEEDED,
                Donation.provider_ref.is_not(None),
                Donation.id > last_id,
            )
            .order_by(Donation.id)
            .limit(LEDGER_BATCH)
        )
        if since is not None:
            query = query.where(Donation.received_at >= since)
        rows = db.session.execute(query).all()
        if not rows:
            return
        yield from ((donation_id, provider_ref) for donation_id, provider_ref in rows)
        last_id = rows[-1][0]


def _summarize(run_log: RunLog) -> None:
    _summarize_foreign(run_log)
    _summarize_missing(run_log)


def _summarize_foreign(run_log: RunLog) -> None:
    foreign = run_log.counts.foreign
    if not foreign:
        return
    examples = ", ".join(run_log.foreign_ids)
    unlisted = foreign - len(run_log.foreign_ids)
    more = f" and {unlisted} more" if unlisted else ""
    run_log.flag(
        Kind.MISSING_METADATA,
        f"{foreign} succeeded {'payment names' if foreign == 1 else 'payments name'} no drive "
        f"in {'its' if foreign == 1 else 'their'} metadata, so no Donation Drive checkout "
        f"started {'it' if foreign == 1 else 'them'}; left alone: {examples}{more}",
        details={"count": foreign, "examples": list(run_log.foreign_ids)},
    )


def _summarize_missing(run_log: RunLog) -> None:
    late = run_log.counts.late
    if not late:
        return
    last_webhook = db.session.scalar(
        select(WebhookEvent.received_at)
        .where(WebhookEvent.provider == PROVIDER)
        .order_by(WebhookEvent.received_at.desc())
        .limit(1)
    )
    heard = (
        f"the last Stripe webhook arrived {last_webhook.isoformat(timespec='seconds')}"
        if last_webhook
        else "no Stripe webhook has ever arrived"
    )
    one = late == 1
    if run_log.dry_run:
        verb = ("is" if one else "are") + " missing (dry run: nothing was recorded)"
    else:
        verb = "was missing" if one else "were missing"
    run_log.flag(
        Kind.WEBHOOKS_MISSING,
        f"{late} {'payment' if one else 'payments'} {verb}: webhooks may not be arriving; "
        f"{heard}. "
        "Check the webhook endpoint and its signing secret in Stripe.",
        details={
            "missing": late,
            "last_webhook_at": last_webhook.isoformat() if last_webhook else None,
        },
    )


def abandon_interrupted_runs() -> int:
    """Close runs left 'running' by a worker that died. Call only while holding the
    reconcile lease, when no other run can be in progress."""
    result = db.session.execute(
        update(ReconcileRun)
        .where(ReconcileRun.status == "running")
        .values(
            status="abandoned",
            finished_at=utcnow(),
            error="the worker stopped before the run finished",
        )
    )
    db.session.commit()
    return result.rowcount or 0


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    if not isinstance(exc, ListingError):  # those already say "Stripe ...: ..."
        text = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return text[:2000]
