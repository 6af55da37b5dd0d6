"""The widget's kept answers (``widget.response_cache``): a replay is the answer
Flask wrote, with this request's own id, metrics and access log line; conditional
requests get Werkzeug's answer; nothing but a widget 200 is kept, for no longer than
its ``X-Accel-Expires`` says, and never one rendered while a change committed."""

from __future__ import annotations

import logging
import re

import pytest
from prometheus_client import REGISTRY

from donation_drive.widget import response_cache, views

from .conftest import sql_statements

URL = "/api/v1/drives/eoy"
PER_ANSWER = {"X-Request-ID", "Date"}


def headers_of(response) -> dict[str, str]:
    return {name: value for name, value in response.headers if name not in PER_ANSWER}


def requests_counted(endpoint: str, status: str = "200") -> float:
    value = REGISTRY.get_sample_value(
        "donation_drive_http_requests_total",
        {"endpoint": endpoint, "method": "GET", "status": status},
    )
    return value or 0.0


@pytest.mark.parametrize("url", [URL, "/widget/eoy", "/widget/eoy.svg?theme=auto"])
def test_a_replay_is_the_answer_flask_wrote_with_its_own_request_id(client, drive, clock, url):
    first = client.get(url)
    with sql_statements() as statements:
        given = client.get(url, headers={"X-Request-ID": "reader-7"})
        made_up = client.get(url)
    assert statements == []  # both replayed

    for replay in (given, made_up):
        assert replay.status_code == 200
        assert replay.data == first.data
        assert headers_of(replay) == headers_of(first)
    assert given.headers["X-Request-ID"] == "reader-7"
    assert re.fullmatch(r"[0-9a-f]{32}", made_up.headers["X-Request-ID"])
    assert made_up.headers["X-Request-ID"] != first.headers["X-Request-ID"]


def test_every_replay_is_counted_and_logged(client, drive, clock, caplog):
    before = requests_counted("widget.progress_json")
    with caplog.at_level(logging.INFO, logger="donation_drive.access"):
        ids = [client.get(URL).headers["X-Request-ID"] for _ in range(3)]

    assert requests_counted("widget.progress_json") == before + 3
    lines = [r for r in caplog.records if r.name == "donation_drive.access"]
    assert [(r.method, r.path, r.status) for r in lines] == [("GET", URL, 200)] * 3
    assert [r.request_id for r in lines] == ids


def test_a_conditional_request_gets_werkzeugs_answer_from_the_kept_one(client, drive, clock):
    first = client.get(URL)
    etag = first.headers["ETag"]

    with sql_statements() as statements:
        replayed = client.get(URL, headers={"If-None-Match": etag})
        other = client.get(URL, headers={"If-None-Match": '"something-else"'})
    assert statements == []
    client.application.extensions["widget_response_cache"].forget()
    rendered = client.get(URL, headers={"If-None-Match": etag})  # through Flask

    assert (replayed.status_code, rendered.status_code) == (304, 304)
    assert replayed.data == rendered.data == b""
    assert headers_of(replayed) == headers_of(rendered)
    assert (other.status_code, other.data) == (200, first.data)


@pytest.mark.parametrize(
    "url, status",
    [("/api/v1/drives/nope", 404), ("/widget/eoy?theme=purple", 400)],
    ids=["unknown drive", "refused look"],
)
def test_errors_are_never_kept(client, drive, clock, url, status):
    for _ in range(2):
        with sql_statements() as statements:
            assert client.get(url).status_code == status
        assert statements  # each one went through Flask and read the database


def test_nothing_is_kept_when_the_widget_may_not_be_cached(client, drive, clock):
    client.application.config["WIDGET_MAX_AGE"] = 0
    for _ in range(2):
        with sql_statements() as statements:
            assert client.get(URL).status_code == 200
        assert len(statements) == 1


def test_an_answer_rendered_while_a_change_committed_is_not_kept(client, drive, clock, monkeypatch):
    cache = client.application.extensions["widget_response_cache"]
    read = views.drive_progress

    def read_then_a_commit_elsewhere(slug):
        progress = read(slug)
        cache.forget()  # what totals_changed does when another thread's write commits
        return progress

    monkeypatch.setattr(views, "drive_progress", read_then_a_commit_elsewhere)
    client.get(URL)
    monkeypatch.setattr(views, "drive_progress", read)

    with sql_statements() as statements:
        client.get(URL)
    assert len(statements) == 1  # rendered again, not replayed


def test_a_head_request_goes_through_flask(client, drive, clock):
    client.get(URL)
    with sql_statements() as statements:
        response = client.head(URL)
    assert response.status_code == 200
    assert len(statements) == 1


def test_no_more_answers_are_kept_than_the_bound(client, drive, clock, monkeypatch):
    monkeypatch.setattr(response_cache, "MAX_KEPT", 3)
    cache = client.application.extensions["widget_response_cache"]
    for n in range(5):  # anyone can invent query strings
        assert client.get(f"{URL}?n={n}").status_code == 200
    assert len(cache._kept) == 3

    clock[0] += 1  # the kept ones expire and make room
    assert client.get(f"{URL}?n=9").status_code == 200
    assert list(cache._kept) == [(URL, "n=9")]
