"""Settings safety: production refuses the development secret key and the Stripe
emulator's credentials; a proxy's X-Forwarded-* headers are trusted only on request."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from config import DEFAULT_SECRET_KEY, ProductionConfig
from donation_drive import create_app
from donation_drive.extensions import db
from donation_drive.security import UnsafeSettings

REAL_LOOKING = {
    "SECRET_KEY": "k" * 48,
    "STRIPE_SECRET_KEY": "sk_live_51Example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_51Example",
    "STRIPE_WEBHOOK_SECRET": "whsec_0123456789abcdef",
}


def production(database_url: str, **settings: object) -> type[ProductionConfig]:
    values = {"SQLALCHEMY_DATABASE_URI": database_url, **REAL_LOOKING, **settings}
    return type("TestProductionConfig", (ProductionConfig,), values)


def test_production_refuses_the_default_secret_key(database_url, tmp_path):
    settings = production(database_url, SECRET_KEY=DEFAULT_SECRET_KEY)
    with pytest.raises(UnsafeSettings, match="SECRET_KEY"):
        create_app(settings, instance_path=str(tmp_path))


def test_production_refuses_a_short_secret_key(database_url, tmp_path):
    with pytest.raises(UnsafeSettings, match="SECRET_KEY"):
        create_app(production(database_url, SECRET_KEY="hunter2"), instance_path=str(tmp_path))


@pytest.mark.parametrize(
    ("name", "emulator_value"),
    [
        ("STRIPE_SECRET_KEY", "sk_test_localstripe"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_localstripe"),
    ],
)
def test_production_refuses_the_stripe_emulators_credentials(
    database_url, tmp_path, name, emulator_value
):
    settings = production(database_url, **{name: emulator_value})
    with pytest.raises(UnsafeSettings, match=name) as raised:
        create_app(settings, instance_path=str(tmp_path))
    assert sum(line.startswith("  - ") for line in str(raised.value).splitlines()) == 1


def test_production_starts_with_real_secrets_and_sends_hsts(database_url, tmp_path):
    app = create_app(production(database_url), instance_path=str(tmp_path))
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.status_code == 200
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_testing_and_development_accept_the_defaults(database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": DEFAULT_SECRET_KEY},
        instance_path=str(tmp_path),
    )
    assert app.config["SECRET_KEY"] == DEFAULT_SECRET_KEY


def test_the_command_line_explains_unsafe_settings_without_a_traceback(tmp_path):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("SECRET_KEY", "STRIPE_", "DATABASE_URL"))
    }
    environment.update(DONATION_DRIVE_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "donation-drive"), "drive", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert "refusing to start in production" in result.stderr
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def _remote_addr_seen(app, headers: dict[str, str]) -> str:
    """The client address the app believed, read from its access log line."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(remote_addr)s"))
    access = logging.getLogger("donation_drive.access")
    access.addHandler(handler)
    try:
        app.test_client().get("/healthz", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    finally:
        access.removeHandler(handler)
    return stream.getvalue().strip()


def test_forwarded_for_is_ignored_unless_a_proxy_is_trusted(app):
    assert _remote_addr_seen(app, {"X-Forwarded-For": "203.0.113.7"}) == "10.0.0.9"


def test_forwarded_for_is_read_from_one_trusted_proxy(database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "PROXY_FIX_X_FOR": 1},
        instance_path=str(tmp_path),
    )
    with app.app_context():
        seen = _remote_addr_seen(app, {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"})
        db.engine.dispose()
    # One trusted hop: the address the proxy appended, not what the client claimed.
    assert seen == "203.0.113.7"
