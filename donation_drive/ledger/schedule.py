"""Where a drive stands in its calendar, and whether its checkout takes gifts.

The rule (docs/checkout.md, "Before and after a drive"):

- before ``starts_at`` a drive is *upcoming*: its checkout takes nothing yet;
- from ``starts_at`` to ``ends_at``, both included, it is *running* and takes gifts;
- after ``ends_at`` it has *ended*: its checkout takes nothing, unless the admin chose
  ``accept_gifts_after_end`` in the drive's settings; those gifts count toward this
  same drive.

Only the checkout refuses. Money that reaches us anyway (a provider's webhook, a
reconcile run, an import, an offline entry) is recorded whatever the date: money
that arrived is never dropped.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import select

from ..extensions import db
from ..models import Drive, utcnow


class DriveState(StrEnum):
    UPCOMING = "upcoming"
    RUNNING = "running"
    ENDED = "ended"


def whole_days_until(moment: datetime, now: datetime) -> int:
    """Days from ``now`` to ``moment``, a part day counting as a whole one; 0 once
    ``moment`` has come."""
    if moment <= now:
        return 0
    return math.ceil((moment - now) / timedelta(days=1))


@dataclass(frozen=True, slots=True)
class Schedule:
    state: DriveState
    days_left: int  # until the end; 0 once ended
    starts_in_days: int  # until the start; 0 once started
    accepting_gifts: bool  # whether the checkout takes gifts now


def drive_schedule(
    starts_at: datetime, ends_at: datetime, accept_gifts_after_end: bool, now: datetime
) -> Schedule:
    """The drive's state at ``now`` by the rule above."""
    if now < starts_at:
        state = DriveState.UPCOMING
    elif now <= ends_at:
        state = DriveState.RUNNING
    else:
        state = DriveState.ENDED
    return Schedule(
        state=state,
        days_left=whole_days_until(ends_at, now),
        starts_in_days=whole_days_until(starts_at, now),
        accepting_gifts=state == DriveState.RUNNING
        or (state == DriveState.ENDED and accept_gifts_after_end),
    )


def schedule_of(drive: Drive, now: datetime | None = None) -> Schedule:
    return drive_schedule(
        drive.starts_at, drive.ends_at, drive.accept_gifts_after_end, now or utcnow()
    )


def current_drive(now: datetime | None = None) -> Drive | None:
    """The drive a donor should be sent to: the running drive that started last."""
    moment = now or utcnow()
    return db.session.scalar(
        select(Drive)
        .where(Drive.starts_at <= moment, Drive.ends_at >= moment)
        .order_by(Drive.starts_at.desc(), Drive.id.desc())
        .limit(1)
    )
