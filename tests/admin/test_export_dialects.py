"""The export is written by the database: PostgreSQL and SQLite must write the same
bytes for the same gifts (hostile names, unicode, line breaks, refunds, a void,
daylight-saving days), whatever the filters."""

from __future__ import annotations

import shutil
import uuid

import psycopg
import pytest

from donation_drive.admin.auth.accounts import create_admin
from donation_drive.extensions import db
from donation_drive.ledger.validation import parse_datetime

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, create_eoy_drive, csrf_token_from, make_app
from .dashboard_data import mixed_drive
from .export_oracle import hostile_gifts

EXPORTS = (
    "",
    "&method=check&sort=amount&dir=asc",
    "&sort=amount",
    "&from=2026-11-01&to=2026-11-18",
    "&q=zo%C3%AB",
    "&q=donor1%40example.org",
    "&status=voided",
    "&min=20&max=100",
)


def exports_of(database_url: str, instance) -> list[bytes]:
    app = make_app(database_url, instance, ADMIN_TIMEZONE="America/New_York")
    with app.app_context():
        drive = create_eoy_drive(
            parse_datetime("2026-10-15", "starts", tz="America/New_York"),
            parse_datetime("2026-12-31", "ends", tz="America/New_York", end_of_day=True),
        )
        hostile_gifts(drive)
        mixed_drive(drive)
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        client = app.test_client()
        token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
        client.post(
            "/admin/login",
            data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
        )
        bodies = [
            client.get(f"/admin/donations.csv?drive=eoy{args}").get_data() for args in EXPORTS
        ]
        db.session.remove()
        db.engine.dispose()
    return bodies


@pytest.mark.postgres
def test_postgresql_and_sqlite_write_byte_identical_exports(request, tmp_path):
    sqlite_path = tmp_path / "export.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), sqlite_path)
    cluster = request.getfixturevalue("postgres")
    name = f"t_{uuid.uuid4().hex[:12]}"
    template = request.getfixturevalue("postgres_template")
    with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')

    on_sqlite = exports_of(f"sqlite:///{sqlite_path}", tmp_path / "sqlite")
    on_postgresql = exports_of(cluster.sqlalchemy_url(name), tmp_path / "postgresql")

    assert all(body.count(b"\r\n") > 1 for body in on_sqlite[:4])
    for args, sqlite_body, postgresql_body in zip(EXPORTS, on_sqlite, on_postgresql, strict=True):
        assert sqlite_body == postgresql_body, args
