"""Is the database reachable and its schema at the migrations head?

One answer, two uses: ``GET /healthz`` (200 or 503 JSON, for a load balancer or an
orchestrator) and the ``donation-drive`` commands, which refuse to run against an
unreachable database or a schema behind the code (``guard_cli_commands``) with a
message that says what to do, never a traceback.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Blueprint, Flask, jsonify
from flask.cli import ScriptInfo
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from . import schema
from .extensions import db

bp = Blueprint("health", __name__)


@dataclass(frozen=True, slots=True)
class DatabaseStatus:
    reachable: bool
    current: tuple[str, ...]  # revisions recorded in alembic_version
    heads: tuple[str, ...]  # revisions the code's migrations end at
    error: str | None = None
    unknown: tuple[str, ...] = ()  # recorded revisions this code has no migration for

    @property
    def at_head(self) -> bool:
        return self.reachable and set(self.current) == set(self.heads)

    @property
    def problem(self) -> str | None:
        """What is wrong, in words an operator can act on; None when all is well."""
        if not self.reachable:
            return f"the database is unreachable ({self.error})"
        if not self.current:
            return "the database has no schema yet: run `donation-drive db upgrade`"
        if self.unknown:
            return (
                f"the database is at revision {', '.join(self.unknown)}, which this code "
                "does not know: is the code older than the database?"
            )
        if not self.at_head:
            return (
                f"the database schema is behind: at {', '.join(self.current)}, the code "
                f"needs {', '.join(self.heads)}; run `donation-drive db upgrade`"
            )
        return None


def _describe(exc: Exception) -> str:
    """The driver's first line, without the URL (which may hold a password)."""
    original = getattr(exc, "orig", None) or exc
    first_line = (str(original).strip().splitlines() or [type(original).__name__])[0]
    return first_line[:300]


def database_status() -> DatabaseStatus:
    """Check the app's database with one cheap query; never raises for a database
    that is down, missing or unmigrated."""
    heads = schema.heads()
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
            try:
                rows = connection.execute(text("SELECT version_num FROM alembic_version"))
                current = tuple(sorted(row[0] for row in rows))
            except SQLAlchemyError:
                current = ()  # no alembic_version table: never migrated
    except SQLAlchemyError as exc:
        return DatabaseStatus(False, (), heads, _describe(exc))
    unknown = tuple(rev for rev in current if rev not in schema.revisions())
    return DatabaseStatus(True, current, heads, unknown=unknown)


def database_label() -> str:
    """The database URL without its password, for messages."""
    return db.engine.url.render_as_string(hide_password=True)


@bp.get("/healthz")
def healthz():
    status = database_status()
    body: dict[str, Any] = {
        "status": "ok" if status.at_head else "error",
        "database": "ok" if status.reachable else "unreachable",
        "migrations": {
            "current": list(status.current),
            "head": list(status.heads),
            "at_head": status.at_head,
        },
    }
    if status.problem:
        body["error"] = status.problem
    response = jsonify(body)
    response.status_code = 200 if status.at_head else 503
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the CLI guard --------------------------------------------------------------------

# Commands that must run whatever state the database is in: migrations themselves,
# servers that migrate on start, and Flask's own tools.
UNGUARDED_COMMANDS = frozenset({"db", "run", "dev", "shell", "routes"})


def require_ready_database(app: Flask) -> None:
    """Raise a ``click.ClickException`` saying what is wrong when the database is
    unreachable or its schema is not at the migrations head."""
    with app.app_context():
        status = database_status()
        if status.problem:
            # One line: cron mails and log collectors keep it whole.
            raise click.ClickException(f"{status.problem}; database: {database_label()}")


def _checked(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = click.get_current_context().ensure_object(ScriptInfo).load_app()
        require_ready_database(app)
        return callback(*args, **kwargs)

    wrapper.__donation_drive_guarded__ = True  # type: ignore[attr-defined]
    return wrapper


def _guarded(command: click.Command | None) -> click.Command | None:
    """A copy of ``command`` whose leaf commands check the database first. Copies, so
    the module-level command objects stay as they are for every other app."""
    if command is None:
        return None
    guarded = copy.copy(command)
    if isinstance(command, click.Group):
        original = command.get_command
        guarded.get_command = lambda ctx, name: _guarded(original(ctx, name))  # type: ignore[method-assign]
    elif command.callback is not None and not hasattr(
        command.callback, "__donation_drive_guarded__"
    ):
        guarded.callback = _checked(command.callback)
    return guarded


def guard_cli_commands(app: Flask, unguarded: frozenset[str] = UNGUARDED_COMMANDS) -> None:
    """Make every command of ``app.cli`` (ours and those added later) except
    ``unguarded`` fail with a clear message when the database is not ready."""
    cli = app.cli
    original = cli.get_command

    def get_command(ctx: click.Context, name: str) -> click.Command | None:
        command = original(ctx, name)
        return command if name in unguarded else _guarded(command)

    cli.get_command = get_command  # type: ignore[method-assign]
