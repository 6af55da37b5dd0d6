"""CLI: ``donation-drive donor export EMAIL`` and ``donation-drive donor erase EMAIL``,
the privacy requests. Both are audited on the donor; both exit non-zero, naming the
email, when no donor has it."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import with_appcontext

from ..cli_errors import domain_errors


@click.group("donor", help="Privacy requests about one donor, found by email.")
def donor_cli() -> None:
    pass


@donor_cli.command("export", help="Print, as JSON, everything held about the donor of EMAIL.")
@click.argument("email")
@click.option("--output", "-o", type=click.File("w"), default="-", help="File to write (stdout).")
@click.option("--requested-by", default="cli", show_default=True, help="Who asked, for the audit.")
@with_appcontext
@domain_errors
def export_command(email: str, output, requested_by: str) -> None:
    from ..ledger.donors import note_donor_event
    from .records import donor_by_email, export_donor

    donor = donor_by_email(email)
    data = export_donor(donor.id)
    note_donor_event(
        donor.id, actor=requested_by, action="exported", details={"gifts": len(data["gifts"])}
    )
    json.dump(data, output, indent=2, ensure_ascii=False)
    output.write("\n")


@donor_cli.command(
    "erase",
    help="Remove the name, email, message and address of the donor of EMAIL from every "
    "gift, email and the donor record; amounts, dates, receipt numbers and totals stay.",
)
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--requested-by", default="cli", show_default=True, help="Who asked, for the audit.")
@with_appcontext
@domain_errors
def erase_command(email: str, yes: bool, requested_by: str) -> None:
    from ..ledger.donors import erase_donor
    from .records import donor_by_email

    donor = donor_by_email(email)
    if not yes:
        click.confirm(
            f"Erase the personal data of donor {donor.id} ({email.strip()})? This cannot be undone",
            abort=True,
        )
    done = erase_donor(donor.id, actor=requested_by)
    click.echo(
        f"Erased donor {donor.id}: {done['gifts']} gifts and {done.get('emails', 0)} emails "
        "cleared; amounts and totals unchanged."
    )


def register_commands(app: Flask) -> None:
    app.cli.add_command(donor_cli)
