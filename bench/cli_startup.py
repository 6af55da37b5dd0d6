"""Benchmark: how long the ``donation-drive`` console script takes to start.

Times ``donation-drive --help`` and ``donation-drive drive list`` (on a migrated SQLite
database in a temporary folder, holding one drive) in the same run as two yardsticks
with the same interpreter: ``python -c pass``, and ``bench/minimal_cli.py list``, the
least a Flask + Flask-SQLAlchemy command can do. The commands run in turn, round after
round, so a machine that speeds up or slows down during the run affects them alike;
each figure is the median of the rounds, and each ratio is taken round by round. Wall
time is measured around each process; CPU time (user + system) is the operating
system's accounting of the finished child (``getrusage``).

It also says where the console script's package comes from and how many of its modules
have up-to-date cached bytecode: without it (an editable install under
``PYTHONDONTWRITEBYTECODE=1``, as on the machine of docs/benchmarks.md) every start
compiles the package again; ``make`` compiles it once after installing.

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

from harness import BIN, database, machine

TARGET_SECONDS = 0.5  # issue 12: --help and drive list start in at most this

# Run by the same interpreter and environment as the commands.
BYTECODE_PROBE = """
import pathlib, importlib.util, donation_drive
package = pathlib.Path(donation_drive.__file__).parent
sources = list(package.rglob("*.py"))
def fresh(source):
    cached = pathlib.Path(importlib.util.cache_from_source(str(source)))
    return cached.exists() and cached.stat().st_mtime >= source.stat().st_mtime
print(f"{package}: cached bytecode for {sum(map(fresh, sources))} of {len(sources)} modules")
"""


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
        "minimal Flask CLI": [
            sys.executable,
            str(Path(__file__).with_name("minimal_cli.py")),
            "list",
        ],
        "donation-drive --help": [script, "--help"],
        "donation-drive drive list": [script, "drive", "list"],
    }
    print(f"machine: {machine()}")
    print(f"{args.rounds} rounds after {args.warmup} warm-up, the commands in turn")

    with database("sqlite") as db:
        folder = str(Path(db.url.removeprefix("sqlite:///")).parent)
        env = {
            **os.environ,
            "DONATION_DRIVE_ENV": "development",
            "DATABASE_URL": db.url,
            "DONATION_DRIVE_INSTANCE_PATH": folder,
        }
        probe = [sys.executable, "-c", BYTECODE_PROBE]
        print(f"package: {subprocess.check_output(probe, env=env, text=True).strip()}")
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for round_number in range(args.warmup + args.rounds):
            for name, command in commands.items():
                run = timed(command, env, folder)
                if round_number >= args.warmup:
                    runs[name].append(run)
    report(runs)


def report(runs: dict[str, list[Run]]) -> None:
    """A Markdown table of medians (min-max), with ratios to ``python -c pass`` and to
    the minimal Flask CLI, each taken round by round."""

    def ratio(samples: list[Run], baseline: list[Run], figure: str) -> float:
        pairs = zip(samples, baseline, strict=True)
        return statistics.median(
            getattr(run, figure) / max(getattr(base, figure), 1e-3) for run, base in pairs
        )

    python, minimal = runs["python -c pass"], runs["minimal Flask CLI"]
    print()
    print(
        "| command | wall s, median (min-max) | CPU s, median | wall vs `python -c pass` "
        "| CPU vs `python -c pass` | wall vs minimal Flask CLI |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, samples in runs.items():
        walls = [run.wall for run in samples]
        print(
            f"| `{name}` | {statistics.median(walls):.3f} ({min(walls):.3f}-{max(walls):.3f}) "
            f"| {statistics.median(run.cpu for run in samples):.3f} "
            f"| {ratio(samples, python, 'wall'):.1f}x | {ratio(samples, python, 'cpu'):.1f}x "
            f"| {ratio(samples, minimal, 'wall'):.2f}x |"
        )
    print()
    for name in ("donation-drive --help", "donation-drive drive list"):
        median = statistics.median(run.wall for run in runs[name])
        verdict = "within" if median <= TARGET_SECONDS else "over"
        print(f"{name}: median wall {median:.3f} s, {verdict} the {TARGET_SECONDS} s target")


if __name__ == "__main__":
    main()
