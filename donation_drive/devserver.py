"""``donation-drive dev``: one command that gives a newcomer a working service.

Builds the schema, creates the demo drives and (in development only) an admin to
log in with, starts the Stripe emulator when the settings point at one on loopback,
registers its webhook and runs the web server.
"""

from __future__ import annotations

import atexit
import signal
import sys
from urllib.parse import urlsplit

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from werkzeug.serving import run_simple

from .admin.auth.dev_account import DevAdminStep, ensure_dev_admin
from .demo import demo_command, demo_slug
from .devmail.sink import start_dev_mailbox
from .jobs import Worker
from .providers.stripe.emulator import emulator_is_up, register_emulator_webhook, start_emulator
from .schema import upgrade


def _start_local_stripe(public_url: str) -> None:
    config = current_app.config
    api_base = config.get("STRIPE_API_BASE")
    if not api_base:
        click.echo("Using real Stripe (STRIPE_API_BASE is not set).")
        return
    parts = urlsplit(api_base)
    if parts.hostname not in ("127.0.0.1", "localhost"):
        return
    if not emulator_is_up(api_base):
        process = start_emulator(parts.port or 8420)
        atexit.register(process.terminate)
        click.echo(f"Started the Stripe emulator (localstripe) at {api_base}")
    register_emulator_webhook(
        api_base,
        "donation-drive-dev",
        f"{public_url}/webhooks/stripe",
        config["STRIPE_WEBHOOK_SECRET"],
    )


def echo_admin_login(public_url: str) -> None:
    """The login address and, in development, the demo admin to log in as."""
    click.echo(f"Admin:     {public_url}/admin/login")
    login = ensure_dev_admin()
    if login is None:
        click.echo(
            "           (no demo admin outside development; "
            "create one with `donation-drive admin create EMAIL`)"
        )
        return
    why = {
        DevAdminStep.CREATED: "created now",
        DevAdminStep.KEPT: "created on the first run",
        DevAdminStep.RESET: "the password kept before no longer opened it, so it was reset",
    }[login.step]
    click.echo(f"           email {login.email}, password {login.password}")
    click.echo(
        f"           (development only; {why}; the password is kept in {login.password_file} "
        "and printed at every start)"
    )


def run_development(host: str, port: int) -> None:

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    # `kill` (SIGTERM) ends the process through sys.exit, so the atexit hooks stop the
    # emulator, the mail sink and the worker instead of leaving them running.
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(0))
    upgrade()
    click.get_current_context().invoke(demo_command)
    slug = demo_slug()
    public_url = f"http://{host}:{port}"
    app.config["PUBLIC_BASE_URL"] = public_url
    _start_local_stripe(public_url)
    click.echo(f"Widget:    {public_url}/widget/{slug}")
    click.echo(f"Progress:  {public_url}/api/v1/drives/{slug}")
    click.echo(f"Checkout:  {public_url}/donate/{slug}")
    echo_admin_login(public_url)
    start_dev_mailbox(app, public_url)
    _start_background_worker(app)
    # run_simple, not app.run: Flask ignores app.run() inside its own CLI.
    run_simple(host, port, app, threaded=True, use_reloader=False)


def _start_background_worker(app) -> None:
    """The scheduled jobs (reconcile, emails) in this process, so development needs
    no second terminal; the job leases keep a separate ``worker`` from doubling them."""
    worker = Worker(app)
    worker.start_background()
    atexit.register(worker.stop)
    click.echo(f"Worker:    {', '.join(job.name for job in worker.jobs)} (in the background)")


def register_commands(app: Flask) -> None:
    app.cli.add_command(dev_command)


@click.command(
    "dev",
    help="Run everything for local development: schema, demo drive, "
    "the Stripe emulator, the worker and the web server.",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def dev_command(host: str, port: int) -> None:
    run_development(host=host, port=port)
