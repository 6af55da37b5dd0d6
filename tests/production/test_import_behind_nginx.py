"""Two web instances (gunicorn, each with its own instance folder) on one database,
each behind the nginx configuration docs/deployment.md gives: a CSV import previewed
through one instance and confirmed through the other imports its rows once.

Each request is pinned to an instance by sending it to a front (an nginx running the
documented config) whose upstream is that instance alone; the instances' access logs
confirm which one answered. The admin's browser is one cookie jar for both fronts,
as it is for one site behind a balancer that alternates between instances.

Needs the nginx binary (Debian's ``nginx`` package); skipped where it is absent.
"""

from __future__ import annotations

import http.cookiejar
import io
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from donation_drive.admin.auth.accounts import create_admin
from donation_drive.extensions import db
from donation_drive.ledger import create_drive, drive_progress
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import Donation

from ..conftest import csrf_token_from, make_app
from ..peers.nginx import NGINX, DocumentedNginx
from ..peers.ports import free_port
from .gunicorn import GunicornInstance

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(NGINX is None, reason="nginx is not installed"),
]

ADMIN_EMAIL, ADMIN_PASSWORD = "treasurer@example.org", "a long enough password"


@dataclass
class Instance:
    gunicorn: GunicornInstance
    front: DocumentedNginx  # the documented nginx with this instance as its only upstream

    def answered(self, answer: Answer) -> bool:
        """Whether this instance's app is the one that gave ``answer``."""
        lines = self.gunicorn.log_path.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.startswith("{")]
        return any(
            entry.get("logger") == "donation_drive.access"
            and entry.get("request_id") == answer.request_id
            for entry in entries
        )


@pytest.fixture(scope="module")
def shared_app(module_database_url, tmp_path_factory) -> Iterator[Flask]:
    """An app on the instances' database, to set it up and to read what they wrote."""
    app = make_app(module_database_url, tmp_path_factory.mktemp("shared-instance"))
    with app.app_context():
        create_drive(
            slug="eoy",
            title="End of the Year",
            goal_amount=7_500_000,
            currency="USD",
            starts_at=parse_datetime("2026-11-15", "starts"),
            ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
        )
        create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        db.engine.dispose()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def instances(shared_app, module_database_url, tmp_path_factory) -> Iterator[list[Instance]]:
    folder = tmp_path_factory.mktemp("two-instances")
    settings = {
        "DATABASE_URL": module_database_url,
        "DONATION_DRIVE_ENV": "testing",
        "PROXY_FIX_X_FOR": "1",
    }
    started: list[GunicornInstance] = []
    fronts: list[DocumentedNginx] = []
    try:
        for name in ("a", "b"):
            started.append(
                GunicornInstance(
                    settings,
                    1,
                    folder / f"gunicorn-{name}.log",
                    instance_path=folder / f"instance-{name}",
                )
            )
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(GunicornInstance.start, started))
        for name, gunicorn in zip(("a", "b"), started, strict=True):
            nginx_folder = folder / f"nginx-{name}"
            nginx_folder.mkdir()
            fronts.append(DocumentedNginx(nginx_folder, free_port(), gunicorn.port).wait_ready())
        yield [Instance(g, f) for g, f in zip(started, fronts, strict=True)]
    finally:
        for front in fronts:
            front.stop()
        for gunicorn in started:
            gunicorn.stop()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 comes back as the answer, for the test to read


@dataclass
class Answer:
    status: int
    location: str | None
    text: str
    request_id: str  # sent through nginx to the app, which logs it

    @property
    def confirmation_token(self) -> str:
        match = re.search(r'name="token"[^>]*value="([^"]+)"', self.text)
        assert match, "the preview offers no confirmation"
        return match.group(1)


class AdminBrowser:
    """One admin's cookies, sent to whichever front a request goes through."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirects()
        )

    def send(self, url: str, body: bytes | None = None, content_type: str = "") -> Answer:
        request_id = uuid.uuid4().hex
        headers = {"X-Request-ID": request_id}
        if content_type:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return Answer(response.status, None, response.read().decode(), request_id)
        except urllib.error.HTTPError as error:
            location = error.headers.get("Location")
            return Answer(error.code, location, error.read().decode(), request_id)

    def post_form(self, url: str, fields: dict[str, str]) -> Answer:
        body = urllib.parse.urlencode(fields).encode()
        return self.send(url, body, "application/x-www-form-urlencoded")

    def csrf_token(self, front: DocumentedNginx) -> str:
        return csrf_token_from(self.send(f"{front.url}/admin/import").text)

    def log_in(self, front: DocumentedNginx) -> None:
        token = csrf_token_from(self.send(f"{front.url}/admin/login").text)
        fields = {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD, "csrf_token": token}
        answer = self.post_form(f"{front.url}/admin/login", fields)
        assert answer.status == 302, answer.text

    def preview(self, front: DocumentedNginx, sheet: str) -> Answer:
        """Upload ``sheet`` through ``front``, as the import form does."""
        fields = {
            "csrf_token": self.csrf_token(front),
            "drive": "eoy",
            "format": "auto",
            "date_order": "auto",
            "file": FileStorage(io.BytesIO(sheet.encode()), "gifts.csv", content_type="text/csv"),
        }
        boundary, body = encode_multipart(fields)
        answer = self.send(
            f"{front.url}/admin/import", body, f"multipart/form-data; boundary={boundary}"
        )
        assert answer.status == 200, answer.text
        return answer

    def confirm(self, front: DocumentedNginx, token: str, csrf_token: str) -> Answer:
        fields = {"csrf_token": csrf_token, "token": token}
        return self.post_form(f"{front.url}/admin/import/confirm", fields)


def counted(app: Flask) -> tuple[int, int]:
    """(donations in the database, the drive's raised amount)."""
    with app.app_context():
        count = db.session.scalar(select(func.count()).select_from(Donation))
        raised = drive_progress("eoy").raised_amount
        db.session.remove()
        return count, raised


def test_a_preview_made_on_one_instance_is_confirmed_through_the_other_once(shared_app, instances):
    first, second = instances
    browser = AdminBrowser()
    browser.log_in(first.front)
    before = counted(shared_app)

    sheet = "date,amount,method\n2026-11-20,100,check\n2026-11-21,25,cash\n"
    preview = browser.preview(first.front, sheet)
    csrf_token = browser.csrf_token(second.front)
    done = browser.confirm(second.front, preview.confirmation_token, csrf_token)
    again = browser.confirm(second.front, preview.confirmation_token, csrf_token)

    assert done.status == 200, done.text
    assert "Imported 2 donations ($125.00)" in done.text
    assert (again.status, again.location) == (302, "/admin/import")
    assert counted(shared_app) == (before[0] + 2, before[1] + 12_500)
    # The first instance alone made the preview, the second alone took the
    # confirmations: nothing passed between them but the database.
    assert (first.answered(preview), second.answered(preview)) == (True, False)
    for answer in (done, again):
        assert (first.answered(answer), second.answered(answer)) == (False, True)


def test_one_preview_confirmed_through_both_instances_at_once_imports_once(shared_app, instances):
    first, second = instances
    browser = AdminBrowser()
    browser.log_in(second.front)
    before = counted(shared_app)
    preview = browser.preview(second.front, "date,amount,method\n2026-11-22,40,check\n")
    csrf_token = browser.csrf_token(second.front)
    fronts = (first.front, second.front)

    with ThreadPoolExecutor(2) as pool:
        answers = list(
            pool.map(
                lambda front: browser.confirm(front, preview.confirmation_token, csrf_token),
                fronts,
            )
        )

    assert sorted(answer.status for answer in answers) == [200, 302]
    assert [first.answered(answers[0]), second.answered(answers[1])] == [True, True]
    assert counted(shared_app) == (before[0] + 1, before[1] + 4_000)
