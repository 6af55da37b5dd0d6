"""Drive totals: the one source the widget, the dashboard and exports read.

``drive_progress`` reads the running aggregate on the drive row, which the ledger
updates in the same transaction as each donation change. A small per-process cache
keeps the widget off the database: it listens to ``totals_changed``, so ledger
writes in this process invalidate it at once, and entries expire after
``WIDGET_CACHE_SECONDS`` so other processes' writes show up within that bound.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask import Flask, current_app
from sqlalchemy import and_, case, distinct, func, literal, select

from ..errors import UnknownDrive
from ..extensions import db
from ..models import Donation, Drive, DriveDonor, Status, utcnow
from .schedule import Schedule, drive_schedule


@dataclass(frozen=True, slots=True)
class Progress:
    slug: str
    title: str
    currency: str
    locale: str
    goal_amount: int
    raised_amount: int
    donor_count: int  # distinct donors whose gifts to the drive count
    gift_count: int  # gifts that count (succeeded, not wholly refunded or disputed)
    starts_at: datetime
    ends_at: datetime
    # Where the drive stood when the figures were read: cached with them, so the
    # widget's "N days left" is at most WIDGET_CACHE_SECONDS late.
    schedule: Schedule

    @property
    def percent(self) -> float:
        """The true percentage to one decimal, above 100 when the goal is passed.

        Rounded down, so the widget never claims the goal is met before it is.
        """
        return (self.raised_amount * 1000 // self.goal_amount) / 10

    @property
    def bar_percent(self) -> float:
        """How full the bar is drawn: the percentage capped at 100."""
        return min(self.percent, 100.0)

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "title": self.title,
            "currency": self.currency,
            "goal_amount": self.goal_amount,
            "raised_amount": self.raised_amount,
            "donor_count": self.donor_count,
            "gift_count": self.gift_count,
            "percent": self.percent,
            "ends_at": self.ends_at.isoformat(),
            "starts_at": self.starts_at.isoformat(),
            "state": str(self.schedule.state),
            "days_left": self.schedule.days_left,
            "starts_in_days": self.schedule.starts_in_days,
            "accepting_gifts": self.schedule.accepting_gifts,
        }


class ProgressCache:
    """Per-process cache of Progress by drive slug, with a time bound.

    Every invalidation bumps a generation number, and a reader only stores what it
    read if no invalidation happened since it started reading: a read that raced a
    ledger write can never park the old figures in the cache after the write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_slug: dict[str, tuple[float, int, Progress]] = {}
        self._generation = 0

    @property
    def generation(self) -> int:
        return self._generation

    def get(self, slug: str, ttl: float) -> Progress | None:
        entry = self._by_slug.get(slug)
        if entry is None or time.monotonic() - entry[0] > ttl:
            return None
        return entry[2]

    def put(self, drive_id: int, progress: Progress, generation: int) -> None:
        with self._lock:
            if generation == self._generation:
                self._by_slug[progress.slug] = (time.monotonic(), drive_id, progress)

    def invalidate(self, drive_id: int | None = None) -> None:
        with self._lock:
            self._generation += 1
            if drive_id is None:
                self._by_slug.clear()
                return
            for slug, entry in list(self._by_slug.items()):
                if entry[1] == drive_id:
                    del self._by_slug[slug]


_CACHE_KEY = "donation_drive.progress"


def _cache(app: Flask | None = None) -> ProgressCache:
    extensions = (app or current_app).extensions
    cache = extensions.get(_CACHE_KEY)
    if cache is None:
        cache = extensions.setdefault(_CACHE_KEY, ProgressCache())
    return cache


def cached_progress(app: Flask, slug: str) -> Progress | None:
    """What ``drive_progress`` would return from this process's cache right now, or
    None when it would have to read the database. Needs no app context."""
    cache = app.extensions.get(_CACHE_KEY)
    if cache is None:
        return None
    return cache.get(slug, app.config["WIDGET_CACHE_SECONDS"])


def invalidate_progress(drive_id: int | None = None) -> None:
    """Forget cached totals (of one drive, or all); the next read goes to the database."""
    _cache().invalidate(drive_id)


def forget_changed_progress(app: Flask, *, drive_id: int, **_: object) -> None:
    """``totals_changed`` receiver: this process's cached figures of the drive go."""
    _cache(app).invalidate(drive_id)


# Plain columns, not the entity: a Drive already in the session's identity map would
# otherwise be handed back with the figures it had when it was first loaded.
_PROGRESS_COLUMNS = (
    Drive.id,
    Drive.slug,
    Drive.title,
    Drive.currency,
    Drive.locale,
    Drive.goal_amount,
    Drive.raised_amount,
    Drive.donor_count,
    Drive.gift_count,
    Drive.starts_at,
    Drive.ends_at,
    Drive.accept_gifts_after_end,
)


def drive_progress(slug: str, *, fresh: bool = False) -> Progress:
    """Goal, raised amount (minor units, net of refunds, disputes and voids), donor
    count and percent for a drive, and where it stands in its calendar. Raises
    ``UnknownDrive``.

    Served from the per-process cache unless ``fresh``: at most one indexed read
    per drive per ``WIDGET_CACHE_SECONDS``, and none after that while cached.
    """
    cache = _cache()
    if not fresh:
        cached = cache.get(slug, current_app.config["WIDGET_CACHE_SECONDS"])
        if cached is not None:
            return cached
    generation = cache.generation
    row = db.session.execute(select(*_PROGRESS_COLUMNS).where(Drive.slug == slug)).first()
    if row is None:
        raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")
    progress = Progress(
        slug=row.slug,
        title=row.title,
        currency=row.currency,
        locale=row.locale,
        goal_amount=row.goal_amount,
        raised_amount=row.raised_amount,
        donor_count=row.donor_count,
        gift_count=row.gift_count,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        schedule=drive_schedule(row.starts_at, row.ends_at, row.accept_gifts_after_end, utcnow()),
    )
    cache.put(row.id, progress, generation)
    return progress


class DriveFigures(NamedTuple):
    raised_amount: int
    donor_count: int
    gift_count: int


def recount_drive_figures(drive_id: int) -> DriveFigures:
    """Recompute a drive's raised amount, donor count and gift count from the
    donation rows themselves (a gift with no donor row is a donor of its own).

    Used to check the running aggregate (tests, ``check_drive_figures``), never to
    serve it.
    """
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    row = db.session.execute(
        select(
            func.coalesce(func.sum(net), 0),
            func.count(Donation.id),
            func.count(distinct(Donation.donor_id)),
            func.count(Donation.id) - func.count(Donation.donor_id),
        ).where(
            Donation.drive_id == drive_id,
            Donation.status == Status.SUCCEEDED,
            net > 0,
        )
    ).one()
    return DriveFigures(int(row[0]), int(row[2]) + int(row[3]), int(row[1]))


def recount_drive(drive_id: int) -> tuple[int, int]:
    """(raised_amount, donor_count) recomputed from the donation rows."""
    figures = recount_drive_figures(drive_id)
    return figures.raised_amount, figures.donor_count


def check_drive_figures(drive_id: int) -> dict[str, tuple[int, int]]:
    """Where the running figures of a drive differ from a recount: {figure: (kept,
    recounted)}, empty when they agree. ``donor_sums`` compares the per-donor sums
    (``drive_donors``) with the gifts too."""
    kept = db.session.execute(
        select(Drive.raised_amount, Drive.donor_count, Drive.gift_count).where(Drive.id == drive_id)
    ).one()
    recounted = recount_drive_figures(drive_id)
    differences = {
        name: (int(have), int(want))
        for name, have, want in zip(DriveFigures._fields, kept, recounted, strict=True)
        if have != want
    }
    counted = case((and_(Donation.status == Status.SUCCEEDED, _NET > 0), _NET), else_=literal(0))
    per_donor = dict(
        db.session.execute(
            select(Donation.donor_id, func.sum(counted))
            .where(Donation.drive_id == drive_id, Donation.donor_id.is_not(None))
            .group_by(Donation.donor_id)
        ).all()
    )
    sums = dict(
        db.session.execute(
            select(DriveDonor.donor_id, DriveDonor.counted_amount).where(
                DriveDonor.drive_id == drive_id
            )
        ).all()
    )
    wrong = sum(
        1
        for donor_id in per_donor.keys() | sums.keys()
        if int(per_donor.get(donor_id) or 0) != int(sums.get(donor_id) or 0)
    )
    if wrong:
        differences["donor_sums"] = (wrong, 0)
    return differences


_NET = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
