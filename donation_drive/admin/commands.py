"""``donation-drive admin create EMAIL``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..cli import domain_errors
from .accounts import create_admin


@click.group("admin", help="Manage admin accounts.")
def admin_cli() -> None:
    pass


@admin_cli.command("create")
@click.argument("email")
@click.password_option(
    envvar="ADMIN_PASSWORD", help="Prompted for when not given (or set ADMIN_PASSWORD)."
)
@with_appcontext
@domain_errors
def create_admin_command(email: str, password: str) -> None:
    admin = create_admin(email, password)
    click.echo(f"Created admin {admin.email}")
