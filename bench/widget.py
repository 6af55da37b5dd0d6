"""Benchmark: the progress widget JSON under concurrent load, beside a minimal Flask
endpoint served the same way.

For each drive size (100 and 1,000,000 donations by default) a fresh SQLite database
is migrated, seeded with bulk SQL inserts, and its drive aggregate set from a ledger
recount. The real app (``donation_drive:create_app()``, production settings) and
``bench/minimal_app.py`` are each served by gunicorn on loopback with the same worker
count and class, loaded by ``wrk`` in interleaved rounds; the median of the rounds is
reported. One more row is the widget JSON as the documented deployment serves it:
docs/deployment.md's nginx (its micro-cache) in front of the first drive's gunicorn,
its CPU per request that of nginx (master and workers) plus the app's.
``make bench`` installs wrk (``make bench-deps``); run without it, the script says so
on its first lines and loads with a keep-alive thread-pool client, which spends far
more CPU per request than wrk, on the CPUs the server uses, so its figures
are not comparable with those of docs/benchmarks.md.

    .venv/bin/python bench/widget.py                 # the full run (seeding 1M takes a while)
    .venv/bin/python bench/widget.py --sizes 100 --duration 3 --rounds 1   # a quick look
    .venv/bin/python bench/widget.py --through-nginx  # the documented nginx, see below

With ``--through-nginx`` it measures what readers get instead: two app instances
(gunicorn, production settings) behind the nginx configuration of
docs/deployment.md, against the same nginx build serving a static file of the same
size as the widget JSON; requests/s and p99 with wrk in interleaved rounds; then,
under that load, the time from a recorded gift's commit to the first fresh answer
through nginx, over ``--gifts`` gifts.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ROOT,
    SLUG,
    WRK,
    Gunicorn,
    ServerSettings,
    cpu_seconds,
    machine,
    milliseconds,
    prepare,
    production_environment,
    wrk_version,
)

sys.path.insert(0, str(ROOT))
from tests.peers.nginx import NGINX, DocumentedNginx
from tests.peers.ports import free_port


@dataclass
class Sample:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    cpu_us_per_request: float  # server CPU time (all gunicorn processes) per request


# -- the database ---------------------------------------------------------------------


def seed_database(path: Path, donations: int) -> int:
    """Migrate a fresh SQLite file, create the drive, insert ``donations`` rows in bulk
    and set the drive's aggregate from a ledger recount. Returns the raised amount."""
    from sqlalchemy import update

    from donation_drive import create_app
    from donation_drive.extensions import db
    from donation_drive.ledger import recount_drive
    from donation_drive.models import Drive

    url = f"sqlite:///{path}"
    drive_id = prepare(url, path.parent)

    _bulk_insert(path, drive_id, donations)

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "ACCESS_LOG": False}, str(path.parent))
    with app.app_context():
        raised, count = recount_drive(drive_id)
        # Seeding only: the rows above bypassed the ledger, so the aggregate is set
        # once from the ledger's own recount of them.
        db.session.execute(
            update(Drive)
            .where(Drive.id == drive_id)
            .values(raised_amount=raised, donor_count=count)
        )
        db.session.commit()
        db.engine.dispose()
    return raised


def _bulk_insert(path: Path, drive_id: int, donations: int) -> None:
    methods = ("card", "paypal", "check", "amazon_gift_card", "bitcoin", "cash", "other")
    stamp = "2026-11-20 12:00:00.000000"  # SQLite keeps UTC datetimes as naive text

    def rows():
        for i in range(donations):
            method = methods[i % len(methods)]
            card = method == "card"
            yield (
                drive_id,
                500 + (i * 7919) % 100_000,  # $5 to $1,005, spread deterministically
                method,
                "stripe" if card else None,
                f"pi_bench_{i}" if card else None,
                f"ref-{i}" if not card else None,
            )

    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    with connection:
        connection.executemany(
            "INSERT INTO donations (version, drive_id, amount, currency, method, status,"
            " received_at, is_anonymous, provider, provider_ref, reference, entered_by,"
            " send_receipt, fee_covered_amount, refunded_amount, disputed_amount,"
            " created_at, updated_at)"
            " VALUES (1, ?, ?, 'USD', ?, 'succeeded', ?, 0, ?, ?, ?, 'bench',"
            " 0, 0, 0, 0, ?, ?)",
            ((d, a, m, stamp, p, r, ref, stamp, stamp) for d, a, m, p, r, ref in rows()),
        )
    connection.close()


# -- the load -------------------------------------------------------------------------


def load_with_wrk(url: str, args: argparse.Namespace) -> tuple[int, float, float, float]:
    output = subprocess.run(
        [
            WRK,
            f"-t{args.client_threads}",
            f"-c{args.connections}",
            f"-d{args.duration}s",
            "--latency",
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        raise RuntimeError(f"errors under load:\n{output}")
    count = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = milliseconds(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = milliseconds(re.search(r"\s99%\s+(\S+)", output).group(1))
    return count, rps, p50, p99


def load_with_threads(url: str, args: argparse.Namespace) -> tuple[int, float, float, float]:
    """Fallback without wrk: keep-alive connections from a thread pool."""
    parts = urllib.request.urlparse(url)
    deadline = time.monotonic() + args.duration
    latencies: list[float] = []
    lock = threading.Lock()

    def client() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        mine: list[float] = []
        while time.monotonic() < deadline:
            started = time.perf_counter()
            connection.request("GET", parts.path)
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"HTTP {response.status} under load")
            mine.append(time.perf_counter() - started)
        connection.close()
        with lock:
            latencies.extend(mine)

    started = time.monotonic()
    with ThreadPoolExecutor(args.connections) as pool:
        for future in [pool.submit(client) for _ in range(args.connections)]:
            future.result()
    elapsed = time.monotonic() - started
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    return len(latencies), len(latencies) / elapsed, p50, p99


@dataclass
class Target:
    url: str
    cpu_seconds: Callable[[], float]  # CPU time so far of every server process it uses


def measure(target: Target, args: argparse.Namespace) -> Sample:
    warm = argparse.Namespace(**{**vars(args), "duration": max(1, args.duration // 5)})
    loader = load_with_wrk if WRK else load_with_threads
    loader(target.url, warm)
    cpu_before = target.cpu_seconds()
    count, rps, p50, p99 = loader(target.url, args)
    cpu = target.cpu_seconds() - cpu_before
    return Sample(rps, p50, p99, cpu / count * 1e6)


# -- the run --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000000", help="donations per drive, comma list")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds; median wins")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--client-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument(
        "--through-nginx",
        action="store_true",
        help="two app instances behind the documented nginx, against nginx serving a file",
    )
    parser.add_argument("--gifts", type=int, default=20, help="with --through-nginx")
    parser.add_argument(
        "--without-nginx-row",
        action="store_true",
        help="leave out the widget JSON through the documented nginx from the CPU table",
    )
    args = parser.parse_args()
    if args.through_nginx:
        through_nginx(args)
        return
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"machine: {machine()}")
    if WRK is None:
        print(
            "WARNING: wrk not found (make bench-deps installs it): loading with Python "
            "threads instead, slower, and not comparable with docs/benchmarks.md",
            file=sys.stderr,
        )
    print(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads; "
        f"load: {wrk_version() or 'Python thread-pool client (no wrk)'}, "
        f"{args.connections} connections, "
        f"{args.duration}s x {args.rounds} rounds (median)"
    )
    settings = ServerSettings(args.workers, args.worker_class, args.threads)
    workdir = Path(tempfile.mkdtemp(prefix="dd-bench-"))
    started: list[Gunicorn | DocumentedNginx] = []
    targets: dict[str, Target] = {}
    path = f"/api/v1/drives/{SLUG}"
    try:
        for size in sizes:
            database = workdir / f"drive-{size}" / "bench.sqlite3"
            database.parent.mkdir()
            began = time.monotonic()
            raised = seed_database(database, size)
            took = time.monotonic() - began
            print(f"seeded {size:,} donations (${raised / 100:,.2f}) in {took:.1f}s")
            server = Gunicorn(
                "donation_drive:create_app()",
                production_environment(f"sqlite:///{database}"),
                settings,
                path,
            )
            started.append(server)
            targets[f"widget JSON, {size:,} donations"] = Target(
                server.url + path, server.cpu_seconds
            )
        # The widget as the documented deployment serves it: its CPU per request is
        # nginx's (master and workers) plus the app's, which gets only the refreshes.
        proxy = None if args.without_nginx_row else nginx_target(started[0], workdir, path)
        if proxy is not None:
            started.append(proxy)
            upstream = started[0]
            targets[f"widget JSON, {sizes[0]:,} donations, through the documented nginx"] = Target(
                proxy.url + path, lambda: cpu_seconds(proxy.process.pid) + upstream.cpu_seconds()
            )
        minimal = Gunicorn("minimal_app:app", {}, settings, "/ping")
        started.append(minimal)
        targets["minimal Flask endpoint"] = Target(minimal.url + "/ping", minimal.cpu_seconds)

        samples: dict[str, list[Sample]] = {name: [] for name in targets}
        for _ in range(args.rounds):
            for name, target in targets.items():
                samples[name].append(measure(target, args))
    finally:
        for thing in reversed(started):
            thing.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    report(samples)


def nginx_target(app: Gunicorn, workdir: Path, path: str) -> DocumentedNginx | None:
    """deployment.md's nginx (its micro-cache) in front of ``app``, or None without
    nginx or wrk."""
    if NGINX is None or WRK is None:
        print("no nginx or wrk (make system-deps bench-deps): no row through nginx")
        return None
    (workdir / "proxy").mkdir()
    return DocumentedNginx(workdir / "proxy", free_port(), app.port).wait_ready()


def report(samples: dict[str, list[Sample]]) -> None:
    """A Markdown table of the medians, the minimal endpoint (last) as the baseline."""
    fields = list(Sample.__annotations__)
    medians = {
        name: Sample(*(statistics.median(getattr(run, f) for run in runs) for f in fields))
        for name, runs in samples.items()
    }
    baseline = list(medians.values())[-1]
    print()
    print(
        "| endpoint | requests/s | p50 ms | p99 ms | server CPU µs/request "
        "| throughput vs minimal | CPU per request vs minimal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, m in medians.items():
        print(
            f"| {name} | {m.requests_per_second:,.0f} | {m.p50_ms:.2f} | {m.p99_ms:.2f} "
            f"| {m.cpu_us_per_request:,.0f} "
            f"| {m.requests_per_second / baseline.requests_per_second:.0%} "
            f"| {m.cpu_us_per_request / baseline.cpu_us_per_request:.0%} |"
        )
    print()
    for name, runs in samples.items():
        rounds = ", ".join(
            f"{run.requests_per_second:,.0f}/s {run.cpu_us_per_request:.0f}µs" for run in runs
        )
        print(f"rounds, {name}: {rounds}")
    # The CPU's speed drifts on a shared machine (the same loop took three times as
    # long from one minute to the next here): each round's ratio to the minimal
    # endpoint measured right after it is steadier than a ratio of medians.
    baseline_runs = list(samples.values())[-1]
    for name, runs in list(samples.items())[:-1]:
        ratios = [
            run.cpu_us_per_request / base.cpu_us_per_request
            for run, base in zip(runs, baseline_runs, strict=True)
        ]
        listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(
            f"CPU per request vs the minimal endpoint's in the same round, {name}: "
            f"median {statistics.median(ratios):.2f}x (rounds: {listed})"
        )


# -- through the documented nginx -----------------------------------------------------


def static_nginx(folder: Path, port: int, body: bytes) -> subprocess.Popen:
    """The same nginx binary, as a second server, serving ``body`` as a static file:
    the documented config's http block (same keep-alive, logging and worker
    defaults) with its server block replaced by one ``root``."""
    from tests.peers.nginx import documented_config, runnable

    (folder / "www").mkdir()
    (folder / "www" / "progress.json").write_bytes(body)
    config = runnable(documented_config(), folder, port, 1)
    server = (
        f"server {{\n    listen 127.0.0.1:{port};\n    access_log {folder / 'access.log'} "
        f"main_with_id;\n    location / {{ root {folder / 'www'}; "
        "default_type application/json; }\n}\n"
    )
    config = config[: config.index("server {")] + server + "}\n"
    (folder / "nginx.conf").write_text(config)
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/progress.json").close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return response.read()


def gift_to_fresh(database: Path, url: str, gifts: int) -> list[float]:
    """For each gift: seconds from its commit (the ledger call returning) to the first
    request through nginx whose answer shows it. Polls every 10 ms."""
    from datetime import UTC, datetime

    from donation_drive import create_app
    from donation_drive.extensions import db
    from donation_drive.ledger import get_drive, record_offline_donation

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}", "ACCESS_LOG": False},
        str(database.parent / "writer"),
    )
    took = []
    with app.app_context():
        for i in range(gifts):
            time.sleep(0.3 + (i * 0.37) % 1)  # land anywhere in nginx's second
            raised = get_drive(SLUG).raised_amount + 100 + i
            record_offline_donation(
                get_drive(SLUG),
                amount=100 + i,
                method="check",
                received_at=datetime.now(UTC),
                entered_by="bench",
                send_receipt=False,
            )
            committed = time.monotonic()
            db.session.remove()
            wanted = f'"raised_amount":{raised},'.encode()
            while True:
                sent = time.monotonic()
                if wanted in _get(url):
                    took.append(sent - committed)
                    break
                if sent - committed > 30:
                    raise RuntimeError("the gift never showed through nginx")
                time.sleep(0.01)
        db.engine.dispose()
    return took


def through_nginx(args: argparse.Namespace) -> None:
    if NGINX is None or WRK is None:
        raise SystemExit("--through-nginx needs nginx and wrk: make system-deps bench-deps")
    print(f"machine: {machine()}")
    nginx_version = subprocess.run(
        [NGINX, "-v"], capture_output=True, text=True, check=False
    ).stderr.strip()
    print(
        f"{nginx_version}; two app instances, each gunicorn {args.workers} workers, "
        f"{args.worker_class}, {args.threads} threads; load: {wrk_version()}, "
        f"{args.connections} connections, {args.duration}s x {args.rounds} rounds (median)"
    )
    settings = ServerSettings(args.workers, args.worker_class, args.threads)
    workdir = Path(tempfile.mkdtemp(prefix="dd-bench-nginx-"))
    started: list = []
    try:
        database = workdir / "bench.sqlite3"
        seed_database(database, 100)
        path = f"/api/v1/drives/{SLUG}"
        env = production_environment(f"sqlite:///{database}")
        apps = [Gunicorn("donation_drive:create_app()", env, settings, path) for _ in range(2)]
        started.extend(apps)
        (workdir / "proxy").mkdir()
        proxy = DocumentedNginx(workdir / "proxy", free_port(), [a.port for a in apps])
        proxy.wait_ready()
        started.append(proxy)
        body = _get(proxy.url + path)
        (workdir / "static").mkdir()
        static_port = free_port()
        static = static_nginx(workdir / "static", static_port, body)
        started.append(static)
        targets = {
            "widget JSON through the documented nginx": proxy.url + path,
            f"nginx serving a static file of the same size ({len(body)} bytes)": (
                f"http://127.0.0.1:{static_port}/progress.json"
            ),
        }
        runs: dict[str, list[tuple[float, float, float]]] = {name: [] for name in targets}
        warm = argparse.Namespace(**{**vars(args), "duration": max(1, args.duration // 5)})
        for _ in range(args.rounds):
            for name, url in targets.items():
                load_with_wrk(url, warm)
                _, rps, p50, p99 = load_with_wrk(url, args)
                runs[name].append((rps, p50, p99))

        # Freshness under the same load: wrk keeps nginx's copy hot meanwhile.
        loaded = subprocess.Popen(
            [WRK, "-t1", "-c8", "-d600s", proxy.url + path],  # (-d3600s overflows)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            time.sleep(1)
            if loaded.poll() is not None:
                raise RuntimeError("wrk did not keep loading nginx")
            took = gift_to_fresh(database, proxy.url + path, args.gifts)
        finally:
            loaded.terminate()
            loaded.wait()
    finally:
        for thing in reversed(started):
            if isinstance(thing, subprocess.Popen):
                thing.terminate()
                thing.wait()
            else:
                thing.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    medians = {
        name: tuple(statistics.median(run[i] for run in rs) for i in range(3))
        for name, rs in runs.items()
    }
    static_rps = list(medians.values())[-1][0]
    print()
    print("| served | requests/s | p50 ms | p99 ms | vs static file |")
    print("|---|---:|---:|---:|---:|")
    for name, (rps, p50, p99) in medians.items():
        print(f"| {name} | {rps:,.0f} | {p50:.2f} | {p99:.2f} | {rps / static_rps:.0%} |")
    print()
    for name, rs in runs.items():
        print(f"rounds, {name}: " + ", ".join(f"{r[0]:,.0f}/s p99 {r[2]:.2f} ms" for r in rs))
    took.sort()
    print()
    print(
        f"gift to first fresh answer through nginx ({len(took)} gifts, under wrk -c8 load): "
        f"median {statistics.median(took):.2f} s, max {took[-1]:.2f} s, "
        f"min {took[0]:.2f} s; all: " + ", ".join(f"{t:.2f}" for t in took)
    )


if __name__ == "__main__":
    main()
