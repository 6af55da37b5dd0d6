"""CLI groups for drives, offline donations and the demo data."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask.cli import with_appcontext

from .amount_text import parse_amount
from .cli import domain_errors
from .errors import DonationDriveError
from .ledger import DonorDetails, create_drive, get_drive, list_drives, record_offline_donation
from .ledger.validation import check_drive_currency, parse_datetime, validate_currency
from .models import OFFLINE_METHODS


def options_named(**options: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Report a domain field under the name of the option that set it (``donor_email``
    is ``--email`` here), so the error names what the person typed."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return command(*args, **kwargs)
            except DonationDriveError as exc:
                if exc.field in options:
                    exc.field = options[exc.field]
                raise

        return wrapper

    return decorate


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
    from .formatting import format_money

    for drive in list_drives():
        raised = format_money(drive.raised_amount, drive.currency, drive.locale)
        goal = format_money(drive.goal_amount, drive.currency, drive.locale)
        click.echo(f"{drive.slug}\t{drive.title}\t{raised} of {goal}")


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
    from .models import utcnow

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


@click.command(
    "demo",
    help="Create the demo drives with sample donations (once): this year's, running "
    "today, and last year's, ended.",
)
@with_appcontext
@domain_errors
def demo_command() -> None:
    from .demo import create_demo_drive, demo_plans
    from .formatting import format_day, format_money, organisation_timezone
    from .ledger import drive_progress
    from .models import utcnow
    from .widget.presentation import schedule_status

    now = utcnow()
    for plan in demo_plans(now, organisation_timezone()):
        outcome = create_demo_drive(plan, now)
        drive = outcome.drive
        if outcome.left_alone:
            click.echo(f"Drive {drive.slug!r} exists and holds no demo entries: left as it is.")
            continue
        if outcome.created:
            click.echo(
                f"Created demo drive {drive.slug!r}: {drive.title}, "
                f"{format_day(drive.starts_at)} to {format_day(drive.ends_at)}."
            )
        else:
            click.echo(f"Demo drive {drive.slug!r} already exists.")
        if outcome.gifts_added:
            click.echo(f"Recorded {outcome.gifts_added} sample donations.")
        progress = drive_progress(drive.slug, fresh=True)
        click.echo(
            f"Raised {format_money(progress.raised_amount, progress.currency)} of "
            f"{format_money(progress.goal_amount, progress.currency)}; "
            f"{schedule_status(progress.schedule).lower()}."
        )


@click.command(
    "dev",
    help="Run everything for local development: schema, demo drive, "
    "the Stripe emulator, the worker and the web server.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def dev_command(host: str, port: int) -> None:
    from .devserver import run_development

    run_development(host=host, port=port)
