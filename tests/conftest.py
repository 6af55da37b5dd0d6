"""Shared fixtures: the app on a migrated database, and the real peers (PostgreSQL,
the Stripe emulator, an SMTP server, a live HTTP server, a browser), each started
once per session where that is safe.

``DD_TEST_DATABASE=postgresql`` runs every app-level test on a fresh PostgreSQL
database instead of SQLite.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

os.environ["DONATION_DRIVE_ENV"] = "testing"

import pytest
from flask import Flask

from donation_drive import create_app
from donation_drive.extensions import db
from donation_drive.ledger import create_drive
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Drive, utcnow
from donation_drive.schema import upgrade

from .peers.live_server import LiveServer
from .peers.paypal.fixtures import paypal_peer, paypal_peer_server  # noqa: F401
from .peers.postgres import PostgresCluster
from .peers.smtp import SmtpServer

TEST_DATABASE = os.environ.get("DD_TEST_DATABASE", "sqlite")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def make_app(database_url: str, instance_path: Path, **overrides: object) -> Flask:
    config = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    return create_app(config, instance_path=str(instance_path))


def migrate_to_head(database_url: str, instance_path: Path) -> None:
    app = make_app(database_url, instance_path)
    with app.app_context():
        upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    migrate_to_head(f"sqlite:///{path}", folder)
    return path


@pytest.fixture(scope="session")
def postgres_template(request: pytest.FixtureRequest, tmp_path_factory) -> str:
    cluster: PostgresCluster = request.getfixturevalue("postgres")
    url = cluster.create_database()
    migrate_to_head(url, tmp_path_factory.mktemp("pg-template"))
    return url.rsplit("/", 1)[1]


@pytest.fixture
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, migrated database for one test."""
    if TEST_DATABASE == "postgresql":
        import uuid

        import psycopg

        cluster: PostgresCluster = request.getfixturevalue("postgres")
        template = request.getfixturevalue("postgres_template")
        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(cluster.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return cluster.sqlalchemy_url(name)
    template = request.getfixturevalue("sqlite_template")
    path = tmp_path / "test.sqlite3"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def app_overrides() -> dict[str, object]:
    """Settings a test module can override by redefining this fixture."""
    return {}


@pytest.fixture
def app(database_url: str, tmp_path: Path, app_overrides: dict[str, object]) -> Iterator[Flask]:
    application = make_app(database_url, tmp_path / "instance", **app_overrides)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@pytest.fixture
def runner(app: Flask):
    return app.test_cli_runner()


def create_eoy_drive(starts_at: datetime, ends_at: datetime) -> Drive:
    return create_drive(
        slug="eoy",
        title="End of the Year Donation Drive",
        goal_amount=7_500_000,
        currency="USD",
        starts_at=starts_at,
        ends_at=ends_at,
        description="Keep the blog independent.",
    )


@pytest.fixture
def drive(app: Flask) -> Drive:
    return create_eoy_drive(
        parse_datetime("2026-11-15", "starts", tz="America/New_York"),
        parse_datetime("2026-12-31", "ends", tz="America/New_York", end_of_day=True),
    )


@pytest.fixture
def running_drive(app: Flask) -> Drive:
    """The ``drive`` fixture's drive, but running whatever day the suite runs (it
    started a week ago and ends in a month), for tests that give at the checkout:
    it takes gifts only while a drive runs (or where the drive's settings say so)."""
    now = utcnow()
    return create_eoy_drive(now - timedelta(days=7), now + timedelta(days=30))


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    app.config["PUBLIC_BASE_URL"] = server.url
    yield server
    server.stop()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server: SmtpServer) -> SmtpServer:
    smtp_server.handler.reset()
    return smtp_server


@pytest.fixture(scope="session")
def localstripe_base() -> Iterator[str]:
    """The Stripe emulator, started once; tests clear its data, not its process."""
    from donation_drive.providers.stripe.emulator import start_emulator

    from .peers.ports import free_port

    port = free_port()
    ARTIFACTS.mkdir(exist_ok=True)
    process = start_emulator(port, log_path=ARTIFACTS / "localstripe.log")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport={"width": 1024, "height": 800})
    page = context.new_page()
    yield page
    context.close()


ADMIN_EMAIL = "admin@example.org"
ADMIN_PASSWORD = "correct horse battery staple"


@pytest.fixture
def admin_user(app: Flask):
    from donation_drive.admin.auth.accounts import create_admin

    return create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)


def csrf_token_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@pytest.fixture
def admin_client(app: Flask, admin_user):
    """A test client logged in as an admin through the real login form."""
    client = app.test_client()
    token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return client
