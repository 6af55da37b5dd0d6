"""Benchmark: how long the ``donation-drive`` console script takes to start.

Times ``donation-drive --help`` and ``donation-drive drive list`` (on a migrated SQLite
database in a temporary folder, holding one drive) against ``python -c pass`` with the
same interpreter, in the same run. The three commands run in turn, round after round,
so a machine that speeds up or slows down during the run affects them alike; each
figure is the median of the rounds, and the ratio to ``python -c pass`` is taken round
by round. Wall time is measured around each process; CPU time (user + system) is the
operating system's accounting of the finished child (``getrusage``).

    .venv/bin/python bench/cli_startup.py               # 10 rounds after 2 warm-ups
    .venv/bin/python bench/cli_startup.py --rounds 20
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import BIN, ROOT, database, machine

TARGET_SECONDS = 0.5  # issue 12: --help and drive list start in at most this


@dataclass
class Run:
    wall: float
    cpu: float


def timed(command: list[str], env: dict[str, str], cwd: str) -> Run:
    """Run ``command`` to its end, its output thrown away; fail loudly if it fails."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    finished = subprocess.run(command, env=env, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if finished.returncode != 0:
        raise SystemExit(
            f"{' '.join(command)} exited {finished.returncode}:\n"
            f"{finished.stderr.decode(errors='replace')[-2000:]}"
        )
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall, cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10, help="counted rounds; median wins")
    parser.add_argument("--warmup", type=int, default=2, help="rounds not counted, first")
    args = parser.parse_args()

    script = str(BIN / "donation-drive")
    commands = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "donation-drive --help": [script, "--help"],
        "donation-drive drive list": [script, "drive", "list"],
    }
    print(f"machine: {machine()}")
    print(f"code: {ROOT}; {args.rounds} rounds after {args.warmup} warm-up, commands in turn")

    with database("sqlite") as db:
        env = {**os.environ, "DONATION_DRIVE_ENV": "development", "DATABASE_URL": db.url}
        folder = str(Path(db.url.removeprefix("sqlite:///")).parent)
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for round_number in range(args.warmup + args.rounds):
            for name, command in commands.items():
                run = timed(command, env, folder)
                if round_number >= args.warmup:
                    runs[name].append(run)
    report(runs)


def report(runs: dict[str, list[Run]]) -> None:
    """A Markdown table of medians (min-max), with ratios to ``python -c pass``."""
    baseline = runs["python -c pass"]
    print()
    print(
        "| command | wall s, median (min-max) | CPU s, median "
        "| wall vs `python -c pass` | CPU vs `python -c pass` |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, samples in runs.items():
        walls = [run.wall for run in samples]
        pairs = list(zip(samples, baseline, strict=True))
        wall_ratio = statistics.median(run.wall / base.wall for run, base in pairs)
        cpu_ratio = statistics.median(run.cpu / max(base.cpu, 1e-3) for run, base in pairs)
        print(
            f"| `{name}` | {statistics.median(walls):.3f} ({min(walls):.3f}-{max(walls):.3f}) "
            f"| {statistics.median(run.cpu for run in samples):.3f} "
            f"| {wall_ratio:.1f}x | {cpu_ratio:.1f}x |"
        )
    print()
    for name in ("donation-drive --help", "donation-drive drive list"):
        median = statistics.median(run.wall for run in runs[name])
        verdict = "within" if median <= TARGET_SECONDS else "over"
        print(f"{name}: median wall {median:.3f} s, {verdict} the {TARGET_SECONDS} s target")


if __name__ == "__main__":
    main()
