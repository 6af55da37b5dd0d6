"""Serving the widget costs no database query while the totals are cached; a ledger
write in this process shows at once, one made by another process within
``WIDGET_CACHE_SECONDS``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from donation_drive.extensions import db
from donation_drive.ledger import (
    ProviderPayment,
    apply_provider_dispute,
    apply_provider_refund,
    get_drive,
    record_offline_donation,
    record_provider_payment,
    refund_offline_donation,
    update_drive,
    update_offline_donation,
    void_donation,
)

from ..conftest import make_app
from .conftest import GIVEN_AT

URL = "/api/v1/drives/eoy"
WIDGET_URLS = (URL, "/widget/eoy", "/widget/eoy.svg")


@pytest.fixture
def app_overrides() -> dict[str, object]:
    # Long enough that nothing expires by itself during a test unless a test says so.
    return {"WIDGET_CACHE_SECONDS": 60}


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """Every SQL statement this app sends to its database inside the block."""
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:
        statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def raised(client) -> int:
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_json()["raised_amount"]


def test_first_request_reads_the_drive_once(client, drive):
    with sql_statements() as statements:
        assert client.get(URL).status_code == 200

    assert len(statements) == 1
    assert "drives" in statements[0]


def test_cached_widget_requests_make_no_query(client, drive, give):
    give(10_000)
    etag = client.get(URL).headers["ETag"]

    with sql_statements() as statements:
        for _ in range(5):
            for url in WIDGET_URLS:
                assert client.get(url).status_code == 200
        assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304

    assert statements == []


def test_a_ledger_write_in_this_process_shows_at_once(client, drive, give):
    give(10_000)
    assert raised(client) == 10_000

    give(2_500)

    assert raised(client) == 12_500


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda d: void_donation(d.id, reason="bounced", actor="test"), 0),
        (lambda d: refund_offline_donation(d.id, amount=4_000, reason="x", actor="t"), 6_000),
        (lambda d: update_offline_donation(d.id, actor="test", amount=12_000), 12_000),
    ],
    ids=["void", "offline refund", "correction"],
)
def test_every_kind_of_offline_change_invalidates_at_once(client, give, change, expected):
    donation = give(10_000)
    assert raised(client) == 10_000

    change(donation)

    assert raised(client) == expected


def test_provider_payments_refunds_and_disputes_invalidate_at_once(client, drive):
    assert raised(client) == 0
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_cache",
            drive=drive,
            amount=5_000,
            currency="USD",
            received_at=GIVEN_AT,
        ),
        actor="webhook",
    )
    assert raised(client) == 5_000
    apply_provider_refund("stripe", "pi_cache", refunded_total=1_000, actor="webhook")
    assert raised(client) == 4_000
    apply_provider_dispute(
        "stripe", "pi_cache", dispute_status="needs_response", disputed_amount=4_000, actor="w"
    )
    assert raised(client) == 0


def test_a_drive_edit_shows_at_once(client, drive):
    assert client.get(URL).get_json()["goal_amount"] == 7_500_000

    update_drive(drive, goal_amount=10_000_000, title="New title")

    body = client.get(URL).get_json()
    assert (body["goal_amount"], body["title"]) == (10_000_000, "New title")


def test_a_write_by_another_process_shows_within_the_cache_time(app, client, drive, tmp_path):
    ttl = 2.0
    app.config["WIDGET_CACHE_SECONDS"] = ttl
    assert raised(client) == 0
    cached_at = time.monotonic()
    # A second app instance on the same database stands in for another worker
    # process: its ledger write cannot reach this process's cache.
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "other-process")
    with other.app_context():
        record_offline_donation(
            get_drive("eoy"),
            amount=7_000,
            method="cash",
            received_at=GIVEN_AT,
            entered_by="other process",
            send_receipt=False,
        )
        db.session.remove()
        db.engine.dispose()

    assert raised(client) == 0  # still this process's cached figures
    while raised(client) != 7_000:
        assert time.monotonic() - cached_at < ttl + 2, "the write never showed up"
        time.sleep(0.05)
    assert time.monotonic() - cached_at <= ttl + 0.5


def test_after_expiry_one_read_refreshes_the_figures_for_every_request(app, client, drive):
    app.config["WIDGET_CACHE_SECONDS"] = 1.0
    client.get(URL)
    time.sleep(1.05)

    with sql_statements() as statements:
        for _ in range(10):
            for url in WIDGET_URLS:
                assert client.get(url).status_code == 200

    assert len(statements) == 1
