"""``donation-drive reconcile``: one run now per configured provider (Stripe, and
PayPal when it is configured; ``--provider`` picks one), counts and findings printed."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..cli_errors import domain_errors
from ..errors import WorkLeftPending
from ..leases import RECONCILE, LeaseBusy, held_lease
from ..ledger.validation import parse_datetime
from ..models import ReconcileRun
from ..providers.paypal import is_enabled as paypal_enabled
from .paypal import reconcile_paypal
from .runs import abandon_interrupted_runs, reconcile_payments

PROVIDER_NAMES = {"stripe": "Stripe", "paypal": "PayPal"}


@click.command(
    "reconcile",
    help="Compare Stripe (and PayPal, when configured) with the ledger once and repair "
    "the gaps. Exits 1 when a run failed (a provider unreachable, say); the next run "
    "covers the same window again.",
)
@click.option(
    "--since",
    default=None,
    help="Look back at least to this date (ISO, UTC unless given). "
    "Default: the last successful run's start, less RECONCILE_OVERLAP_SECONDS.",
)
@click.option("--dry-run", is_flag=True, help="Report what a run would do; write nothing.")
@click.option(
    "--provider",
    type=click.Choice(sorted(PROVIDER_NAMES)),
    default=None,
    help="Reconcile only this provider (default: every configured one).",
)
@with_appcontext
@domain_errors
def reconcile_command(since: str | None, dry_run: bool, provider: str | None) -> None:
    since_at = parse_datetime(since, "since") if since else None
    if provider == "paypal" and not paypal_enabled():
        raise click.UsageError("PayPal is not configured (docs/paypal.md)")
    chosen = [provider] if provider else ["stripe"] + (["paypal"] if paypal_enabled() else [])
    runners = {"stripe": reconcile_payments, "paypal": reconcile_paypal}
    runs: list[ReconcileRun] = []
    if dry_run:
        # A dry run writes nothing, so it may run beside a real one.
        runs = [runners[name](since_at, dry_run=True) for name in chosen]
    else:
        try:
            with held_lease(RECONCILE) as lease:
                abandon_interrupted_runs()
                runs = [runners[name](since_at, heartbeat=lease.keep_alive) for name in chosen]
        except LeaseBusy as exc:
            raise click.ClickException(f"not started: {exc}") from None
    for run in runs:
        _print_run(run)
    failed = [run for run in runs if run.status != "succeeded"]
    if failed:
        # One line on stderr and exit 1; the next run covers the same window again.
        run = failed[0]
        label = "dry run" if run.dry_run else f"run {run.id}"
        raise WorkLeftPending(f"reconcile {label} failed: {run.error or 'no error recorded'}")


def _print_run(run: ReconcileRun) -> None:
    label = "Dry run" if run.dry_run else f"Run {run.id}"
    window = run.since.isoformat(timespec="seconds") if run.since else "the beginning"
    name = PROVIDER_NAMES.get(run.provider or "stripe", run.provider)
    click.echo(f"{label} {run.status} ({name} records from {window})")
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
