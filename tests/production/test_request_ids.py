"""Every response carries a request id (the caller's when it is sane, else a fresh
one), and every log line written while serving it carries the same id."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest

from donation_drive.observability import REQUEST_ID_HEADER


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    """What the app's own log handler writes, redirected to a buffer for one test."""
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_donation_drive", False))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def logged(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_sane_incoming_request_id_is_echoed(client):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: "edge-7f3a:42"})
    assert response.headers[REQUEST_ID_HEADER] == "edge-7f3a:42"


def test_a_request_without_an_id_gets_a_fresh_one(client):
    first = client.get("/healthz").headers[REQUEST_ID_HEADER]
    second = client.get("/healthz").headers[REQUEST_ID_HEADER]
    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


@pytest.mark.parametrize(
    "unsafe", ["two words", "x" * 129, 'quote"d', "new\\nline", "<script>", "é"]
)
def test_an_unsafe_incoming_id_is_replaced(client, unsafe):
    response = client.get("/healthz", headers={REQUEST_ID_HEADER: unsafe})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers[REQUEST_ID_HEADER])


def test_error_responses_carry_the_id_too(client):
    response = client.get("/api/v1/drives/nope", headers={REQUEST_ID_HEADER: "abc-123"})
    assert response.status_code == 404
    assert response.headers[REQUEST_ID_HEADER] == "abc-123"


def test_the_access_log_line_is_json_with_the_request_id(client, drive, log_lines):
    client.get("/api/v1/drives/eoy", headers={REQUEST_ID_HEADER: "req-1"})
    access = [line for line in logged(log_lines) if line["logger"] == "donation_drive.access"]
    assert len(access) == 1
    assert access[0]["request_id"] == "req-1"
    assert access[0]["status"] == 200
    assert access[0]["path"] == "/api/v1/drives/eoy"
    assert access[0]["level"] == "info"
    assert isinstance(access[0]["duration_ms"], float)


def test_any_log_line_written_during_a_request_carries_its_id(app, log_lines):
    @app.get("/_test/log")
    def write_a_line():
        logging.getLogger("donation_drive.ledger").warning("amount differs", extra={"ref": "pi_1"})
        return "ok"

    response = app.test_client().get("/_test/log")
    request_id = response.headers[REQUEST_ID_HEADER]
    warning = next(line for line in logged(log_lines) if line["message"] == "amount differs")
    assert warning["request_id"] == request_id
    assert warning["level"] == "warning"
    assert warning["ref"] == "pi_1"


def test_log_lines_outside_requests_have_no_request_id(app, log_lines):
    logging.getLogger("donation_drive.jobs").info("tick")
    (line,) = [entry for entry in logged(log_lines) if entry["message"] == "tick"]
    assert "request_id" not in line


def test_exceptions_are_logged_with_their_traceback_in_one_line(app, log_lines):
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("donation_drive.jobs").exception("job failed")
    (line,) = [entry for entry in logged(log_lines) if entry["message"] == "job failed"]
    assert "ValueError: boom" in line["exception"]
    assert log_lines.getvalue().count("\n") == len(logged(log_lines))
