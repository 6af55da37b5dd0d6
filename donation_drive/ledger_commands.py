"""The ledger's commands: ``donation-drive drive create|list`` and ``donation-drive
donation add``. Beside the ledger package, not in it: the ledger imports only the
models and the database helpers (tests/ledger/test_boundaries.py), and these commands
also need the amount parser, the formatting and the CLI's error reporting."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from .amount_text import parse_amount
from .cli_errors import domain_errors, options_named
from .formatting import format_money
from .ledger import DonorDetails, create_drive, get_drive, list_drives, record_offline_donation
from .ledger.validation import check_drive_currency, parse_datetime, validate_currency
from .models import OFFLINE_METHODS, utcnow


def register_commands(app: Flask) -> None:
    app.cli.add_command(drive_cli)
    app.cli.add_command(donation_cli)


@click.group("drive", help="Create and list drives.")
def drive_cli() -> None:
    pass


@drive_cli.command("create")
@click.option("--slug", required=True, help="URL name, e.g. 2025-end-of-year.")
@click.option("--title", required=True)
@click.option("--goal", required=True, help="Goal in major units, e.g. 75000.")
@click.option("--currency", default="USD", show_default=True)
@click.option("--starts", required=True, help="Start date or date-time (ISO).")
@click.option("--ends", required=True, help="End date or date-time (ISO).")
@click.option("--timezone", default="UTC", show_default=True, help="For dates given without one.")
@click.option("--description", default="")
@click.option("--locale", default="en_US", show_default=True)
@with_appcontext
@domain_errors
@options_named(starts_at="starts", ends_at="ends")
def create_drive_command(slug, title, goal, currency, starts, ends, timezone, description, locale):
    currency = validate_currency(currency)
    drive = create_drive(
        slug=slug,
        title=title,
        goal_amount=parse_amount(goal, currency, locale=locale, field="goal"),
        currency=currency,
        starts_at=parse_datetime(starts, "starts", tz=timezone),
        ends_at=parse_datetime(ends, "ends", tz=timezone, end_of_day=True),
        description=description,
        locale=locale,
    )
    click.echo(f"Created drive {drive.slug!r}: {drive.title}")


@drive_cli.command("list")
@with_appcontext
def list_drives_command() -> None:
    for drive in list_drives():
        raised = format_money(drive.raised_amount, drive.currency, drive.locale)
        goal = format_money(drive.goal_amount, drive.currency, drive.locale)
        click.echo(f"{drive.slug}\t{drive.title}\t{raised} of {goal}")


@drive_cli.command(
    "check",
    help="Recount a drive's raised amount, donors and gifts from its gifts and compare them "
    "with the running figures the widget shows; exits 1 when they differ.",
)
@click.argument("slug")
@with_appcontext
@domain_errors
def check_drive_command(slug: str) -> None:
    from .ledger import check_drive_figures, recount_drive_figures

    drive = get_drive(slug)
    figures = recount_drive_figures(drive.id)
    differences = check_drive_figures(drive.id)
    click.echo(
        f"{drive.slug}: raised {figures.raised_amount}, {figures.donor_count} donors, "
        f"{figures.gift_count} gifts (recounted from the gifts)"
    )
    if differences:
        for name, (kept, recounted) in differences.items():
            click.echo(f"differs: {name} kept {kept}, recounted {recounted}", err=True)
        raise click.exceptions.Exit(1)
    click.echo("The running figures agree.")


@click.group("donation", help="Record offline donations.")
def donation_cli() -> None:
    pass


@donation_cli.command("add")
@click.option("--drive", "drive_slug", required=True, help="Drive slug.")
@click.option("--amount", required=True, help="Amount in major units, e.g. 25.00.")
@click.option("--method", required=True, help=f"One of: {', '.join(OFFLINE_METHODS)}.")
@click.option("--received", default=None, help="Date received (ISO); default now.")
@click.option("--currency", default=None, help="Defaults to the drive's currency.")
@click.option("--name", default=None)
@click.option("--email", default=None)
@click.option("--display-name", default=None, help="Name shown publicly, if not the name.")
@click.option("--anonymous", is_flag=True, help="Do not show the donor's name publicly.")
@click.option("--message", default=None)
@click.option("--reference", default=None, help="Check number, transaction id or hash.")
@click.option("--note", default=None, help="Private note for admins.")
@click.option("--no-receipt", is_flag=True, help="Do not email a thank-you receipt.")
@click.option("--entered-by", default="cli", show_default=True)
@with_appcontext
@domain_errors
@options_named(donor_name="name", donor_email="email", display_name="display-name")
def add_donation_command(
    drive_slug,
    amount,
    method,
    received,
    currency,
    name,
    email,
    display_name,
    anonymous,
    message,
    reference,
    note,
    no_receipt,
    entered_by,
):
    drive = get_drive(drive_slug)
    currency = check_drive_currency(drive, currency or drive.currency)
    donation = record_offline_donation(
        drive,
        amount=parse_amount(amount, currency, locale=drive.locale),
        method=method,
        received_at=parse_datetime(received, "received") if received else utcnow(),
        entered_by=entered_by,
        donor=DonorDetails(
            name=name,
            email=email,
            display_name=display_name,
            is_anonymous=anonymous,
            message=message,
        ),
        currency=currency,
        reference=reference,
        note=note,
        send_receipt=not no_receipt,
    )
    click.echo(f"Recorded donation {donation.id} ({donation.receipt_number})")
