"""Once Flask has served a representation for the cached figures, the fast path
answers the next requests for it without entering Flask, with the same body and
headers, the same 304s, request ids, metrics and access log lines."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator

import pytest
from werkzeug.test import Client

from donation_drive.observability import REQUEST_ID_HEADER
from donation_drive.widget.fast_path import WidgetFastPath

URLS = ("/api/v1/drives/eoy", "/widget/eoy", "/widget/eoy.svg")
PER_REQUEST = {"Date", REQUEST_ID_HEADER}


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"WIDGET_CACHE_SECONDS": 60}


@pytest.fixture
def flask_requests(app) -> list[str]:
    """Paths of the requests that reached Flask's request handling."""
    seen: list[str] = []

    @app.before_request
    def note() -> None:
        from flask import request

        seen.append(request.path)

    return seen


@pytest.fixture
def flask_only(app) -> Client:
    """A client for the Flask app behind the fast path."""
    assert isinstance(app.wsgi_app, WidgetFastPath)
    return Client(app.wsgi_app.wsgi_app)


@pytest.fixture
def log_lines() -> Iterator[io.StringIO]:
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_donation_drive", False))
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def comparable(response) -> tuple[int, bytes, list[tuple[str, str]]]:
    headers = sorted((k, v) for k, v in response.headers.items() if k not in PER_REQUEST)
    return response.status_code, response.get_data(), headers


@pytest.mark.parametrize("url", URLS)
def test_the_second_request_is_answered_without_entering_flask(client, give, flask_requests, url):
    give(10_000)
    first = client.get(url)
    second = client.get(url)

    assert flask_requests == [url]
    assert comparable(second) == comparable(first)
    assert second.headers["Date"]


@pytest.mark.parametrize("url", URLS)
def test_a_fast_304_is_the_304_flask_gives(client, flask_only, drive, flask_requests, url):
    etag = client.get(url).headers["ETag"]

    fast = client.get(url, headers={"If-None-Match": etag})
    slow = flask_only.get(url, headers={"If-None-Match": etag})

    assert (fast.status_code, slow.status_code) == (304, 304)
    assert comparable(fast) == comparable(slow)
    assert flask_requests == [url, url]  # the first request and the flask-only one


def test_a_weak_or_listed_etag_matches_on_the_fast_path_too(client, drive, flask_requests):
    etag = client.get(URLS[0]).headers["ETag"]

    assert client.get(URLS[0], headers={"If-None-Match": f"W/{etag}"}).status_code == 304
    assert client.get(URLS[0], headers={"If-None-Match": f'"x", {etag}'}).status_code == 304
    assert client.get(URLS[0], headers={"If-None-Match": '"other"'}).status_code == 200
    assert len(flask_requests) == 1


def test_new_figures_go_through_flask_once_then_fast_again(client, give, flask_requests):
    client.get(URLS[0])
    give(2_500)

    assert client.get(URLS[0]).get_json()["raised_amount"] == 2_500
    assert client.get(URLS[0]).get_json()["raised_amount"] == 2_500
    assert flask_requests == [URLS[0], URLS[0]]


def test_expired_figures_go_through_flask(app, client, drive, flask_requests):
    client.get(URLS[0])
    app.config["WIDGET_CACHE_SECONDS"] = 0

    client.get(URLS[0])

    assert flask_requests == [URLS[0], URLS[0]]


@pytest.mark.parametrize(
    "headers",
    [{"Range": "bytes=0-10"}, {"If-Match": '"x"'}, {"If-Modified-Since": "Wed, 21 Oct 2015"}],
    ids=["range", "if-match", "if-modified-since"],
)
def test_finer_conditional_requests_are_left_to_flask(client, drive, flask_requests, headers):
    client.get(URLS[0])

    client.get(URLS[0], headers=headers)

    assert flask_requests == [URLS[0], URLS[0]]


def test_head_and_unknown_drives_are_left_to_flask(client, drive, flask_requests):
    client.get(URLS[0])

    assert client.head(URLS[0]).status_code == 200
    assert client.get("/api/v1/drives/nope").status_code == 404
    assert client.get("/widget/embed.js").status_code == 200
    assert flask_requests == [URLS[0], URLS[0], "/api/v1/drives/nope", "/widget/embed.js"]


def test_request_ids_follow_the_same_rule(client, drive):
    client.get(URLS[0])

    sane = client.get(URLS[0], headers={REQUEST_ID_HEADER: "edge-7f3a:42"})
    unsafe = client.get(URLS[0], headers={REQUEST_ID_HEADER: "two words"})
    fresh = [client.get(URLS[0]).headers[REQUEST_ID_HEADER] for _ in range(2)]

    assert sane.headers[REQUEST_ID_HEADER] == "edge-7f3a:42"
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers[REQUEST_ID_HEADER])
    assert all(re.fullmatch(r"[0-9a-f]{32}", rid) for rid in fresh)
    assert fresh[0] != fresh[1]


def test_the_access_log_line_is_the_one_flask_writes(client, drive, log_lines):
    client.get(URLS[0], headers={REQUEST_ID_HEADER: "through-flask"})
    client.get(URLS[0], headers={REQUEST_ID_HEADER: "fast"})

    access = [
        json.loads(line)
        for line in log_lines.getvalue().splitlines()
        if json.loads(line)["logger"] == "donation_drive.access"
    ]
    assert [line["request_id"] for line in access] == ["through-flask", "fast"]
    slow, fast = (
        {k: v for k, v in line.items() if k not in ("time", "request_id", "duration_ms")}
        for line in access
    )
    assert fast == slow
    assert isinstance(access[1]["duration_ms"], float)


def test_fast_answers_are_counted_in_the_request_metrics(client, drive):
    from ..production.metrics import scrape

    def count(status: str) -> float:
        return scrape(
            client,
            "donation_drive_http_requests_total",
            endpoint="widget.progress_json",
            method="GET",
            status=status,
        )

    ok, not_modified = count("200"), count("304")
    etag = client.get(URLS[0]).headers["ETag"]
    client.get(URLS[0])
    client.get(URLS[0], headers={"If-None-Match": etag})

    assert count("200") == ok + 2
    assert count("304") == not_modified + 1
