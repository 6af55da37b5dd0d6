"""The schema is built only by migrations: ``donation-drive db upgrade`` from empty on
SQLite and PostgreSQL, down to nothing and up again, and the models never drift from
what the migrations build."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import Column, Integer, MetaData, create_engine, inspect, text

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


def check_upgrade_attaches_existing_gifts(url: str, instance: Path) -> None:
    """0006 on a database of the previous revision with gifts in it: every gift gets
    a donor (one per normalized email, one per gift without), and each drive's
    donor_count becomes distinct donors while gift_count keeps what it counted."""
    app = make_app(url, instance)
    cli(app, "db", "upgrade", "0005")
    engine = create_engine(url)
    now = "2026-11-30 12:00:00+00:00"
    drive_row = (
        "INSERT INTO drives (id, slug, title, description, currency, goal_amount, locale, "
        "starts_at, ends_at, accept_gifts_after_end, raised_amount, donor_count, "
        "created_at, updated_at) VALUES (:id, :slug, 'T', '', 'USD', 100000, 'en_US', "
        ":now, :now, false, :raised, :count, :now, :now)"
    )
    gift_row = (
        "INSERT INTO donations (id, version, drive_id, amount, currency, method, status, "
        "received_at, donor_name, donor_email, is_anonymous, entered_by, send_receipt, "
        "fee_covered_amount, refunded_amount, disputed_amount, created_at, updated_at) "
        "VALUES (:id, 1, :drive, :amount, 'USD', 'check', :status, :now, :name, :email, "
        "false, 'admin', true, 0, :refunded, 0, :now, :now)"
    )
    gifts = [
        # id, drive, amount, status, refunded, name, email
        (1, 1, 1_000, "succeeded", 0, "Ada", "Ada@Example.org"),
        (2, 1, 2_000, "succeeded", 0, None, "  ada@example.org "),
        (3, 1, 500, "succeeded", 0, "Ada L.", "\uff21\uff24\uff21@example.org"),
        (4, 1, 700, "succeeded", 0, None, None),
        (5, 1, 800, "succeeded", 0, "No Email", None),
        (6, 1, 900, "succeeded", 900, None, "gone@example.org"),  # wholly refunded
        (7, 1, 300, "voided", 0, None, "void@example.org"),
        (8, 2, 4_000, "succeeded", 0, None, "ada@example.org"),
        (9, 1, 100, "pending", 0, None, "pending@example.org"),
    ]
    with engine.begin() as connection:
        for drive_id, raised, count in ((1, 5_000, 5), (2, 4_000, 1)):
            connection.execute(
                text(drive_row),
                {
                    "id": drive_id,
                    "slug": f"d{drive_id}",
                    "now": now,
                    "raised": raised,
                    "count": count,
                },
            )
        for id_, drive_id, amount, status, refunded, name, email in gifts:
            connection.execute(
                text(gift_row),
                {
                    "id": id_,
                    "drive": drive_id,
                    "amount": amount,
                    "status": status,
                    "refunded": refunded,
                    "name": name,
                    "email": email,
                    "now": now,
                },
            )
    if url.startswith("postgresql"):
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('donations_id_seq', 9)"))
            connection.execute(text("SELECT setval('drives_id_seq', 2)"))

    cli(app, "db", "upgrade")

    with engine.connect() as connection:
        donor_of = dict(connection.execute(text("SELECT id, donor_id FROM donations")).all())
        keys = dict(connection.execute(text("SELECT id, email_key FROM donors")).all())
        names = dict(connection.execute(text("SELECT id, name FROM donors")).all())
        drives = {
            row[0]: row[1:]
            for row in connection.execute(
                text("SELECT id, raised_amount, donor_count, gift_count FROM drives")
            ).all()
        }
        sums = {
            (row[0], row[1]): row[2]
            for row in connection.execute(
                text("SELECT drive_id, donor_id, counted_amount FROM drive_donors")
            ).all()
        }
    engine.dispose()
    assert None not in donor_of.values() and len(donor_of) == 9
    ada = donor_of[1]
    assert donor_of[2] == donor_of[3] == donor_of[8] == ada
    assert keys[ada] == "ada@example.org" and names[ada] == "Ada L."
    assert donor_of[4] != donor_of[5] and keys[donor_of[4]] is None
    assert names[donor_of[5]] == "No Email"
    assert len(set(donor_of.values())) == 6  # ada, two without email, gone, void, pending
    # Drive 1 counts ada, the two without email; the refunded, voided and pending don't.
    assert drives[1] == (5_000, 3, 5)
    assert drives[2] == (4_000, 1, 1)
    assert sums[(1, ada)] == 3_500 and sums[(2, ada)] == 4_000
    assert sums[(1, donor_of[6])] == 0
    assert drift(app) == []

    # The app takes it from there: a new gift from Ada's email joins her donor.
    with app.app_context():
        from donation_drive.ledger import DonorDetails, get_drive, record_offline_donation
        from donation_drive.ledger.totals import check_drive_figures

        gift = record_offline_donation(
            get_drive("d1"),
            amount=100,
            method="cash",
            received_at=datetime(2026, 12, 1, tzinfo=UTC),
            entered_by="admin",
            donor=DonorDetails(email="ADA@example.org"),
        )
        assert gift.donor_id == ada
        assert check_drive_figures(1) == {} and check_drive_figures(2) == {}
        db.session.remove()
        db.engine.dispose()

    cli(app, "db", "downgrade", "0005")
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = connection.execute(text("SELECT donor_count FROM drives ORDER BY id")).all()
    engine.dispose()
    assert [c[0] for c in counts] == [6, 1]  # back to counting gifts
    with app.app_context():
        db.engine.dispose()


def test_upgrade_with_existing_gifts_attaches_donors_on_sqlite(tmp_path):
    check_upgrade_attaches_existing_gifts(f"sqlite:///{tmp_path / 'gifts.sqlite3'}", tmp_path)


@pytest.mark.postgres
def test_upgrade_with_existing_gifts_attaches_donors_on_postgresql(postgres, tmp_path):
    check_upgrade_attaches_existing_gifts(postgres.create_database(), tmp_path)


def check_breakdown_backfill(url: str, instance: Path) -> None:
    """Migration 0008 on a database that already has gifts: the drive breakdown it
    builds is what the ledger's recount says, and the ledger carries on from it."""
    from datetime import UTC, datetime

    from sqlalchemy import MetaData, Table, insert, select

    from donation_drive.ledger import record_offline_donation
    from donation_drive.ledger.breakdown import check_breakdown, kept_breakdown
    from donation_drive.models import Drive

    app = make_app(url, instance)
    cli(app, "db", "upgrade", "0007")
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    with app.app_context():
        # The tables as they are at 0007 (the models may have columns added later).
        tables = MetaData()
        drives = Table("drives", tables, autoload_with=db.engine)
        donations = Table("donations", tables, autoload_with=db.engine)
        drive_id = db.session.execute(
            insert(drives).returning(drives.c.id),
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
            insert(donations),
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
