"""Which log format the service writes: text for a person (a terminal, or the
development settings), JSON for a log collector, unless ``LOG_FORMAT`` says which."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator

import pytest

from config import DevelopmentConfig
from donation_drive import create_app
from donation_drive.observability import (
    REQUEST_ID_HEADER,
    JsonFormatter,
    TextFormatter,
    choose_log_format,
    configure_logging,
)

from .production.test_settings import production

TEXT_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} WARNING donation_drive\.test ")


@pytest.fixture
def terminal() -> Iterator[io.TextIOWrapper]:
    """The writing end of a real pseudo-terminal."""
    controller, device = os.openpty()
    stream = open(device, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    yield stream
    stream.close()
    os.close(controller)


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """Put the app's own handler back as the test found it."""
    root = logging.getLogger()
    before = list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in before:
            root.removeHandler(handler)
    for handler in before:
        if handler not in root.handlers:
            root.addHandler(handler)


def log_one_line(log_format: str, *, development: bool) -> str:
    stream = io.StringIO()
    configure_logging("INFO", log_format, development=development, stream=stream)
    logging.getLogger("donation_drive.test").warning("receipt sent", extra={"email_id": 7})
    return stream.getvalue()


def test_auto_writes_json_in_production_when_no_terminal_reads_it():
    line = log_one_line("auto", development=False)
    entry = json.loads(line)
    assert entry["message"] == "receipt sent"
    assert entry["level"] == "warning"
    assert entry["email_id"] == 7


def test_auto_writes_text_in_development_even_without_a_terminal():
    line = log_one_line("auto", development=True)
    assert TEXT_LINE.match(line), line
    assert line.rstrip("\n").endswith(" receipt sent")


def test_auto_writes_text_to_a_terminal_in_production(terminal):
    assert choose_log_format("auto", terminal, development=False) == "text"
    assert choose_log_format("auto", io.StringIO(), development=False) == "json"


def test_json_overrides_a_terminal_and_development(terminal):
    assert choose_log_format("json", terminal, development=True) == "json"
    assert choose_log_format(" JSON ", terminal, development=True) == "json"


def test_text_overrides_production_without_a_terminal():
    assert choose_log_format("text", io.StringIO(), development=False) == "text"
    line = log_one_line("text", development=False)
    assert TEXT_LINE.match(line), line


def test_an_unknown_setting_is_refused_by_name():
    with pytest.raises(ValueError, match=r"LOG_FORMAT must be one of auto, json, text, got 'xml'"):
        choose_log_format("xml", io.StringIO(), development=False)


def app_formatter(settings: type, tmp_path) -> logging.Formatter:
    create_app(settings, instance_path=str(tmp_path / "instance"))
    [handler] = [h for h in logging.getLogger().handlers if getattr(h, "_donation_drive", False)]
    return handler.formatter


def test_the_app_picks_text_under_development_settings_and_json_under_production(
    database_url, tmp_path, monkeypatch
):
    monkeypatch.setattr("sys.stderr", io.StringIO())  # no terminal, whoever runs the tests
    development = type(
        "Development", (DevelopmentConfig,), {"SQLALCHEMY_DATABASE_URI": database_url}
    )
    assert isinstance(app_formatter(development, tmp_path), TextFormatter)
    assert isinstance(app_formatter(production(database_url), tmp_path), JsonFormatter)


def test_text_lines_keep_the_request_id(app, client):
    stream = io.StringIO()
    configure_logging("INFO", "text", stream=stream)

    client.get("/healthz", headers={REQUEST_ID_HEADER: "edge-42"})
    logging.getLogger("donation_drive.test").warning("outside any request")

    access, outside = stream.getvalue().splitlines()
    assert " INFO donation_drive.access [edge-42] GET /healthz 200" in access
    assert "[" not in outside  # no request, no empty id
