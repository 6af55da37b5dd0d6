"""``donation-drive reconcile [--since DATE] [--dry-run]``."""

from __future__ import annotations

from sqlalchemy import func, select

from donation_drive.extensions import db
from donation_drive.leases import Lease
from donation_drive.models import Donation, ReconcileRun
from tests.peers.ports import free_port

from .conftest import pay


def test_reconcile_prints_its_counts_and_findings(app, runner, drive, stripe_api):
    pay(stripe_api, 2_500)

    result = runner.invoke(args=["reconcile"])

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("Run 1 succeeded (Stripe records from ")
    assert lines[1] == "checked 1, created 1, updated 0, flagged 0"
    assert "- [webhooks_missing] 1 payment was missing: webhooks may not be arriving" in (
        result.output
    )
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 1


def test_dry_run_prints_the_same_report_and_stores_nothing(app, runner, drive, stripe_api):
    pay(stripe_api, 2_500)

    result = runner.invoke(args=["reconcile", "--dry-run", "--since", "2020-01-01"])

    assert result.exit_code == 0, result.output
    assert result.output.startswith("Dry run succeeded (Stripe records from 2020-01-01T00:00:00")
    assert "checked 1, created 1, updated 0, flagged 0" in result.output
    assert "1 payment is missing (dry run: nothing was recorded)" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReconcileRun)) == 0
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0


def test_a_bad_date_names_the_since_option(app, runner, drive):
    result = runner.invoke(args=["reconcile", "--since", "last tuesday"])

    assert result.exit_code == 2
    assert "'since'" in result.output and "is not a date" in result.output


def test_a_run_held_elsewhere_is_not_started(app, runner, drive, stripe_api):
    assert Lease("reconcile", "worker-on-another-host").acquire()

    result = runner.invoke(args=["reconcile"])

    assert result.exit_code == 1
    assert "not started: job 'reconcile' is held by worker-on-another-host until" in result.output
    assert db.session.scalar(select(func.count()).select_from(ReconcileRun)) == 0


def test_stripe_unreachable_exits_1_with_one_line_and_the_next_run_catches_up(
    app, runner, drive, stripe_api
):
    pay(stripe_api, 2_500)
    emulator = app.config["STRIPE_API_BASE"]
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"  # nothing listens

    down = runner.invoke(args=["reconcile"])

    assert down.exit_code == 1
    lines = down.stderr.splitlines()
    assert len(lines) == 1, down.stderr
    assert lines[0].startswith("Error: reconcile run 1 failed: Stripe APIConnectionError: ")
    assert down.stdout.startswith("Run 1 failed (Stripe records from ")
    db.session.rollback()
    run = db.session.get(ReconcileRun, 1)
    assert run.status == "failed" and run.error.startswith("Stripe APIConnectionError")
    assert run.finished_at is not None
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 0

    app.config["STRIPE_API_BASE"] = emulator
    up = runner.invoke(args=["reconcile"])

    # The failed run moved no window forward: the next one finds the payment.
    assert up.exit_code == 0, up.output
    assert up.stderr == ""
    assert "Run 2 succeeded" in up.stdout and "created 1" in up.stdout
    assert db.session.scalar(select(func.count()).select_from(Donation)) == 1


def test_a_failed_dry_run_exits_1_too(app, runner, drive):
    app.config["STRIPE_API_BASE"] = f"http://127.0.0.1:{free_port()}"

    result = runner.invoke(args=["reconcile", "--dry-run"])

    assert result.exit_code == 1
    assert result.stderr.startswith("Error: reconcile dry run failed: Stripe APIConnectionError")
    assert result.stderr.count("\n") == 1
    assert db.session.scalar(select(func.count()).select_from(ReconcileRun)) == 0
