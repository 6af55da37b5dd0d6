"""The ``donation-drive`` command: Flask's CLI for this app plus our groups.

Domain errors become ``click`` errors naming the field, in one place
(``domain_errors``), so every command reports bad input the same way.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from flask import Flask
from flask.cli import FlaskGroup, with_appcontext

from .errors import DonationDriveError


def domain_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DonationDriveError as exc:
            if exc.field:
                raise click.BadParameter(exc.message, param_hint=f"'{exc.field}'") from None
            raise click.ClickException(exc.message) from None

    return wrapper


def register_cli(app: Flask) -> None:
    from .admin.auth.commands import admin_cli
    from .commands import demo_command, dev_command, donation_cli, drive_cli
    from .emails.commands import resend_receipt_command, send_emails_command
    from .health import guard_cli_commands
    from .jobs import worker_command
    from .reconcile.commands import reconcile_command

    for command in (
        drive_cli,
        donation_cli,
        demo_command,
        dev_command,
        admin_cli,
        send_emails_command,
        resend_receipt_command,
        reconcile_command,
        worker_command,
    ):
        app.cli.add_command(command)
    guard_cli_commands(app)  # a clear error, not a traceback, when the database is not ready


def cli_group() -> FlaskGroup:
    """The ``donation-drive`` group: Flask's commands, and the app's once it is built."""
    from . import create_app
    from .security import UnsafeSettings

    def create_app_or_explain() -> Flask:
        try:
            return create_app()
        except UnsafeSettings as exc:
            raise click.ClickException(str(exc)) from None

    return FlaskGroup(create_app=create_app_or_explain, help="Donation Drive.")


def main() -> None:
    cli_group().main(prog_name="donation-drive")


__all__ = ["cli_group", "domain_errors", "main", "with_appcontext"]
