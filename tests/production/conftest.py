"""Helpers for the production tests: apps on databases that are gone or unmigrated."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from donation_drive import create_app
from donation_drive.extensions import db

from ..peers.ports import free_port


def unreachable_database_urls(tmp_path: Path) -> dict[str, str]:
    """A PostgreSQL server that is not listening, and a SQLite file that cannot be
    opened (its folder does not exist)."""
    return {
        "postgresql": f"postgresql+psycopg://dd:s3cret-pw@127.0.0.1:{free_port()}/donations",
        "sqlite": f"sqlite:///{tmp_path}/no-such-folder/donations.sqlite3",
    }


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable_app(request, tmp_path: Path) -> Iterator[Flask]:
    url = unreachable_database_urls(tmp_path)[request.param]
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=str(tmp_path / "i"))
    with app.app_context():
        yield app
        db.engine.dispose()


@pytest.fixture
def unmigrated_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on an empty database: no tables, no alembic_version."""
    url = f"sqlite:///{tmp_path}/empty.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url}, instance_path=str(tmp_path / "i"))
    with app.app_context():
        yield app
        db.engine.dispose()


@pytest.fixture(scope="module")
def module_database_url(request, tmp_path_factory) -> str:
    """A fresh, migrated database shared by one module's tests (for tests that start
    servers, which are too slow to start once per test)."""
    from ..conftest import TEST_DATABASE

    if TEST_DATABASE == "postgresql":
        import uuid

        import psycopg

        cluster = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")
        name = f"m_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return cluster.sqlalchemy_url(name)
    import shutil

    path = tmp_path_factory.mktemp("module-db") / "module.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"
