"""The lists on the operations page, read from the tables of the moving parts: the
email outbox, webhook intake and reconciliation runs (the headline figures come from
``reconcile.health.operations_health``). Read only; every list is bounded and ordered
by an indexed column."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from ...extensions import db
from ...models import OutboxEmail, ReconcileRun, WebhookEvent
from ...reconcile.health import WEBHOOK_FAILED_STATES

LIST_LIMIT = 25


@dataclass(frozen=True, slots=True)
class EmailStatus:
    counts: dict[str, int]
    last_queued_at: datetime | None
    last_sent_at: datetime | None
    failed: list[OutboxEmail]
    pending: list[OutboxEmail]


@dataclass(frozen=True, slots=True)
class WebhookStatus:
    counts: dict[str, int]
    last_received_at: datetime | None
    last_processed_at: datetime | None
    failed: list[WebhookEvent]
    recent: list[WebhookEvent]


def _counts(column) -> dict[str, int]:
    rows = db.session.execute(select(column, func.count()).group_by(column))
    return {str(status): int(count) for status, count in rows}


def email_status(limit: int = LIST_LIMIT) -> EmailStatus:
    """Outbox counts by status, when mail last went out, the failed emails (newest
    first) and the pending ones (due first, with the error of the last try if any)."""
    last_queued, last_sent = db.session.execute(
        select(func.max(OutboxEmail.created_at), func.max(OutboxEmail.sent_at))
    ).one()
    failed = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == "failed")
        .order_by(OutboxEmail.next_attempt_at.desc())
        .limit(limit)
    )
    pending = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.status == "pending")
        .order_by(OutboxEmail.next_attempt_at)
        .limit(limit)
    )
    return EmailStatus(
        counts=_counts(OutboxEmail.status),
        last_queued_at=last_queued,
        last_sent_at=last_sent,
        failed=list(failed),
        pending=list(pending),
    )


def webhook_status(limit: int = LIST_LIMIT) -> WebhookStatus:
    """Webhook events by status, when one last arrived and was processed, the events
    that failed or are still being retried after an error, and the latest ones."""
    last_received, last_processed = db.session.execute(
        select(func.max(WebhookEvent.received_at), func.max(WebhookEvent.processed_at))
    ).one()
    failed = db.session.scalars(
        select(WebhookEvent)
        .where(
            or_(
                WebhookEvent.status.in_(WEBHOOK_FAILED_STATES),
                (WebhookEvent.status == "received") & WebhookEvent.last_error.is_not(None),
            )
        )
        .order_by(WebhookEvent.received_at.desc())
        .limit(limit)
    )
    recent = db.session.scalars(
        select(WebhookEvent).order_by(WebhookEvent.received_at.desc()).limit(limit)
    )
    return WebhookStatus(
        counts=_counts(WebhookEvent.status),
        last_received_at=last_received,
        last_processed_at=last_processed,
        failed=list(failed),
        recent=list(recent),
    )


def recent_runs(limit: int = 10) -> list[ReconcileRun]:
    """The latest reconciliation runs, newest first."""
    return list(
        db.session.scalars(
            select(ReconcileRun)
            .order_by(ReconcileRun.started_at.desc(), ReconcileRun.id.desc())
            .limit(limit)
        )
    )
