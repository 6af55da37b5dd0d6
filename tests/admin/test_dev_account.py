"""The development admin that ``make run`` prints: created once, its generated
password kept in the instance folder (mode 0600) and printed again at every start,
reset when it no longer opens the account; never made, read or written outside
development."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from config import ProductionConfig
from donation_drive import create_app
from donation_drive.admin.auth.accounts import set_password
from donation_drive.admin.auth.dev_account import (
    DEV_ADMIN_EMAIL,
    PASSWORD_FILE,
    DevAdminStep,
    ensure_dev_admin,
)
from donation_drive.devserver import echo_admin_login
from donation_drive.extensions import db
from donation_drive.models import AdminUser

from ..conftest import csrf_token_from


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"ENV_NAME": "development"}


def admin_count() -> int:
    return db.session.scalar(select(func.count(AdminUser.id)))


def logs_in(app, email: str, password: str) -> bool:
    """Through the real login form, as a new visitor: in an app context of its own,
    because requests inside the test's one would share its ``g`` (where Flask-Login
    and Flask-WTF keep the user and the CSRF token) with every earlier client."""
    with app.app_context():
        client = app.test_client()
        token = csrf_token_from(client.get("/admin/login").get_data(as_text=True))
        form = {"email": email, "password": password, "csrf_token": token}
        answer = client.post("/admin/login", data=form)
        logged_in = client.get("/admin/").status_code == 200
        assert logged_in == (answer.status_code == 302), answer.status_code
        return logged_in


def test_the_first_start_creates_the_admin_and_keeps_its_password_private(app):
    login = ensure_dev_admin()

    assert login is not None and login.step == DevAdminStep.CREATED
    assert login.email == DEV_ADMIN_EMAIL
    assert len(login.password) >= 12
    assert login.password_file == Path(app.instance_path) / PASSWORD_FILE
    assert login.password_file.read_text().strip() == login.password
    assert stat.S_IMODE(login.password_file.stat().st_mode) == 0o600
    assert logs_in(app, login.email, login.password)


def test_later_starts_print_the_same_password_and_make_nothing_new(app):
    first = ensure_dev_admin()

    again = ensure_dev_admin()

    assert again.step == DevAdminStep.KEPT
    assert again.password == first.password
    assert admin_count() == 1
    assert logs_in(app, again.email, again.password)


def test_a_changed_password_is_reset_so_a_newcomer_still_gets_in(app):
    first = ensure_dev_admin()
    set_password(DEV_ADMIN_EMAIL, "someone changed it meanwhile")

    again = ensure_dev_admin()

    assert again.step == DevAdminStep.RESET
    assert again.password != first.password
    assert again.password_file.read_text().strip() == again.password
    assert logs_in(app, again.email, again.password)
    assert admin_count() == 1


def test_a_deleted_password_file_is_replaced_with_a_new_password(app):
    first = ensure_dev_admin()
    first.password_file.unlink()

    again = ensure_dev_admin()

    assert again.step == DevAdminStep.RESET
    assert logs_in(app, again.email, again.password)
    assert not logs_in(app, first.email, first.password)


def test_the_start_up_output_says_where_to_log_in_and_with_what(app, capsys):
    echo_admin_login("http://127.0.0.1:5000")
    first = capsys.readouterr().out
    echo_admin_login("http://127.0.0.1:5000")
    again = capsys.readouterr().out

    password = (Path(app.instance_path) / PASSWORD_FILE).read_text().strip()
    assert "http://127.0.0.1:5000/admin/login" in first
    assert f"email {DEV_ADMIN_EMAIL}, password {password}" in first
    assert "development only; created now" in first
    assert f"email {DEV_ADMIN_EMAIL}, password {password}" in again
    assert "created on the first run" in again
    assert "printed at every start" in again


REAL_LOOKING = {
    "SECRET_KEY": "k" * 48,
    "STRIPE_SECRET_KEY": "sk_live_51Example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_51Example",
    "STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef",
}


@pytest.fixture
def production_app(database_url: str, tmp_path: Path):
    settings = type(
        "Production", (ProductionConfig,), {"SQLALCHEMY_DATABASE_URI": database_url, **REAL_LOOKING}
    )
    application = create_app(settings, instance_path=str(tmp_path / "production-instance"))
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


def test_production_never_creates_the_demo_admin(production_app, capsys):
    instance = Path(production_app.instance_path)

    assert ensure_dev_admin() is None
    echo_admin_login("https://donate.example.org")

    assert admin_count() == 0
    assert not (instance / PASSWORD_FILE).exists()
    output = capsys.readouterr().out
    assert "no demo admin outside development" in output
    assert "password" not in output


def test_testing_settings_never_create_it_either(database_url, tmp_path):
    application = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url}, instance_path=str(tmp_path / "testing")
    )
    with application.app_context():
        assert application.config["ENV_NAME"] == "testing"
        assert ensure_dev_admin() is None
        assert admin_count() == 0
        db.engine.dispose()
    assert not (tmp_path / "testing" / PASSWORD_FILE).exists()
