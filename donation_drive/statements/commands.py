"""CLI: ``donation-drive statements send --year Y [--dry-run] [--donor EMAIL] [--resend]``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..cli_errors import domain_errors


@click.group("statements", help="Year-end giving statements.")
def statements_cli() -> None:
    pass


@statements_cli.command(
    "send",
    help="Queue one giving statement (PDF) for each donor with giving in the year and send "
    "the outbox. Each donor gets one per year; --resend sends a copy.",
)
@click.option(
    "--year", required=True, type=int, help="Calendar year (or fiscal year ending in it)."
)
@click.option("--dry-run", is_flag=True, help="List who would get one; queue and send nothing.")
@click.option("--donor", "donor_email", default=None, help="Only the donor with this email.")
@click.option("--resend", is_flag=True, help="Send again to donors who already got one.")
@click.option("--requested-by", default="cli", show_default=True, help="Who asked, for the record.")
@with_appcontext
@domain_errors
def send_command(
    year: int, dry_run: bool, donor_email: str | None, resend: bool, requested_by: str
) -> None:
    from ..errors import WorkLeftPending
    from ..formatting import format_money
    from .send import send_statements

    run = send_statements(
        year, donor_email=donor_email, resend=resend, dry_run=dry_run, requested_by=requested_by
    )
    verb = "would send" if dry_run else "statement"
    for planned in run.planned:
        total = ", ".join(format_money(a, c) for c, a in planned.totals.items())
        who = planned.email or f"donor {planned.donor_id}"
        if planned.skip:
            click.echo(f"skip {who}: {planned.skip}")
        else:
            click.echo(f"{verb} {who}: {planned.gifts} gifts, {total}")
    if dry_run:
        click.echo(
            f"Dry run: {len(run.to_send)} statements for {run.period.title} would be sent; "
            "nothing was queued or sent."
        )
        return
    click.echo(f"Queued {run.queued} statements for {run.period.title}.")
    if not run.queued:
        return
    from ..emails.sender import send_due_emails

    report = send_due_emails(limit=max(run.queued, 100))
    click.echo(f"Outbox: {report.summary()}")
    failure = report.failure()
    if failure:
        raise WorkLeftPending(failure)


def register_commands(app: Flask) -> None:
    app.cli.add_command(statements_cli)
