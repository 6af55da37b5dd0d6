"""Donation Drive: a fundraising-drive donation tracker.

Importing the package imports nothing else: ``donation-drive --help`` imports
``donation_drive.cli`` and so this module, and needs none of the app
(docs/benchmarks.md, CLI start-up).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from .settings import Config


def create_app(
    config: type[Config] | dict[str, Any] | None = None,
    instance_path: str | None = None,
    *,
    web: bool = True,
) -> Flask:
    """Build the app. ``config`` is a settings class, or a dict of overrides applied
    on top of the class chosen by ``DONATION_DRIVE_ENV``. ``web=False`` leaves out what
    only serves pages (blueprints, error pages, the session interface, the proxy fix):
    ``donation-drive`` commands that serve no page start faster without it."""
    from flask import Flask
    from jinja2 import ChoiceLoader, FileSystemLoader

    from .extensions import csrf, db, limiter, login_manager
    from .observability import init_observability
    from .security import check_paypal_settings, check_production_settings, trust_proxy_headers
    from .settings import config_from_environment

    settings = config if isinstance(config, type) else config_from_environment()
    overrides = {} if isinstance(config, type) else dict(config or {})
    instance_path = instance_path or overrides.get("INSTANCE_PATH") or settings.INSTANCE_PATH
    app = Flask(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(settings)
    app.config.update(overrides)
    check_production_settings(app.config)
    check_paypal_settings(app.config)
    init_observability(app)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = (
            f"sqlite:///{Path(app.instance_path) / 'donation_drive.sqlite3'}"
        )
    # An organisation overrides any template (emails, widget) by putting a file of the
    # same name under instance/templates/, without editing the package.
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(str(Path(app.instance_path) / "templates")), app.jinja_loader]
    )

    from .database import configure_engine_events
    from .i18n import init_i18n
    from .subscriptions import connect_ledger_receivers

    db.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    init_i18n(app)
    with app.app_context():
        configure_engine_events(db.engine)

    connect_ledger_receivers(app)
    if web:
        from .sessions import PublicAwareSessionInterface
        from .web import register_web

        app.session_interface = PublicAwareSessionInterface()
        register_web(app)
        trust_proxy_headers(app)

    register_commands(app)
    return app


def register_commands(app: Flask) -> None:
    """Every domain adds its own ``donation-drive`` commands."""
    from . import demo, devserver, jobs, ledger_commands, schema
    from .admin.auth import commands as admin_commands
    from .donors import commands as donor_commands
    from .emails import commands as email_commands
    from .health import guard_cli_commands
    from .reconcile import commands as reconcile_commands
    from .statements import commands as statement_commands

    for domain in (
        schema,
        ledger_commands,
        demo,
        devserver,
        admin_commands,
        email_commands,
        reconcile_commands,
        jobs,
        donor_commands,
        statement_commands,
    ):
        domain.register_commands(app)
    guard_cli_commands(app)  # a clear error, not a traceback, when the database is not ready
