"""The ``donation-drive`` command: Flask's CLI group for this app.

This module only builds the group. The commands are each domain's own
(``register_commands(app)`` in ``ledger_commands.py``, ``emails/commands.py``,
``reconcile/commands.py``, ``admin/auth/commands.py``, ``jobs.py``, ``demo.py`` and
``devserver.py``), added when the app is built (``create_app``); the way they report
bad input is shared from ``cli_errors.py``. Nothing imports this module but the console
script.

Start-up time (docs/benchmarks.md, CLI start-up): Flask's group builds the app, which
imports every domain, even to print ``--help``. This group lists the commands from
``COMMANDS`` below instead, and builds the app only when a command is looked up to run
(or to show its own help), without its web side unless the command serves pages
(``SERVES_PAGES``). ``tests/test_startup_imports.py`` checks the list against the app.
"""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, ScriptInfo

# Every command of ``donation-drive`` and its one-line help, as the command says it.
COMMANDS = {
    "admin": "Manage admin accounts.",
    "db": "Perform database migrations.",
    "demo": "Create the demo drives with sample donations (once): this year's, running "
    "today, and last year's, ended.",
    "dev": "Run everything for local development: schema, demo drive, the Stripe "
    "emulator, the worker and the web server.",
    "donation": "Record offline donations.",
    "donor": "Privacy requests about one donor, found by email.",
    "drive": "Create and list drives.",
    "limiter": "Flask-Limiter maintenance & utility commands",
    "reconcile": "Compare Stripe (and PayPal, when configured) with the ledger once and "
    "repair the gaps.",
    "resend-receipt": "Queue a copy of a donation's receipt.",
    "routes": "Show the routes for the app.",
    "run": "Run a development server.",
    "send-emails": "Send the outbox emails that are due (receipts), once each.",
    "shell": "Run a shell in the app context.",
    "statements": "Year-end giving statements.",
    "worker": "Run the scheduled jobs (reconcile, send emails) until stopped.",
}
# Those Flask adds itself (its own, and plugins' from the ``flask.commands`` entry
# points); the rest are the app's.
FLASK_COMMANDS = frozenset({"routes", "run", "shell", "limiter"})
# The commands that serve pages or show them (``routes``, and ``shell`` where one may
# call ``url_for``): their app has its blueprints; the others' app is built without.
SERVES_PAGES = frozenset({"dev", "run", "routes", "shell"})


class DonationDriveGroup(FlaskGroup):
    """Flask's group, listing the commands without building the app."""

    def __init__(self) -> None:
        super().__init__(create_app=self._create_app, help="Donation Drive.")
        self._web = True  # until a command that serves no page is looked up

    def _create_app(self) -> Flask:
        from . import create_app
        from .security import UnsafeSettings

        try:
            return create_app(web=self._web)
        except UnsafeSettings as exc:
            raise click.ClickException(str(exc)) from None

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own Group.format_commands, with each command standing in for itself.
        limit = formatter.width - 6 - max(map(len, COMMANDS))
        rows = [
            (name, click.Command(name, help=text).get_short_help_str(limit))
            for name, text in sorted(COMMANDS.items())
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        self._web = name in SERVES_PAGES or name not in COMMANDS
        if name not in COMMANDS or name in FLASK_COMMANDS:
            return super().get_command(ctx, name)
        # One of the app's: what FlaskGroup does for it, without first importing every
        # plugin's commands (Flask-Limiter's imports rich).
        app = ctx.ensure_object(ScriptInfo).load_app()
        if not current_app or current_app._get_current_object() is not app:
            ctx.with_resource(app.app_context())
        return app.cli.get_command(ctx, name)


def cli_group() -> DonationDriveGroup:
    """The ``donation-drive`` group: Flask's commands, and the app's once it is built."""
    return DonationDriveGroup()


def main() -> None:
    cli_group().main(prog_name="donation-drive")


__all__ = ["COMMANDS", "cli_group", "main"]
