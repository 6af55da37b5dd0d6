"""Job leases and the worker: each job runs in one place at a time, a dead worker's
lease expires, and the worker stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.jobs import DEFAULT_JOBS, RECONCILE, ScheduledJob, Worker
from donation_drive.leases import Lease, LeaseLost, lease_state
from donation_drive.models import ReconcileRun, utcnow

from .conftest import make_app
from .reconcile.conftest import SECRET_KEY, clear_emulator

CLI = str(Path(sys.executable).parent / "donation-drive")


@pytest.fixture
def app_overrides(localstripe_base: str) -> dict[str, object]:
    clear_emulator(localstripe_base)
    return {"STRIPE_API_BASE": localstripe_base, "STRIPE_SECRET_KEY": SECRET_KEY}


@pytest.fixture
def black_hole() -> Iterator[str]:
    """A Stripe address that accepts connections and never answers: a run talking to
    it is stuck mid-run, as a worker is when it gets killed."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def run_threads(*targets) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(target):
        def run() -> None:
            try:
                target()
            except BaseException as exc:  # reported by the test
                errors.append(exc)

        return run

    threads = [threading.Thread(target=guarded(target)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def reconcile_statuses() -> list[str]:
    db.session.expire_all()
    return list(db.session.scalars(select(ReconcileRun.status).order_by(ReconcileRun.id)))


def wait_for(condition, timeout: float = 20.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# Leases.


def test_a_lease_is_exclusive_until_released(app):
    first, second = Lease("nightly", "worker-a"), Lease("nightly", "worker-b")

    assert first.acquire()
    assert not second.acquire()
    assert first.acquire()  # re-entrant for its holder
    first.release()
    assert second.acquire()
    state = lease_state("nightly")
    assert state.holder == "worker-b"
    assert state.last_finished_at is not None


def test_an_expired_lease_is_taken_over_and_the_old_holder_learns_it(app):
    stale, fresh = Lease("nightly", "worker-a", seconds=1), Lease("nightly", "worker-b", seconds=1)
    assert stale.acquire()
    assert not fresh.acquire()

    time.sleep(1.1)

    assert fresh.acquire()
    with pytest.raises(LeaseLost):
        stale.renew()
    stale.release()  # releasing what is no longer yours leaves the new holder alone
    assert lease_state("nightly").holder == "worker-b"


def test_renewing_keeps_a_long_job_s_lease(app):
    lease = Lease("nightly", "worker-a", seconds=1)
    assert lease.acquire()
    for _ in range(3):
        time.sleep(0.4)
        lease.keep_alive()  # renews once a third of the lease has passed

    assert not Lease("nightly", "worker-b").acquire()


def test_of_many_workers_racing_for_a_lease_exactly_one_wins(app):
    start = threading.Barrier(8)
    winners: list[str] = []

    def contend(name: str):
        def run() -> None:
            with app.app_context():
                start.wait()
                if Lease("nightly", name).acquire():
                    winners.append(name)

        return run

    errors = run_threads(*(contend(f"worker-{i}") for i in range(8)))

    assert errors == []
    assert len(winners) == 1


def test_a_job_started_recently_elsewhere_is_not_started_again(app):
    earlier = Lease("nightly", "worker-a")
    assert earlier.acquire()
    earlier.release()

    assert not Lease("nightly", "worker-b").acquire(not_started_within=timedelta(minutes=4))
    assert Lease("nightly", "worker-b").acquire(not_started_within=timedelta(seconds=0))


# Workers.


def test_two_workers_started_at_once_run_each_job_once(app, database_url, tmp_path, app_overrides):
    workers = [
        Worker(app, holder="worker-a"),
        Worker(make_app(database_url, tmp_path / "other", **app_overrides), holder="worker-b"),
    ]
    start = threading.Barrier(2 * len(DEFAULT_JOBS))

    def tick(worker: Worker, job: ScheduledJob):
        def run() -> None:
            start.wait()
            worker.run_job(job)

        return run

    errors = run_threads(*(tick(w, job) for w in workers for job in DEFAULT_JOBS))

    assert errors == []
    for job in DEFAULT_JOBS:
        assert sum(worker.runs[job.name] for worker in workers) == 1, job.name
    assert reconcile_statuses() == ["succeeded"]


def test_two_scheduled_workers_share_the_schedule(app, database_url, tmp_path, app_overrides):
    overrides = {**app_overrides, "RECONCILE_INTERVAL": 3600, "SEND_EMAILS_INTERVAL": 3600}
    apps = [make_app(database_url, tmp_path / name, **overrides) for name in ("a", "b")]
    workers = [Worker(each, holder=f"worker-{i}") for i, each in enumerate(apps)]

    for worker in workers:
        worker.start_background()  # both run every job at start-up, in the same instant
    try:

        def all_finished() -> bool:
            db.session.expire_all()
            return all(
                (state := lease_state(job.name)) is not None
                and state.last_finished_at is not None
                and state.holder is None
                for job in DEFAULT_JOBS
            )

        wait_for(all_finished, what="the start-up runs")
    finally:
        for worker in workers:
            worker.stop()

    for job in DEFAULT_JOBS:
        assert sum(worker.runs[job.name] for worker in workers) == 1, job.name
    assert reconcile_statuses() == ["succeeded"]


def test_stopping_the_worker_interrupts_a_running_job_and_frees_its_lease(app):
    started = threading.Event()
    heartbeats: list[float] = []

    def long_job(heartbeat) -> None:
        started.set()
        while True:  # stops only through the heartbeat
            heartbeat()
            heartbeats.append(time.monotonic())
            time.sleep(0.02)

    worker = Worker(app, jobs=[ScheduledJob("long", "RECONCILE_INTERVAL", long_job)])
    runner = threading.Thread(target=worker.run_job, args=[worker.jobs[0]])
    runner.start()
    assert started.wait(10)

    worker.stop()
    runner.join(timeout=10)

    assert not runner.is_alive()
    assert heartbeats
    assert lease_state("long").holder is None


def worker_env(database_url: str, **settings: object) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STRIPE_", "DATABASE_"))}
    env.update(
        DONATION_DRIVE_ENV="testing",
        DATABASE_URL=database_url,
        STRIPE_SECRET_KEY=SECRET_KEY,
        **{key: str(value) for key, value in settings.items()},
    )
    return env


def test_a_killed_worker_s_lease_expires_and_the_next_run_completes(
    app, database_url, black_hole, tmp_path
):
    log = open(tmp_path / "killed.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [CLI, "reconcile"],
        env=worker_env(database_url, STRIPE_API_BASE=black_hole, JOB_LEASE_SECONDS=3),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: reconcile_statuses() == ["running"], what="the doomed run to start")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
        log.close()

    state = lease_state(RECONCILE)
    assert state.holder is not None and state.expires_at > utcnow()
    worker = Worker(app, holder="next-worker")
    reconcile_job = next(job for job in worker.jobs if job.name == RECONCILE)
    assert not worker.run_job(reconcile_job, respect_interval=False)  # still held

    time.sleep(max((state.expires_at - utcnow()).total_seconds(), 0) + 0.1)

    assert worker.run_job(reconcile_job, respect_interval=False)
    assert reconcile_statuses() == ["abandoned", "succeeded"]
    assert lease_state(RECONCILE).holder is None


def test_the_worker_command_stops_cleanly_on_sigterm(app, database_url, localstripe_base, tmp_path):
    output = tmp_path / "worker.log"
    with open(output, "wb") as log:
        process = subprocess.Popen(
            [CLI, "worker"],
            env=worker_env(
                database_url,
                STRIPE_API_BASE=localstripe_base,
                RECONCILE_INTERVAL=3600,
                SEND_EMAILS_INTERVAL=3600,
            ),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for(lambda: reconcile_statuses() == ["succeeded"], what="the start-up run")
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=20) == 0
        finally:
            if process.poll() is None:
                process.kill()

    text = output.read_text()
    assert "Worker " in text and "reconcile every 3600s" in text and "stopped." in text
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(ReconcileRun)) == 1
    assert lease_state(RECONCILE).holder is None
