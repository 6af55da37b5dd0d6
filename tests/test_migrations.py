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


def check_breakdown_backfill(url: str, instance: Path) -> None:
    """Migration 0006 on a database that already has gifts: the drive breakdown it
    builds is what the ledger's recount says, and the ledger carries on from it."""
    from datetime import UTC, datetime

    from sqlalchemy import insert, select

    from donation_drive.ledger import record_offline_donation
    from donation_drive.ledger.breakdown import check_breakdown, kept_breakdown
    from donation_drive.models import Donation, Drive

    app = make_app(url, instance)
    cli(app, "db", "upgrade", "0005")
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with app.app_context():
        drive_id = db.session.execute(
            insert(Drive.__table__).returning(Drive.__table__.c.id),
            {
                "slug": "before",
                "title": "Before",
                "description": "",
                "currency": "USD",
                "goal_amount": 100_000,
                "locale": "en_US",
                "starts_at": datetime(2026, 11, 1, tzinfo=UTC),
                "ends_at": datetime(2026, 12, 31, tzinfo=UTC),
                "raised_amount": 0,
                "donor_count": 0,
                "accept_gifts_after_end": False,
                "created_at": now,
                "updated_at": now,
            },
        ).scalar_one()
        gifts = [
            # (amount, refunded, status, method, received_at)
            (2_500, 0, "succeeded", "check", datetime(2026, 11, 20, 9, 5, tzinfo=UTC)),
            (2_500, 0, "succeeded", "check", datetime(2026, 11, 20, 9, 55, tzinfo=UTC)),
            (10_000, 4_000, "succeeded", "card", datetime(2026, 11, 20, 23, 59, tzinfo=UTC)),
            (5_000, 5_000, "succeeded", "card", datetime(2026, 11, 21, 0, 1, tzinfo=UTC)),
            (7_000, 0, "voided", "cash", datetime(2026, 11, 21, 1, tzinfo=UTC)),
            (9_000, 0, "pending", "card", datetime(2026, 11, 21, 2, tzinfo=UTC)),
        ]
        db.session.execute(
            insert(Donation.__table__),
            [
                {
                    "drive_id": drive_id,
                    "version": 1,
                    "amount": amount,
                    "currency": "USD",
                    "method": method,
                    "status": status,
                    "received_at": received_at,
                    "is_anonymous": False,
                    "send_receipt": False,
                    "entered_by": "before",
                    "refunded_amount": refunded,
                    "disputed_amount": 0,
                    "fee_covered_amount": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for amount, refunded, status, method, received_at in gifts
            ],
        )
        db.session.commit()
        db.engine.dispose()

    cli(app, "db", "upgrade")

    with app.app_context():
        hours, amounts = kept_breakdown(drive_id)
        assert hours == {
            (datetime(2026, 11, 20, 9, tzinfo=UTC), "check"): (5_000, 2),
            (datetime(2026, 11, 20, 23, tzinfo=UTC), "card"): (6_000, 1),
        }
        assert amounts == {2_500: 2, 6_000: 1}
        assert check_breakdown(drive_id) == {}
        # The ledger adds to the rows the migration made.
        drive = db.session.scalar(select(Drive).where(Drive.id == drive_id))
        record_offline_donation(
            drive,
            amount=2_500,
            method="check",
            received_at=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            entered_by="after",
        )
        assert kept_breakdown(drive_id)[0][(datetime(2026, 11, 20, 9, tzinfo=UTC), "check")] == (
            7_500,
            3,
        )
        assert check_breakdown(drive_id) == {}
        db.engine.dispose()


def test_upgrade_with_gifts_builds_the_drive_breakdown_on_sqlite(tmp_path):
    check_breakdown_backfill(f"sqlite:///{tmp_path / 'gifts.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_upgrade_with_gifts_builds_the_drive_breakdown_on_postgresql(postgres, tmp_path):
    check_breakdown_backfill(postgres.create_database(), tmp_path)
