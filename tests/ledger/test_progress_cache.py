"""The per-process cache of drive totals: a time bound, and no stale figures kept
after a write."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime

from donation_drive.ledger import DriveState, Progress, Schedule
from donation_drive.ledger.totals import ProgressCache


def progress(raised: int) -> Progress:
    return Progress(
        slug="eoy",
        title="End of the Year",
        currency="USD",
        locale="en_US",
        goal_amount=10_000,
        raised_amount=raised,
        donor_count=1,
        gift_count=1,
        starts_at=datetime(2026, 11, 15, tzinfo=UTC),
        ends_at=datetime(2026, 12, 31, tzinfo=UTC),
        schedule=Schedule(DriveState.RUNNING, days_left=30, starts_in_days=0, accepting_gifts=True),
    )


def test_entries_expire_after_the_cache_time():
    cache = ProgressCache()
    cache.put(1, progress(5), cache.generation)

    assert cache.get("eoy", ttl=60) == progress(5)
    time.sleep(0.02)
    assert cache.get("eoy", ttl=0.01) is None


def test_figures_read_before_a_write_are_not_kept_after_it():
    cache = ProgressCache()
    started = cache.generation  # a reader starts reading the old figures...
    cache.invalidate(1)  # ...a writer commits and invalidates...
    cache.put(1, progress(5), started)  # ...and the reader's result arrives late

    assert cache.get("eoy", ttl=60) is None


def test_invalidating_one_drive_keeps_the_others():
    cache = ProgressCache()
    cache.put(1, progress(5), cache.generation)
    cache.put(2, replace(progress(7), slug="other"), cache.generation)

    cache.invalidate(2)

    assert cache.get("eoy", ttl=60) == progress(5)
    assert cache.get("other", ttl=60) is None
