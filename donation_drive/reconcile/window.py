"""Which stretch of Stripe's history a run looks at.

Every successful run covers everything from its window start up to the moment it
started. The next run starts where the last successful one started, less an overlap
(``RECONCILE_OVERLAP_SECONDS``) for payments whose records settle late; the first run
goes back to the start of the earliest drive. A ``since`` given by hand can only
widen the window, never narrow it, so the runs' coverage has no gaps.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from ..extensions import db
from ..models import Drive, ReconcileRun


def default_since(provider: str = "stripe") -> datetime | None:
    """Window start for a run with no ``since``; None means all of the provider's
    history. Each provider's runs follow on from that provider's last success."""
    overlap = timedelta(seconds=current_app.config["RECONCILE_OVERLAP_SECONDS"])
    last_success = db.session.scalar(
        select(func.max(ReconcileRun.started_at)).where(
            ReconcileRun.status == "succeeded",
            ReconcileRun.dry_run.is_(False),
            ReconcileRun.provider == provider,
        )
    )
    if last_success is not None:
        return _aware(last_success) - overlap
    earliest_drive = db.session.scalar(select(func.min(Drive.starts_at)))
    if earliest_drive is not None:
        return _aware(earliest_drive) - overlap
    return None


def effective_since(requested: datetime | None, provider: str = "stripe") -> datetime | None:
    """The window start for a run asked to look back to ``requested`` (None: default)."""
    default = default_since(provider)
    if requested is None or default is None:
        return default
    return min(requested, default)


def _aware(value: datetime) -> datetime:
    # Aggregates may come back without the column type's processing; give the zone back.
    return value if value.tzinfo else value.replace(tzinfo=UTC)
