"""Benchmark: the widget JSON's 304 path (a client or proxy revalidating with
If-None-Match) and the checkout page render (GET /donate/<slug>), under gunicorn on
loopback with production settings, loaded by wrk.

    .venv/bin/python bench/pages.py
    .venv/bin/python bench/pages.py --database postgresql --duration 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import urllib.error
import urllib.request

from harness import SLUG, Load, ServerSettings, app_server, database, machine, wrk


def etag_of(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return response.headers["ETag"]


def check_status(url: str, headers: dict[str, str], expected: int) -> None:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != expected:
        raise SystemExit(f"{url} answered {status}, expected {expected}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per round")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved; median wins")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    print(f"machine: {machine()}")
    print(
        f"gunicorn: {args.workers} workers, gthread, {args.threads} threads; wrk: 2 threads, "
        f"{args.connections} connections, {args.duration}s x {args.rounds} rounds (median); "
        f"database: {args.database}"
    )
    with database(args.database) as db:
        server = app_server(db.url, ServerSettings(workers=args.workers, threads=args.threads))
        try:
            progress = f"{server.url}/api/v1/drives/{SLUG}"
            etag = etag_of(progress)
            cases = {
                "widget JSON, 304 (If-None-Match)": (progress, {"If-None-Match": etag}, 304),
                "widget JSON, 200": (progress, {}, 200),
                "checkout page, GET /donate/<slug>": (f"{server.url}/donate/{SLUG}", {}, 200),
            }
            for target, headers, expected in cases.values():
                check_status(target, headers, expected)
            samples: dict[str, list[Load]] = {name: [] for name in cases}
            for _ in range(args.rounds):
                for name, (target, headers, _expected) in cases.items():
                    samples[name].append(
                        wrk(
                            target,
                            duration=args.duration,
                            connections=args.connections,
                            headers=headers,
                            server_pid=server.process.pid,
                        )
                    )
        finally:
            server.stop()

    print()
    print(
        f"| {'endpoint':<34} | {'requests/s':>10} | {'p50 ms':>7} | {'p99 ms':>7} "
        f"| {'server CPU µs/request':>21} |"
    )
    print(f"|{'-' * 36}|{'-' * 11}:|{'-' * 8}:|{'-' * 8}:|{'-' * 22}:|")
    for name, loads in samples.items():
        if not all(load.statuses_ok for load in loads):
            raise SystemExit(f"{name}: errors or unexpected statuses under load")
        print(
            f"| {name:<34} | {statistics.median(x.requests_per_second for x in loads):>10,.0f} "
            f"| {statistics.median(x.p50_ms for x in loads):>7.2f} "
            f"| {statistics.median(x.p99_ms for x in loads):>7.2f} "
            f"| {statistics.median(x.server_cpu_us for x in loads):>21,.0f} |"
        )
    for name, loads in samples.items():
        rounds = ", ".join(
            f"{x.requests_per_second:,.0f}/s {x.server_cpu_us:,.0f} µs" for x in loads
        )
        print(f"rounds, {name}: {rounds}")


if __name__ == "__main__":
    main()
