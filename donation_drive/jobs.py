"""Scheduled jobs and the worker that runs them (``donation-drive worker``).

Each job runs every ``<interval setting>`` seconds on every worker's schedule, but a
lease in the database (``leases``) lets only one worker run it at a time, and a job
started anywhere within the last ``MIN_GAP_FRACTION`` of its interval is skipped, so
two workers ticking out of step still run it once per interval.

APScheduler runs the jobs in its thread pool with ``max_instances=1`` and
``coalesce=True`` (a worker that fell behind runs a job once, not once per missed
tick). SIGTERM or SIGINT stops scheduling, tells a running job to stop at its next
heartbeat, waits for it, and releases its lease. APScheduler is imported when a
worker starts, not with this module: every ``donation-drive`` command loads this
module to list ``worker``, and only ``worker`` and ``dev`` schedule anything.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .emails import send_due_emails
from .leases import RECONCILE, SEND_EMAILS, Lease, worker_id
from .observability import serve_worker_metrics
from .providers.paypal import is_enabled as paypal_enabled
from .reconcile import abandon_interrupted_runs, reconcile_payments, reconcile_paypal

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.base import BaseScheduler

log = logging.getLogger(__name__)

PAYPAL_IPN_RETRY = "paypal-ipn-retry"
MIN_GAP_FRACTION = 0.8

Heartbeat = Callable[[], None]


class JobInterrupted(Exception):
    """Raised from a heartbeat when the worker is shutting down."""


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    name: str
    interval_setting: str  # the config key holding the interval in seconds
    run: Callable[[Heartbeat], None]


def reconcile_job(heartbeat: Heartbeat) -> None:
    # We hold the reconcile lease, so any run still marked running died with its worker.
    abandon_interrupted_runs()
    reconcile_payments(None, dry_run=False, heartbeat=heartbeat)
    if paypal_enabled():
        reconcile_paypal(None, dry_run=False, heartbeat=heartbeat)


def send_emails_job(heartbeat: Heartbeat) -> None:
    send_due_emails()


def paypal_ipn_retry_job(heartbeat: Heartbeat) -> None:
    """IPN messages PayPal could not validate when they came (webhooks/paypal.py)."""
    from .providers.paypal import is_enabled
    from .webhooks.paypal import retry_stored_ipns

    if is_enabled():
        retry_stored_ipns()


DEFAULT_JOBS: tuple[ScheduledJob, ...] = (
    ScheduledJob(RECONCILE, "RECONCILE_INTERVAL", reconcile_job),
    ScheduledJob(SEND_EMAILS, "SEND_EMAILS_INTERVAL", send_emails_job),
    ScheduledJob(PAYPAL_IPN_RETRY, "PAYPAL_IPN_RETRY_INTERVAL", paypal_ipn_retry_job),
)


class Worker:
    """Runs ``jobs`` on a schedule for ``app``, each under its lease."""

    def __init__(
        self,
        app: Flask,
        jobs: Sequence[ScheduledJob] = DEFAULT_JOBS,
        holder: str | None = None,
    ) -> None:
        self.app = app
        self.jobs = tuple(jobs)
        self.holder = holder or worker_id()
        self.stopping = threading.Event()
        self.runs: Counter[str] = Counter()  # jobs this worker ran, by name
        self._runs_lock = threading.Lock()
        self.scheduler: BaseScheduler | None = None

    def run_job(self, job: ScheduledJob, *, respect_interval: bool = True) -> bool:
        """Run ``job`` once here unless another worker holds it (or, with
        ``respect_interval``, ran it less than most of an interval ago). True if it ran.
        A failing job is logged, and its lease released, so the next tick retries."""
        with self.app.app_context():
            interval = current_app.config[job.interval_setting]
            gap = timedelta(seconds=interval * MIN_GAP_FRACTION) if respect_interval else None
            lease = Lease(job.name, self.holder)
            if not lease.acquire(not_started_within=gap):
                log.debug("job %s skipped: held or run recently elsewhere", job.name)
                return False
            with self._runs_lock:
                self.runs[job.name] += 1
            try:
                job.run(lambda: self._heartbeat(lease))
            except JobInterrupted:
                log.info("job %s stopped: the worker is shutting down", job.name)
            except Exception:
                log.exception("job %s failed", job.name)
            finally:
                lease.release()
            return True

    def _heartbeat(self, lease: Lease) -> None:
        if self.stopping.is_set():
            raise JobInterrupted(f"worker {self.holder} is shutting down")
        lease.keep_alive()

    def _add_jobs(self, scheduler: BaseScheduler) -> None:
        from apscheduler.triggers.interval import IntervalTrigger  # lazily: module docstring

        now = datetime.now(UTC)
        for job in self.jobs:
            interval = int(self.app.config[job.interval_setting])
            scheduler.add_job(
                self.run_job,
                IntervalTrigger(seconds=interval),
                args=[job],
                id=job.name,
                name=job.name,
                max_instances=1,
                coalesce=True,
                misfire_grace_time=interval,
                next_run_time=now,  # run once at start-up, then every interval
            )

    def start_background(self) -> BackgroundScheduler:
        """Run the jobs in background threads (development server, tests)."""
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone=UTC)
        self._add_jobs(scheduler)
        self.scheduler = scheduler
        scheduler.start()
        return scheduler

    def run_forever(self) -> None:
        """Run the jobs until SIGTERM or SIGINT, then finish gracefully."""
        from apscheduler.schedulers.blocking import BlockingScheduler

        scheduler = BlockingScheduler(timezone=UTC)
        self._add_jobs(scheduler)
        self.scheduler = scheduler

        def _on_signal(signum: int, _frame: object) -> None:
            log.info("worker %s: signal %d, shutting down", self.holder, signum)
            self.stop()

        signal.signal(signal.SIGTERM, _on_signal)
        signal.signal(signal.SIGINT, _on_signal)
        scheduler.start()  # returns once stop() has shut the scheduler down

    def stop(self) -> None:
        """Stop scheduling, ask a running job to stop, and wait for it."""
        self.stopping.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)


@click.command("worker", help="Run the scheduled jobs (reconcile, send emails) until stopped.")
@with_appcontext
def worker_command() -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    serve_worker_metrics(app)
    worker = Worker(app)
    schedule = ", ".join(
        f"{job.name} every {app.config[job.interval_setting]}s" for job in worker.jobs
    )
    click.echo(f"Worker {worker.holder}: {schedule}. Stop with SIGTERM or Ctrl-C.")
    worker.run_forever()
    click.echo(f"Worker {worker.holder} stopped.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(worker_command)
