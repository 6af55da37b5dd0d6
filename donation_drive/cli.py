"""The ``donation-drive`` command: Flask's CLI group for this app.

This module only builds the group. The commands are each domain's own
(``register_commands(app)`` in ``ledger_commands.py``, ``emails/commands.py``,
``reconcile/commands.py``, ``admin/auth/commands.py``, ``jobs.py``, ``demo.py`` and
``devserver.py``), added when the app is built (``create_app``); the way they report
bad input is shared from ``cli_errors.py``. Nothing imports this module but the console
script.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup


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


__all__ = ["cli_group", "main"]
