"""Benchmark: reconcile over thousands of emulator payments, for constant memory and
linear time.

For each size (500, 1000, 2000 and 4000 payments by default) the Stripe emulator is
topped up with succeeded card payments made through the official SDK, then:

1. "record all": a fresh, migrated database with one drive is reconciled; every
   payment is missing and is recorded through the ledger (the worst case: webhooks
   never arrived);
2. "in step": the same database is reconciled again; every payment is compared and
   nothing is left to do (the steady state of a worker running every few minutes);
3. "memory": run 1 again on another fresh database under ``tracemalloc``, for the
   peak of Python memory above what was allocated when the run started (tracing
   slows Python down, so the timings come from the untraced runs 1 and 2).

Runs report wall time, this process's CPU time (our code, the SDK, SQLite) and the
emulator's CPU time, read from /proc. The emulator is the unmodified
``localstripe`` with one change for the benchmark: it does not pickle its whole
store to /tmp after every write, which otherwise dominates creating payments. Its
listing still grows quadratically (each PaymentIntent it exports scans its whole
store for the charge's refunds), so wall time is the emulator's; our side is the
CPU column.

    .venv/bin/python bench/reconcile_scale.py                    # the full run (~20 min)
    .venv/bin/python bench/reconcile_scale.py --sizes 200 400    # a quick look
    .venv/bin/python bench/reconcile_scale.py --postgres         # on a throwaway PostgreSQL
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DONATION_DRIVE_ENV", "testing")

import stripe  # noqa: E402  (the benchmark drives the emulator like a donor would)

from donation_drive import create_app  # noqa: E402
from donation_drive.extensions import db  # noqa: E402
from donation_drive.ledger import create_drive, drive_progress  # noqa: E402
from donation_drive.models import utcnow  # noqa: E402
from donation_drive.reconcile import reconcile_payments  # noqa: E402
from donation_drive.schema import upgrade  # noqa: E402
from tests.peers.ports import free_port  # noqa: E402

SECRET_KEY = "sk_test_bench"  # noqa: S105 - the emulator takes any sk_ key
SLUG = "bench"
EMULATOR = (
    "import sys, localstripe.resources as r; "
    "r.Store.dump_to_disk = lambda self: None; "
    "import localstripe.server as s; "
    "sys.argv = ['localstripe', '--port', sys.argv[1], '--from-scratch']; s.start()"
)


def amount_of(index: int) -> int:
    return 500 + (index * 37) % 10_000


@dataclass
class Measurement:
    wall: float
    cpu: float
    emulator_cpu: float
    peak_bytes: int | None
    checked: int
    created: int


class Emulator:
    def __init__(self) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-c", EMULATOR, str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/js.stripe.com/v3/", timeout=1):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError("the emulator did not start") from None
                time.sleep(0.1)
        self.client = stripe.StripeClient(SECRET_KEY, base_addresses={"api": self.base})
        self.payments = 0

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def top_up(self, total: int) -> float:
        started = time.perf_counter()
        while self.payments < total:
            self.client.v1.payment_intents.create(
                params={
                    "amount": amount_of(self.payments),
                    "currency": "usd",
                    "payment_method": "pm_card_visa",
                    "confirm": True,
                    "metadata": {"drive_slug": SLUG},
                }
            )
            self.payments += 1
        return time.perf_counter() - started

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


class Databases:
    """A fresh, migrated database per size: a copied SQLite file, or a new database
    on a throwaway PostgreSQL cluster."""

    def __init__(self, folder: Path, postgres: bool) -> None:
        self.folder = folder
        self.cluster = None
        if postgres:
            from tests.peers.postgres import PostgresCluster

            self.cluster = PostgresCluster().start()
        else:
            self.template = folder / "template.sqlite3"
            self._migrate(f"sqlite:///{self.template}")

    def _migrate(self, url: str) -> None:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": url, "LOG_LEVEL": "WARNING"}, instance_path=str(self.folder)
        )
        with app.app_context():
            upgrade()
            db.engine.dispose()

    def fresh(self, name: str) -> str:
        if self.cluster is not None:
            url = self.cluster.create_database()
            self._migrate(url)
            return url
        path = self.folder / f"{name}.sqlite3"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()

    @property
    def label(self) -> str:
        return "PostgreSQL 15 (throwaway cluster)" if self.cluster else "SQLite (WAL, one file)"


def measure(emulator: Emulator, *, trace: bool) -> Measurement:
    if trace:
        tracemalloc.start()
        baseline = tracemalloc.get_traced_memory()[0]
    wall, cpu, emulator_cpu = time.perf_counter(), time.process_time(), emulator.cpu_seconds()
    run = reconcile_payments()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    emulator_cpu = emulator.cpu_seconds() - emulator_cpu
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] - baseline
        tracemalloc.stop()
    if run.status != "succeeded":
        raise RuntimeError(f"reconcile failed: {run.error}")
    return Measurement(wall, cpu, emulator_cpu, peak, run.checked, run.created)


def reconcile_fresh_database(
    size: int, emulator: Emulator, databases: Databases, folder: Path, *, trace: bool
) -> list[Measurement]:
    """Run 1 on a new database (and, untraced, run 2 on the same one)."""
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": databases.fresh(f"size{size}-{trace}"),
            "STRIPE_API_BASE": emulator.base,
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "LOG_LEVEL": "WARNING",
        },
        instance_path=str(folder),
    )
    logging.getLogger("stripe").setLevel(logging.WARNING)
    expected = sum(amount_of(i) for i in range(size))
    with app.app_context():
        now = utcnow()
        create_drive(
            slug=SLUG,
            title="Benchmark drive",
            goal_amount=10**9,
            currency="USD",
            starts_at=now - timedelta(days=1),
            ends_at=now + timedelta(days=30),
        )
        runs = [measure(emulator, trace=trace)]
        if not trace:
            runs.append(measure(emulator, trace=False))
        raised = drive_progress(SLUG).raised_amount
        created = [run.created for run in runs]
        if created != [size, 0][: len(runs)] or raised != expected:
            raise RuntimeError(f"wrong outcome at {size}: {runs}, raised {raised}")
        db.session.remove()
        db.engine.dispose()
    return runs


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{model}, {os.cpu_count()} CPUs (load average {load}), "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000, 4000])
    parser.add_argument("--postgres", action="store_true", help="use a throwaway PostgreSQL")
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="dd-reconcile-bench-"))
    emulator = Emulator()
    databases = Databases(folder, args.postgres)
    logging.getLogger("stripe").setLevel(logging.WARNING)  # one line per request otherwise
    print(f"Machine: {machine()}")
    print(f"Database: {databases.label}; emulator: localstripe at {emulator.base}\n")
    print(
        f"{'payments':>8} | {'make s':>6} | {'run 1: record all':^30} | "
        f"{'run 2: in step':^23} | {'run 3':>8}"
    )
    print(
        f"{'':>8} | {'wall':>6} | {'wall s':>7} {'our cpu':>7} {'emu cpu':>7} {'us/pay':>6} | "
        f"{'wall s':>7} {'our cpu':>7} {'us/pay':>6} | {'peak KiB':>8}"
    )
    try:
        for size in sorted(args.sizes):
            made = emulator.top_up(size)
            first, second = reconcile_fresh_database(size, emulator, databases, folder, trace=False)
            (traced,) = reconcile_fresh_database(size, emulator, databases, folder, trace=True)
            print(
                f"{size:>8} | {made:>6.1f} | {first.wall:>7.1f} {first.cpu:>7.2f} "
                f"{first.emulator_cpu:>7.1f} {first.cpu / size * 1e6:>6.0f} | "
                f"{second.wall:>7.1f} {second.cpu:>7.2f} {second.cpu / size * 1e6:>6.0f} | "
                f"{(traced.peak_bytes or 0) / 1024:>8.0f}",
                flush=True,
            )
    finally:
        emulator.stop()
        databases.stop()
        shutil.rmtree(folder, ignore_errors=True)
    print(
        "\nmake: creating the payments in the emulator (this size's increment only); "
        "our cpu: this process, seconds; emu cpu: the emulator process, seconds; "
        "us/pay: our CPU microseconds per payment; peak KiB: tracemalloc peak above the "
        "start of a traced record-all run on another fresh database."
    )


if __name__ == "__main__":
    main()
