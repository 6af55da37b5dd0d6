"""The record of one reconcile run: its counts and its findings.

A real run is a ``ReconcileRun`` row, written when it starts, updated every
``CHECKPOINT_EVERY`` payments and when it ends; each finding is committed as soon as
it is found, so a crash still leaves what was learnt. A dry run writes nothing: the
same ``ReconcileRun`` object is kept in memory, with its findings attached (at most
``DRY_RUN_FINDINGS_KEPT`` of them, so memory stays bounded).

The session never holds uncommitted work of ours while the ledger runs, because the
ledger commits (or rolls back) the shared session itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..extensions import db
from ..models import ReconcileFinding, ReconcileRun, utcnow
from ..observability import count_reconcile_finding

CHECKPOINT_EVERY = 100
DRY_RUN_FINDINGS_KEPT = 1000


class Kind:
    """What a finding is about. Payment-level kinds count as ``flagged``: reconcile
    could not fix them and an admin should look. Run-level notices do not."""

    AMOUNT_MISMATCH = "amount_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    DRIVE_MISMATCH = "drive_mismatch"
    UNKNOWN_DRIVE = "unknown_drive"
    UNKNOWN_TO_STRIPE = "unknown_to_stripe"
    REFUND_MISMATCH = "refund_mismatch"
    CANNOT_RECORD = "cannot_record"
    # Run-level notices.
    MISSING_METADATA = "missing_metadata"  # payments not started by our checkout
    WEBHOOKS_MISSING = "webhooks_missing"
    DISPUTES_UNAVAILABLE = "disputes_unavailable"
    FINDINGS_TRUNCATED = "findings_truncated"


NOTICES = frozenset(
    {
        Kind.MISSING_METADATA,
        Kind.WEBHOOKS_MISSING,
        Kind.DISPUTES_UNAVAILABLE,
        Kind.FINDINGS_TRUNCATED,
    }
)
FOREIGN_IDS_KEPT = 20


@dataclass
class Counts:
    checked: int = 0
    created: int = 0
    updated: int = 0
    flagged: int = 0
    late: int = 0  # created payments older than the webhook grace period
    foreign: int = 0  # succeeded payments without our metadata, left alone


class RunLog:
    def __init__(self, run: ReconcileRun, *, heartbeat: Callable[[], None] | None = None) -> None:
        self.run = run
        self.dry_run = run.dry_run
        self.counts = Counts()
        self._heartbeat = heartbeat
        self._since_checkpoint = 0
        self._dropped_findings = 0
        self.foreign_ids: list[str] = []  # the first FOREIGN_IDS_KEPT, as examples

    @classmethod
    def start(cls, *, since, dry_run: bool, heartbeat=None, provider: str = "stripe") -> RunLog:
        run = ReconcileRun(
            started_at=utcnow(),
            provider=provider,
            since=since,
            dry_run=dry_run,
            status="running",
            checked=0,
            created=0,
            updated=0,
            flagged=0,
        )
        if not dry_run:
            db.session.add(run)
            db.session.commit()
        return cls(run, heartbeat=heartbeat)

    def tick(self) -> None:
        """Between two items: keep the lease alive, and now and then save the counts."""
        if self._heartbeat is not None:
            self._heartbeat()
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY:
            self.checkpoint()

    def checkpoint(self) -> None:
        self._since_checkpoint = 0
        self._copy_counts()
        if not self.dry_run:
            db.session.commit()

    def _copy_counts(self) -> None:
        run, counts = self.run, self.counts
        run.checked, run.created = counts.checked, counts.created
        run.updated, run.flagged = counts.updated, counts.flagged

    def flag(
        self,
        kind: str,
        message: str,
        *,
        provider_ref: str | None = None,
        donation_id: int | None = None,
        details: dict | None = None,
    ) -> None:
        """Record something reconcile could not (or must not) fix by itself."""
        if kind not in NOTICES:
            self.counts.flagged += 1
        finding = ReconcileFinding(
            kind=kind,
            provider_ref=provider_ref,
            donation_id=donation_id,
            message=message,
            details=details or {},
            created_at=utcnow(),
        )
        if self.dry_run:
            if len(self.run.findings) < DRY_RUN_FINDINGS_KEPT:
                self.run.findings.append(finding)
            else:
                self._dropped_findings += 1
            return
        finding.run_id = self.run.id
        db.session.add(finding)
        db.session.commit()
        count_reconcile_finding(kind)

    def note_foreign(self, payment_id: str) -> None:
        """A succeeded payment no Donation Drive checkout started (no ``drive_slug``)."""
        self.counts.foreign += 1
        if len(self.foreign_ids) < FOREIGN_IDS_KEPT:
            self.foreign_ids.append(payment_id)

    def finish(self, status: str, error: str | None = None) -> ReconcileRun:
        if self._dropped_findings:
            self.run.findings.append(
                ReconcileFinding(
                    kind=Kind.FINDINGS_TRUNCATED,
                    message=f"{self._dropped_findings} more findings were not kept (dry run)",
                    details={"dropped": self._dropped_findings},
                    created_at=utcnow(),
                )
            )
        self._copy_counts()
        self.run.status = status
        self.run.error = error
        self.run.finished_at = utcnow()
        if not self.dry_run:
            db.session.commit()
        return self.run
