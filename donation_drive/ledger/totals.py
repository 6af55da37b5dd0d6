"""Drive totals: the one source the widget, the dashboard and exports read.

``drive_progress`` reads the running aggregate on the drive row, which the ledger
updates in the same transaction as each donation change. A small per-process cache
keeps the widget off the database: ledger writes in this process invalidate it at
once, and entries expire after ``WIDGET_CACHE_SECONDS`` so other processes' writes
show up within that bound.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import asdict, dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from ..errors import UnknownDrive
from ..extensions import db
from ..models import Donation, Drive, Status


@dataclass(frozen=True, slots=True)
class Progress:
    slug: str
    title: str
    currency: str
    locale: str
    goal_amount: int
    raised_amount: int
    donor_count: int
    ends_at: datetime

    @property
    def percent(self) -> float:
        """The true percentage, above 100 when the goal is passed; one decimal."""
        return round(self.raised_amount * 100 / self.goal_amount, 1)

    @property
    def bar_percent(self) -> float:
        return min(self.percent, 100.0)

    @property
    def etag(self) -> str:
        digest = hashlib.sha256(repr(asdict(self)).encode()).hexdigest()[:20]
        return digest

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "title": self.title,
            "currency": self.currency,
            "goal_amount": self.goal_amount,
            "raised_amount": self.raised_amount,
            "donor_count": self.donor_count,
            "percent": self.percent,
            "ends_at": self.ends_at.isoformat(),
        }


class ProgressCache:
    """Per-process cache of Progress by drive slug, with a time bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_slug: dict[str, tuple[float, int, Progress]] = {}

    def get(self, slug: str, ttl: float) -> Progress | None:
        entry = self._by_slug.get(slug)
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[2]

    def put(self, drive_id: int, progress: Progress) -> None:
        with self._lock:
            self._by_slug[progress.slug] = (time.monotonic(), drive_id, progress)

    def invalidate(self, drive_id: int | None = None) -> None:
        with self._lock:
            if drive_id is None:
                self._by_slug.clear()
                return
            for slug, entry in list(self._by_slug.items()):
                if entry[1] == drive_id:
                    del self._by_slug[slug]


def _cache() -> ProgressCache:
    return current_app.extensions.setdefault("donation_drive.progress", ProgressCache())


def invalidate_progress(drive_id: int | None = None) -> None:
    _cache().invalidate(drive_id)


def _progress_of(drive: Drive) -> Progress:
    return Progress(
        slug=drive.slug,
        title=drive.title,
        currency=drive.currency,
        locale=drive.locale,
        goal_amount=drive.goal_amount,
        raised_amount=drive.raised_amount,
        donor_count=drive.donor_count,
        ends_at=drive.ends_at,
    )


def drive_progress(slug: str, *, fresh: bool = False) -> Progress:
    """Goal, raised amount (minor units, net of refunds, disputes and voids), donor
    count and percent for a drive. Raises ``UnknownDrive``."""
    cache = _cache()
    ttl = current_app.config["WIDGET_CACHE_SECONDS"]
    if not fresh:
        cached = cache.get(slug, ttl)
        if cached is not None:
            return cached
    drive = db.session.scalar(select(Drive).where(Drive.slug == slug))
    if drive is None:
        raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")
    if fresh:
        db.session.refresh(drive)
    progress = _progress_of(drive)
    cache.put(drive.id, progress)
    return progress


def recount_drive(drive_id: int) -> tuple[int, int]:
    """Recompute (raised_amount, donor_count) from the donation rows themselves.

    Used to check the running aggregate (tests, reconciliation), never to serve it.
    """
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    row = db.session.execute(
        select(func.coalesce(func.sum(net), 0), func.count(Donation.id)).where(
            Donation.drive_id == drive_id,
            Donation.status == Status.SUCCEEDED,
            net > 0,
        )
    ).one()
    return int(row[0]), int(row[1])
