"""CLI: ``donation-drive send-emails`` and ``donation-drive resend-receipt``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from ..cli_errors import domain_errors


@click.command(
    "send-emails",
    help="Send the outbox emails that are due (receipts), once each. Exits 1 when some "
    "could not be sent because the mail server is down or deferred them (they stay queued).",
)
@click.option(
    "--limit", default=500, show_default=True, type=click.IntRange(min=1), help="At most this many."
)
@with_appcontext
@domain_errors
def send_emails_command(limit: int) -> None:
    from ..errors import WorkLeftPending
    from .sender import send_due_emails

    report = send_due_emails(limit=limit)
    click.echo(report.summary())
    failure = report.failure()
    if failure:  # cron and monitors read the exit status
        raise WorkLeftPending(failure)


@click.command("resend-receipt", help="Queue a copy of a donation's receipt.")
@click.argument("donation_id", type=int)
@click.option("--to", "to_address", default=None, help="Send to this address instead.")
@click.option("--requested-by", default="cli", show_default=True, help="Who asked, for the record.")
@with_appcontext
@domain_errors
def resend_receipt_command(donation_id: int, to_address: str | None, requested_by: str) -> None:
    from .resend import resend_receipt

    email = resend_receipt(donation_id, to_address=to_address, requested_by=requested_by)
    click.echo(
        f"Queued a copy of receipt {email.donation.receipt_number} to {email.to_address} "
        f"(outbox email {email.id}); `donation-drive send-emails` or the worker sends it."
    )


def register_commands(app: Flask) -> None:
    app.cli.add_command(send_emails_command)
    app.cli.add_command(resend_receipt_command)
