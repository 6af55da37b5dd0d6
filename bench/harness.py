"""Shared by bench/webhooks.py and bench/pages.py: a migrated database (SQLite file
or a throwaway PostgreSQL cluster), the app under gunicorn with production settings,
wrk for GET load, and a line describing the machine."""

from __future__ import annotations

import os
import platform
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
WRK = shutil.which("wrk")
SLUG = "bench"
WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(16)

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def wrk_version() -> str | None:
    """``wrk``'s own version line ("wrk debian/4.1.0-3+b2 [epoll] ..."), or None."""
    if WRK is None:
        return None
    # wrk prints its version with its usage, and exits 1.
    output = subprocess.run([WRK, "--version"], capture_output=True, text=True, check=False)
    return (output.stdout or output.stderr).splitlines()[0].split(" Copyright")[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"model name\s*:\s*(.+)", cpuinfo)
    memory = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
    return (
        f"{os.cpu_count()} CPUs ({model.group(1) if model else 'unknown'}), "
        f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB RAM, Python {platform.python_version()}, "
        f"load average before the run {os.getloadavg()[0]:.2f}"
    )


def cpu_seconds(root_pid: int) -> float:
    """User + system CPU time of a process and all its live descendants (gunicorn's
    master and workers, PostgreSQL's postmaster and backends), from /proc."""
    parents: dict[int, int] = {}
    times: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        # After the command: state, ppid, ..., utime (12th), stime (13th).
        parents[int(entry.name)] = int(fields[1])
        times[int(entry.name)] = (int(fields[11]) + int(fields[12])) / ticks
    total, todo = 0.0, [root_pid]
    while todo:
        pid = todo.pop()
        total += times.get(pid, 0.0)
        todo.extend(child for child, parent in parents.items() if parent == pid)
    return total


# -- databases ------------------------------------------------------------------------


@dataclass
class Database:
    url: str
    server_pid: int | None  # PostgreSQL's postmaster; None for SQLite (in-process)


@contextmanager
def database(kind: str):
    """Yield a fresh, migrated ``Database`` with the bench drive in it."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="dd-bench-"))
        try:
            url = f"sqlite:///{folder / 'bench.sqlite3'}"
            prepare(url, folder)
            yield Database(url, None)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    from tests.peers.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    try:
        url = cluster.create_database()
        prepare(url, cluster.root)
        postmaster = int((cluster.data / "postmaster.pid").read_text().split()[0])
        yield Database(url, postmaster)
    finally:
        cluster.stop()


def prepare(url: str, instance: Path) -> int:
    """Migrate the database at ``url`` and create the bench drive; returns its id."""
    os.environ.setdefault("DONATION_DRIVE_ENV", "development")
    from donation_drive import create_app
    from donation_drive.extensions import db
    from donation_drive.ledger import create_drive
    from donation_drive.schema import upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ACCESS_LOG": False}, str(instance))
    with app.app_context():
        upgrade()
        drive_id = create_drive(
            slug=SLUG,
            title="Benchmark Drive",
            goal_amount=7_500_000_000,
            currency="USD",
            starts_at=datetime(2026, 11, 1, tzinfo=UTC),
            ends_at=datetime(2026, 12, 31, tzinfo=UTC),
        ).id
        db.session.remove()
        db.engine.dispose()
    return drive_id


def totals(url: str) -> tuple[int, int, int, dict[str, int]]:
    """(raised, donor count, donation rows, webhook rows by status) read afresh."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            raised, count = connection.execute(
                text("SELECT raised_amount, donor_count FROM drives WHERE slug = :slug"),
                {"slug": SLUG},
            ).one()
            rows = connection.execute(text("SELECT count(*) FROM donations")).scalar_one()
            statuses = dict(
                connection.execute(
                    text("SELECT status, count(*) FROM webhook_events GROUP BY status")
                ).all()
            )
    finally:
        engine.dispose()
    return raised, count, rows, statuses


# -- the server -----------------------------------------------------------------------


@dataclass
class ServerSettings:
    workers: int
    worker_class: str = "gthread"
    threads: int = 4


def production_environment(database_url: str) -> dict[str, str]:
    """The app's settings as production runs it, with keys no one can call with."""
    return {
        "DONATION_DRIVE_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "STRIPE_SECRET_KEY": "sk_test_bench_never_called",
        "STRIPE_PUBLISHABLE_KEY": "pk_test_bench_never_called",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }


class Gunicorn:
    """A WSGI app (``module:callable``, from the repository or bench/) under gunicorn
    on loopback, its logs in a file as a process manager would collect them."""

    def __init__(
        self, app_spec: str, env: dict[str, str], settings: ServerSettings, ready_path: str
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(settings.workers),
                "--worker-class",
                settings.worker_class,
                "--threads",
                str(settings.threads),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--log-level",
                "warning",
                "--pythonpath",
                f"{ROOT},{ROOT / 'bench'}",
                app_spec,
            ],
            env={**os.environ, **env},
            stdout=self.log,
            stderr=self.log,
            cwd=ROOT,
        )
        self._wait_ready(ready_path)

    def _wait_ready(self, path: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(self.url + path, timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.log.seek(0)
                raise RuntimeError(f"gunicorn did not start:\n{self.log.read().decode()[-3000:]}")
            time.sleep(0.2)

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the master and its workers."""
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
        self.log.close()


def app_server(database_url: str, settings: ServerSettings) -> Gunicorn:
    """The real app as production runs it, on ``database_url``."""
    return Gunicorn(
        "donation_drive:create_app()", production_environment(database_url), settings, "/healthz"
    )


# -- GET load with wrk ----------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statuses_ok: bool
    requests: int
    server_cpu_us: float = 0.0  # the server's CPU time per request, when measured


def milliseconds(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip()).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(
    url: str,
    *,
    duration: int,
    connections: int,
    headers: dict[str, str],
    server_pid: int | None = None,
) -> Load:
    """Load ``url`` with wrk; with ``server_pid``, also measure that process tree's
    CPU time per request."""
    if WRK is None:
        raise SystemExit(
            "wrk is needed for this benchmark: make bench-deps (or apt-get install wrk)"
        )
    command = [WRK, "-t2", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(server_pid) if server_pid else 0.0
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    cpu_after = cpu_seconds(server_pid) if server_pid else 0.0
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    return Load(
        requests=requests,
        server_cpu_us=(cpu_after - cpu_before) * 1e6 / max(requests, 1),
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1)),
        p99_ms=milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1)),
        # wrk counts anything but 2xx/3xx as "Non-2xx or 3xx responses".
        statuses_ok="Non-2xx" not in output and "Socket errors" not in output,
    )
