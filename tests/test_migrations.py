"""The schema is built only by migrations: ``donation-drive db upgrade`` from empty on
SQLite and PostgreSQL, down to nothing and up again, and the models never drift from
what the migrations build."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect

from config import BASE_DIR
from donation_drive.extensions import db

from .conftest import make_app

MODEL_TABLES = set(db.metadata.tables)


def cli(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result.output


def tables_in(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def drift(app: Flask, models: MetaData = db.metadata) -> list:
    """What Alembic's autogenerate would change to make the database match the models."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        return compare_metadata(context, models)


def check_upgrade_downgrade_upgrade(url: str, instance: Path) -> None:
    app = make_app(url, instance)
    assert tables_in(url) == set()

    cli(app, "db", "upgrade")
    assert tables_in(url) == MODEL_TABLES | {"alembic_version"}
    assert drift(app) == []

    cli(app, "db", "downgrade", "base")
    assert tables_in(url) == {"alembic_version"}

    cli(app, "db", "upgrade")
    assert tables_in(url) == MODEL_TABLES | {"alembic_version"}
    assert drift(app) == []
    with app.app_context():
        db.engine.dispose()


def test_migrations_have_a_single_head():
    heads = ScriptDirectory(str(BASE_DIR / "migrations")).get_heads()

    assert len(heads) == 1, heads


def test_the_drift_check_notices_a_column_no_migration_makes(tmp_path):
    url = f"sqlite:///{tmp_path / 'drift.sqlite3'}"
    app = make_app(url, tmp_path)
    cli(app, "db", "upgrade")
    models = MetaData()
    for table in db.metadata.tables.values():
        table.to_metadata(models)
    models.tables["drives"].append_column(Column("surprise", Integer))

    differences = drift(app, models)

    assert [(d[0], d[3].name) for d in differences] == [("add_column", "surprise")]


def test_upgrade_from_empty_then_down_and_up_again_on_sqlite(tmp_path):
    check_upgrade_downgrade_upgrade(f"sqlite:///{tmp_path / 'fresh.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_upgrade_from_empty_then_down_and_up_again_on_postgresql(postgres, tmp_path):
    check_upgrade_downgrade_upgrade(postgres.create_database(), tmp_path)


def test_console_script_builds_the_schema_from_empty(tmp_path):
    """The command the README gives, run as a new process with only DATABASE_URL set."""
    url = f"sqlite:///{tmp_path / 'console.sqlite3'}"
    script = Path(sys.executable).with_name("donation-drive")
    env = {**os.environ, "DATABASE_URL": url, "DONATION_DRIVE_ENV": "development"}

    done = subprocess.run(
        [str(script), "db", "upgrade"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert tables_in(url) == MODEL_TABLES | {"alembic_version"}
