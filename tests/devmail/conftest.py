"""The dev mailbox tests' app: the development settings (the only ones under which the
mailbox exists) on the test database and a temporary instance folder, with the SMTP
port moved to a free one so the sink never meets a developer's own ``make run``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from config import Config, DevelopmentConfig, TestingConfig
from donation_drive import create_app
from donation_drive.devmail.sink import start_mail_sink
from donation_drive.extensions import db

from ..peers.ports import free_port
from ..production.test_settings import production


def development_settings(database_url: str, **overrides: object) -> type[DevelopmentConfig]:
    values = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": free_port(),
        "SMTP_TIMEOUT": 5,
        **overrides,
    }
    return type("DevelopmentTestConfig", (DevelopmentConfig,), values)


def other_settings(name: str, database_url: str, **overrides: object) -> type[Config]:
    """The production or the testing settings (the two without a dev mailbox)."""
    if name == "production":
        return production(database_url, **overrides)
    values = {"SQLALCHEMY_DATABASE_URI": database_url, **overrides}
    return type("TestingTestConfig", (TestingConfig,), values)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = create_app(
        development_settings(database_url), instance_path=str(tmp_path / "instance")
    )
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def sink(app: Flask) -> Iterator[object]:
    controller = start_mail_sink(app)
    assert controller is not None, "the development settings start the sink"
    yield controller
    controller.stop()
