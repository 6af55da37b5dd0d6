"""The migrations (``migrations/`` at the repo root, ``donation_drive.migrations`` in the
wheel): their revisions, and Flask-Migrate bound to an app only when it is needed.

Flask-Migrate imports Alembic, a quarter of a second here, which only ``donation-drive
db …``, ``dev`` and the upgrades of tests and benches use; every other command and
``/healthz`` need just the revisions, which ``revisions()`` reads from the files
(docs/benchmarks.md, CLI start-up).
"""

from __future__ import annotations

import ast
import functools
import re
from importlib.resources import files
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app


def directory() -> Path:
    """The migrations folder, found the same way in a checkout and in a wheel."""
    return Path(str(files("donation_drive.migrations")))


# ``revision = "0009"``, ``down_revision: str | None = "0008"`` (or a tuple, for a merge)
# at the start of a line, as Alembic's template writes them.
_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def _revisions(folder: Path) -> dict[str, tuple[str, ...]]:
    graph: dict[str, tuple[str, ...]] = {}
    for script in sorted((folder / "versions").glob("*.py")):
        # The lines only, not the whole module: parsing nine migrations took longer
        # than importing Alembic saves.
        names: dict[str, Any] = {}
        for name, value in _ASSIGNMENT.findall(script.read_text()):
            names.setdefault(name, ast.literal_eval(value))  # the first, at the top
        down = names.get("down_revision")
        graph[names["revision"]] = () if down is None else _as_tuple(down)
    return graph


def _as_tuple(value: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def revisions() -> dict[str, tuple[str, ...]]:
    """Each migration's revision and the revisions it follows (``down_revision``), as
    Alembic reads them (``tests/test_startup_imports.py`` compares the two)."""
    return _revisions(directory())


def heads() -> tuple[str, ...]:
    """The revisions no other migration follows: where ``db upgrade`` ends."""
    graph = revisions()
    followed = {down for downs in graph.values() for down in downs}
    return tuple(sorted(set(graph) - followed))


def bind_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to ``app`` once; it adds its ``db`` group to ``app.cli``."""
    if "migrate" not in app.extensions:
        from flask_migrate import Migrate

        from .extensions import db

        Migrate(app, db, directory=str(directory()))


def upgrade(revision: str = "head") -> None:
    """``flask_migrate.upgrade()`` to ``revision`` (the head by default), for the
    current app."""
    bind_migrations(current_app._get_current_object())  # type: ignore[attr-defined]
    from flask_migrate import upgrade as upgrade_to

    upgrade_to(revision=revision)


def register_commands(app: Flask) -> None:
    """``donation-drive db``: listed always, Flask-Migrate bound when it is looked up."""
    cli = app.cli
    look_up, list_names = cli.get_command, cli.list_commands

    def get_command(ctx: click.Context, name: str) -> click.Command | None:
        if name == "db":
            bind_migrations(app)
        return look_up(ctx, name)

    cli.get_command = get_command  # type: ignore[method-assign]
    cli.list_commands = lambda ctx: sorted({*list_names(ctx), "db"})  # type: ignore[method-assign]
