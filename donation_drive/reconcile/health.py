"""What the admin operations page shows: are payments and emails flowing?"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from ..extensions import db
from ..models import JobLease, OutboxEmail, ReconcileFinding, ReconcileRun, WebhookEvent
from .runlog import Kind

FINDINGS_SHOWN = 50
# Webhook rows in these states were not processed and are visible to admins.
WEBHOOK_FAILED_STATES = ("failed", "error")


def operations_health() -> dict[str, Any]:
    """A snapshot for the operations page. Times are aware UTC datetimes or None.

    Keys: ``last_webhook_at``; ``failed_webhooks``; ``last_reconcile`` (the latest
    stored run with up to ``FINDINGS_SHOWN`` findings, or None);
    ``last_successful_reconcile_at``; ``webhooks_missing`` (the latest finished run
    had to record payments webhooks should have delivered); ``emails_pending``;
    ``emails_failed``; ``jobs`` (each job lease: holder, expiry, last start/finish).
    """
    last_run = db.session.scalar(
        select(ReconcileRun).order_by(ReconcileRun.started_at.desc(), ReconcileRun.id.desc())
    )
    last_finished = db.session.scalar(
        select(ReconcileRun)
        .where(ReconcileRun.status.in_(("succeeded", "failed")))
        .order_by(ReconcileRun.started_at.desc(), ReconcileRun.id.desc())
    )
    return {
        "last_webhook_at": db.session.scalar(select(func.max(WebhookEvent.received_at))),
        "failed_webhooks": _count(WebhookEvent, WebhookEvent.status.in_(WEBHOOK_FAILED_STATES)),
        "last_reconcile": _describe_run(last_run) if last_run else None,
        "last_successful_reconcile_at": db.session.scalar(
            select(func.max(ReconcileRun.finished_at)).where(ReconcileRun.status == "succeeded")
        ),
        "webhooks_missing": bool(
            last_finished and _has_finding(last_finished, Kind.WEBHOOKS_MISSING)
        ),
        "emails_pending": _count(OutboxEmail, OutboxEmail.status == "pending"),
        "emails_failed": _count(OutboxEmail, OutboxEmail.status == "failed"),
        "jobs": [_describe_lease(lease) for lease in db.session.scalars(select(JobLease))],
    }


def _count(model, condition) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(condition)) or 0


def _has_finding(run: ReconcileRun, kind: str) -> bool:
    return bool(
        db.session.scalar(
            select(ReconcileFinding.id).where(
                ReconcileFinding.run_id == run.id, ReconcileFinding.kind == kind
            )
        )
    )


def _describe_run(run: ReconcileRun) -> dict[str, Any]:
    findings = db.session.scalars(
        select(ReconcileFinding)
        .where(ReconcileFinding.run_id == run.id)
        .order_by(ReconcileFinding.id)
        .limit(FINDINGS_SHOWN)
    )
    return {
        "id": run.id,
        "provider": run.provider,
        "status": run.status,
        "started_at": run.started_at,
        "finished_at": run.finished_at,
        "since": run.since,
        "dry_run": run.dry_run,
        "checked": run.checked,
        "created": run.created,
        "updated": run.updated,
        "flagged": run.flagged,
        "error": run.error,
        "findings_total": _count(ReconcileFinding, ReconcileFinding.run_id == run.id),
        "findings": [
            {
                "kind": finding.kind,
                "message": finding.message,
                "provider_ref": finding.provider_ref,
                "donation_id": finding.donation_id,
                "created_at": finding.created_at,
            }
            for finding in findings
        ],
    }


def _describe_lease(lease: JobLease) -> dict[str, datetime | str | None]:
    return {
        "name": lease.name,
        "holder": lease.holder,
        "expires_at": lease.expires_at,
        "last_started_at": lease.last_started_at,
        "last_finished_at": lease.last_finished_at,
    }
