"""The nginx configuration in docs/deployment.md, run for real in front of gunicorn:
it caches the widget, revalidates it with the app's ETag, serves a stale copy while
it refreshes, and carries the request id through. The config is the document's own
text with only addresses and paths replaced, so the doc cannot drift from what works.

Needs the nginx binary (Debian's ``nginx`` package); skipped where it is absent.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from donation_drive.extensions import db
from donation_drive.ledger import create_drive
from donation_drive.ledger.validation import parse_datetime

from ..conftest import make_app
from ..peers.nginx import NGINX, DocumentedNginx
from ..peers.ports import free_port
from .gunicorn import GunicornInstance

MAX_AGE = 1

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed"),
]


@pytest.fixture(scope="module")
def proxy(module_database_url, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """(nginx's address, the folder holding the app's log)."""
    folder = tmp_path_factory.mktemp("nginx")
    app = make_app(module_database_url, folder / "instance")
    with app.app_context():
        create_drive(
            slug="eoy",
            title="End of the Year",
            goal_amount=7_500_000,
            currency="USD",
            starts_at=parse_datetime("2026-11-15", "starts"),
            ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
        )
        db.engine.dispose()
    settings = {
        "DATABASE_URL": module_database_url,
        "DONATION_DRIVE_ENV": "testing",
        "WIDGET_MAX_AGE": str(MAX_AGE),
        "PROXY_FIX_X_FOR": "1",
    }
    gunicorn = GunicornInstance(settings, 1, folder / "gunicorn.log").start()
    nginx = DocumentedNginx(folder, free_port(), gunicorn.port)
    try:
        nginx.wait_ready()
        yield nginx.url, folder
    finally:
        nginx.stop()
        gunicorn.stop()


@pytest.fixture
def proxied(proxy) -> str:
    return proxy[0]


def app_access_log(folder: Path) -> list[dict]:
    lines = (folder / "gunicorn.log").read_text().splitlines()
    return [
        entry
        for entry in (json.loads(line) for line in lines if line.startswith("{"))
        if entry.get("logger") == "donation_drive.access"
    ]


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def test_nginx_serves_the_widget_from_its_cache(proxied):
    url = f"{proxied}/api/v1/drives/eoy?case=hit"
    first = get(url)
    second = get(url)
    assert first[0] == second[0] == 200
    assert first[1]["X-Cache-Status"] == "MISS"
    assert second[1]["X-Cache-Status"] == "HIT"
    assert second[2] == first[2]
    assert second[1]["ETag"] == first[1]["ETag"]


def next_second(after: float = 0.0) -> None:
    """Sleep into the next whole second of the clock, plus ``after``."""
    time.sleep(1 - time.time() % 1 + after)


def test_a_copy_expires_with_its_second_then_is_served_stale_while_revalidated(proxy):
    proxied, folder = proxy
    url = f"{proxied}/widget/eoy.svg?case=stale"
    next_second(0.1)
    fresh = get(url)
    assert fresh[1]["X-Cache-Status"] == "MISS"
    next_second(0.2)  # past the copy's X-Accel-Expires, within stale-while-revalidate
    stale = get(url)  # answered from the cache at once; nginx refreshes it behind
    assert stale[1]["X-Cache-Status"] == "STALE"
    assert stale[2] == fresh[2]
    time.sleep(0.3)
    after = get(url)
    assert after[1]["X-Cache-Status"] in {"HIT", "REVALIDATED"}
    assert after[2] == fresh[2]
    # nginx asked the app with If-None-Match and got a 304, not the whole image again.
    answered = [e["status"] for e in app_access_log(folder) if e["path"] == "/widget/eoy.svg"]
    assert answered == [200, 304]


def test_past_stale_while_revalidate_a_copy_is_never_served(proxy):
    proxied, _ = proxy
    url = f"{proxied}/api/v1/drives/eoy?case=expired"
    next_second(0.1)
    get(url)
    next_second(1.2)  # two seconds on: beyond max-age and stale-while-revalidate
    late = get(url)
    assert late[1]["X-Cache-Status"] in {"EXPIRED", "REVALIDATED"}


def test_a_clients_request_id_reaches_the_app_and_comes_back(proxied):
    _, headers, _ = get(f"{proxied}/healthz", {"X-Request-ID": "cdn-abc-123"})
    assert headers["X-Request-ID"] == "cdn-abc-123"


def test_nginx_gives_the_app_a_request_id_when_the_client_has_none(proxied):
    _, headers, _ = get(f"{proxied}/healthz")
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])


def test_each_widget_answer_carries_its_own_request_id_even_from_the_cache(proxied):
    url = f"{proxied}/api/v1/drives/eoy?case=request-ids"
    next_second(0.1)
    answers = []
    for n in range(3):
        request = urllib.request.Request(url, headers={"X-Request-ID": f"reader-{n}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback
            answers.append(response.headers)
    assert [answer["X-Cache-Status"] for answer in answers] == ["MISS", "HIT", "HIT"]
    assert [answer.get_all("X-Request-ID") for answer in answers] == [
        ["reader-0"],
        ["reader-1"],
        ["reader-2"],
    ]


def test_metrics_are_not_served_to_the_public(proxied):
    with pytest.raises(urllib.error.HTTPError) as refused:
        get(f"{proxied}/metrics")
    assert refused.value.code == 403
