"""The calendar rule: a drive runs from its start to its end, both included; its
checkout takes gifts while it runs, and after the end only where its settings say;
the current drive is the running one that started last."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from donation_drive.ledger import create_drive, current_drive
from donation_drive.ledger.schedule import DriveState, drive_schedule
from donation_drive.widget.presentation import schedule_status

STARTS = datetime(2026, 11, 15, 5, tzinfo=UTC)
ENDS = datetime(2027, 1, 1, 4, 59, 59, 999_999, tzinfo=UTC)
TINY = timedelta(microseconds=1)


@pytest.mark.parametrize(
    "now, state, days_left, starts_in_days, status",
    [
        (STARTS - timedelta(days=3), DriveState.UPCOMING, 50, 3, "Starts in 3 days"),
        (STARTS - TINY, DriveState.UPCOMING, 47, 1, "Starts in 1 day"),
        (STARTS, DriveState.RUNNING, 47, 0, "47 days left"),
        (ENDS - timedelta(hours=1), DriveState.RUNNING, 1, 0, "1 day left"),
        (ENDS, DriveState.RUNNING, 0, 0, "Ends today"),
        (ENDS + TINY, DriveState.ENDED, 0, 0, "Ended"),
    ],
)
def test_the_state_changes_exactly_at_the_start_and_after_the_end(
    now, state, days_left, starts_in_days, status
):
    schedule = drive_schedule(STARTS, ENDS, False, now)

    assert (schedule.state, schedule.days_left, schedule.starts_in_days) == (
        state,
        days_left,
        starts_in_days,
    )
    assert schedule.accepting_gifts is (state == DriveState.RUNNING)
    assert schedule_status(schedule) == status


@pytest.mark.parametrize("now", [STARTS - TINY, STARTS, ENDS, ENDS + TINY, ENDS + timedelta(300)])
def test_keeping_a_drive_open_changes_only_what_happens_after_its_end(now):
    closed = drive_schedule(STARTS, ENDS, False, now)
    kept_open = drive_schedule(STARTS, ENDS, True, now)

    assert kept_open.state == closed.state
    assert kept_open.accepting_gifts is (closed.accepting_gifts or now > ENDS)


def _drive(slug: str, starts: datetime, ends: datetime):
    return create_drive(
        slug=slug, title=slug, goal_amount=100, currency="USD", starts_at=starts, ends_at=ends
    )


def test_the_current_drive_is_the_running_one_that_started_last(app):
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    _drive("old", STARTS - timedelta(days=365), ENDS - timedelta(days=365))
    _drive("long", STARTS - timedelta(days=30), ENDS + timedelta(days=30))
    latest = _drive("eoy", STARTS, ENDS)
    _drive("spring", datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))

    assert current_drive(now) == latest
    assert current_drive(datetime(2027, 1, 15, tzinfo=UTC)).slug == "long"
    assert current_drive(datetime(2027, 2, 15, tzinfo=UTC)) is None
