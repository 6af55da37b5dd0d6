"""``donation-drive admin create|set-password|disable EMAIL``."""

from __future__ import annotations

import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from ...cli_errors import domain_errors
from .accounts import create_admin, disable_admin, set_password


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


def _read_password(from_stdin: bool) -> str:
    if not from_stdin:
        return click.prompt("New password", hide_input=True, confirmation_prompt=True)
    # One line, so `printf '%s\n' "$PW" | ...` and a file both work; only the line end
    # is dropped, since spaces can be part of a password.
    return sys.stdin.readline().rstrip("\r\n")


@admin_cli.command("set-password")
@click.argument("email")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the new password from the first line of standard input instead of a prompt.",
)
@with_appcontext
@domain_errors
def set_password_command(email: str, password_stdin: bool) -> None:
    """Give an admin a new password. Every session of theirs ends."""
    admin = set_password(email, _read_password(password_stdin))
    click.echo(f"Changed the password of {admin.email}; every session of theirs has ended.")


@admin_cli.command("disable")
@click.argument("email")
@with_appcontext
@domain_errors
def disable_admin_command(email: str) -> None:
    """Stop an admin from logging in. Every session of theirs ends."""
    admin = disable_admin(email)
    click.echo(f"Disabled admin {admin.email}; every session of theirs has ended.")


def register_commands(app: Flask) -> None:
    app.cli.add_command(admin_cli)
