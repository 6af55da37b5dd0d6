"""The deployment the docs describe: two web instances (gunicorn, several workers
each) on one database. Whatever must be shared is in the database, so a donation
written anywhere shows on every instance within a second (the widget answer a worker
replays expires then), and /metrics
adds up all of an instance's workers."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from flask import Flask

from donation_drive.extensions import db
from donation_drive.ledger import create_drive, get_drive, record_offline_donation
from donation_drive.ledger.validation import parse_datetime
from donation_drive.models import utcnow

from ..conftest import make_app
from .gunicorn import GunicornInstance
from .metrics import sample

pytestmark = pytest.mark.slow


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, dict(response.headers), response.read()


def raised(instance: GunicornInstance) -> int:
    return json.loads(get(f"{instance.url}/api/v1/drives/eoy")[2])["raised_amount"]


@pytest.fixture(scope="module")
def shared_app(module_database_url, tmp_path_factory) -> Iterator[Flask]:
    """An app on the instances' database, for writing to it as the admin would."""
    app = make_app(module_database_url, tmp_path_factory.mktemp("instance"))
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
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def instances(
    shared_app, module_database_url, tmp_path_factory
) -> Iterator[list[GunicornInstance]]:
    folder = tmp_path_factory.mktemp("gunicorn")
    started: list[GunicornInstance] = []
    try:
        for name, workers in (("a", 2), ("b", 1)):
            metrics_dir = folder / f"metrics-{name}"
            metrics_dir.mkdir()
            settings = {
                "DATABASE_URL": module_database_url,
                "DONATION_DRIVE_ENV": "testing",
                "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
            }
            instance = GunicornInstance(settings, workers, folder / f"gunicorn-{name}.log")
            instance.metrics_dir = metrics_dir
            started.append(instance)
        with ThreadPoolExecutor(len(started)) as pool:
            list(pool.map(GunicornInstance.start, started))
        yield started
    finally:
        for instance in started:
            instance.stop()


def test_two_instances_agree_on_totals_written_elsewhere(shared_app, instances):
    first, second = instances
    before = raised(first)
    assert raised(second) == before
    record_offline_donation(
        get_drive("eoy"), amount=12_345, method="check", received_at=utcnow(), entered_by="test"
    )
    committed = time.time()
    expected = before + 12_345
    # Each worker replays an answer it rendered before the commit until the end of
    # the second its X-Accel-Expires names (WIDGET_MAX_AGE = 1): at the latest one
    # second after the commit, both answer from the database.
    time.sleep(max(0.0, committed + 1.0 - time.time()))
    assert raised(first) == raised(second) == expected


def served_by(instance: GunicornInstance) -> float:
    """Progress requests answered 200, as the instance's /metrics reports them."""
    return sample(
        get(f"{instance.url}/metrics")[2].decode(),
        "donation_drive_http_requests_total",
        endpoint="widget.progress_json",
        method="GET",
        status="200",
    )


def test_metrics_add_up_every_worker_of_an_instance(instances):
    instance = instances[0]
    before = served_by(instance)
    url = f"{instance.url}/api/v1/drives/eoy"
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: get(url)[0], range(60)))
    assert statuses == [200] * 60
    assert served_by(instance) == before + 60
    # Both workers answered some of them, so the sum above crossed processes.
    workers_that_served = {
        path.stem.rsplit("_", 1)[1] for path in instance.metrics_dir.glob("counter_*.db")
    }
    assert len(workers_that_served) == 2


def test_request_ids_pass_through_gunicorn(instances):
    status, headers, _ = get(f"{instances[1].url}/healthz", {"X-Request-ID": "lb-1234"})
    assert status == 200
    assert headers["X-Request-ID"] == "lb-1234"
