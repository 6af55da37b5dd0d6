"""Job leases: a row in ``job_leases`` that says who runs a job right now.

Each scheduled job (reconcile, sending emails) runs in one place at a time even with
several workers and web processes on several machines. A worker takes the lease
with one conditional ``UPDATE`` whose row count says whether it won, so the check
and the claim are a single atomic step on SQLite and PostgreSQL alike. The lease
expires after ``JOB_LEASE_SECONDS`` unless its holder renews it, so a worker that
crashes or is killed mid-run blocks the job only until then.

Lease changes run on their own connection and commit at once: they never mix with
the job's own session work, and a job that rolls back does not drop its lease.

Expiry compares each worker's own clock, so the machines' clocks must agree to well
within the lease length (NTP does this).
"""

from __future__ import annotations

import os
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import JobLease, utcnow


class LeaseBusy(Exception):
    """Another holder has the lease (or ran the job too recently)."""

    def __init__(self, name: str, holder: str | None, expires_at: datetime | None) -> None:
        until = f" until {expires_at.isoformat(timespec='seconds')}" if expires_at else ""
        super().__init__(f"job {name!r} is held by {holder or 'another worker'}{until}")
        self.name, self.holder, self.expires_at = name, holder, expires_at


# The jobs' lease names: the worker's schedule (jobs.py) and the commands that run a job
# by hand (``donation-drive reconcile``) take the same lease, so never both at once.
RECONCILE = "reconcile"
SEND_EMAILS = "send-emails"


class LeaseLost(Exception):
    """The lease expired and someone else took it while we were still working."""


def worker_id() -> str:
    """``host:pid:random``: who holds a lease or has claimed an outbox email; readable
    in the admin pages, unique per worker object, at most 94 characters (the host name
    cut to 40)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@dataclass
class Lease:
    """A claim on the job called ``name`` by ``holder``, for ``seconds`` at a time."""

    name: str
    holder: str = field(default_factory=worker_id)
    seconds: int | None = None
    _renewed_at: float = field(default=0.0, init=False, repr=False)

    @property
    def duration(self) -> timedelta:
        seconds = self.seconds or current_app.config["JOB_LEASE_SECONDS"]
        return timedelta(seconds=seconds)

    def acquire(self, *, not_started_within: timedelta | None = None) -> bool:
        """Take the lease if it is free, expired or already ours; True when taken.

        ``not_started_within`` also refuses when anyone started the job that recently,
        so workers whose schedules are out of step still run a job once per interval.
        """
        now = utcnow()
        with db.engine.begin() as connection:
            connection.execute(_insert_if_absent(connection.dialect.name, self.name))
        claimable = or_(
            JobLease.expires_at.is_(None),
            JobLease.expires_at < now,
            JobLease.holder == self.holder,
        )
        conditions = [JobLease.name == self.name, claimable]
        if not_started_within is not None:
            conditions.append(
                or_(
                    JobLease.last_started_at.is_(None),
                    JobLease.last_started_at <= now - not_started_within,
                )
            )
        with db.engine.begin() as connection:
            result = connection.execute(
                update(JobLease)
                .where(*conditions)
                .values(holder=self.holder, expires_at=now + self.duration, last_started_at=now)
            )
        self._renewed_at = time.monotonic()
        return result.rowcount == 1

    def renew(self) -> None:
        """Push the expiry forward; raises ``LeaseLost`` if the lease is no longer ours."""
        with db.engine.begin() as connection:
            result = connection.execute(
                update(JobLease)
                .where(JobLease.name == self.name, JobLease.holder == self.holder)
                .values(expires_at=utcnow() + self.duration)
            )
        if result.rowcount != 1:
            raise LeaseLost(f"lost the lease on job {self.name!r}")
        self._renewed_at = time.monotonic()

    def keep_alive(self) -> None:
        """Renew once a third of the lease has gone by; cheap enough to call per item."""
        if time.monotonic() - self._renewed_at >= self.duration.total_seconds() / 3:
            self.renew()

    def release(self) -> None:
        """Give the lease up (if still ours) and note when the job finished."""
        with db.engine.begin() as connection:
            connection.execute(
                update(JobLease)
                .where(JobLease.name == self.name, JobLease.holder == self.holder)
                .values(holder=None, expires_at=None, last_finished_at=utcnow())
            )


def _insert_if_absent(dialect: str, name: str):
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(JobLease).values(name=name).on_conflict_do_nothing(index_elements=["name"])


def lease_state(name: str) -> JobLease | None:
    """The lease row as stored now (for status pages and error messages)."""
    return db.session.scalar(
        select(JobLease).where(JobLease.name == name).execution_options(populate_existing=True)
    )


@contextmanager
def held_lease(
    name: str,
    *,
    holder: str | None = None,
    seconds: int | None = None,
    not_started_within: timedelta | None = None,
) -> Iterator[Lease]:
    """Hold the lease on ``name`` for the ``with`` block, releasing it afterwards even
    when the block fails. Raises ``LeaseBusy`` when someone else holds it."""
    lease = Lease(name, holder or worker_id(), seconds)
    if not lease.acquire(not_started_within=not_started_within):
        state = lease_state(name)
        raise LeaseBusy(name, state.holder if state else None, state.expires_at if state else None)
    try:
        yield lease
    finally:
        lease.release()
