"""``donation-drive reconcile``: one run now, its counts and findings printed."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..cli_errors import domain_errors
from ..errors import WorkLeftPending
from ..leases import RECONCILE, LeaseBusy, held_lease
from ..ledger.validation import parse_datetime
from ..models import ReconcileRun
from .runs import abandon_interrupted_runs, reconcile_payments


@click.command(
    "reconcile",
    help="Compare Stripe with the ledger once and repair the gaps. Exits 1 when the run "
    "failed (Stripe unreachable, say); the next run covers the same window again.",
)
@click.option(
    "--since",
    default=None,
    help="Look back at least to this date (ISO, UTC unless given). "
    "Default: the last successful run's start, less RECONCILE_OVERLAP_SECONDS.",
)
@click.option("--dry-run", is_flag=True, help="Report what a run would do; write nothing.")
@with_appcontext
@domain_errors
def reconcile_command(since: str | None, dry_run: bool) -> None:
    since_at = parse_datetime(since, "since") if since else None
    if dry_run:
        # A dry run writes nothing, so it may run beside a real one.
        run = reconcile_payments(since_at, dry_run=True)
    else:
        try:
            with held_lease(RECONCILE) as lease:
                abandon_interrupted_runs()
                run = reconcile_payments(since_at, heartbeat=lease.keep_alive)
        except LeaseBusy as exc:
            raise click.ClickException(f"not started: {exc}") from None
    _print_run(run)
    if run.status != "succeeded":
        # One line on stderr and exit 1; the next run covers the same window again.
        label = "dry run" if run.dry_run else f"run {run.id}"
        raise WorkLeftPending(f"reconcile {label} failed: {run.error or 'no error recorded'}")


def _print_run(run: ReconcileRun) -> None:
    label = "Dry run" if run.dry_run else f"Run {run.id}"
    window = run.since.isoformat(timespec="seconds") if run.since else "the beginning"
    click.echo(f"{label} {run.status} (Stripe records from {window})")
    click.echo(
        f"checked {run.checked}, created {run.created}, "
        f"updated {run.updated}, flagged {run.flagged}"
    )
    findings = run.findings
    if not findings:
        click.echo("No findings.")
        return
    click.echo(f"{len(findings)} finding(s):")
    for finding in findings:
        click.echo(f"- [{finding.kind}] {finding.message}")


def register_commands(app: Flask) -> None:
    app.cli.add_command(reconcile_command)
