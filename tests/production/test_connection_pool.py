"""PostgreSQL connections are pinged before use only after sitting idle: a server
restart while the pool is quiet costs no request, and a pool in steady use pays no
round trip per checkout."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from donation_drive import database
from donation_drive.extensions import db

from ..conftest import make_app

pytestmark = pytest.mark.postgres


@pytest.fixture
def pg_app(postgres, tmp_path):
    app = make_app(postgres.create_database(), tmp_path / "instance")
    with app.app_context():
        yield app
        db.engine.dispose()


@pytest.fixture
def pings(pg_app, monkeypatch) -> list[float]:
    """Each ping the pool makes, by time; pings still go to the real server."""
    made: list[float] = []
    dialect = db.engine.dialect
    real_ping = dialect.do_ping

    def counted_ping(dbapi_connection) -> bool:
        made.append(time.monotonic())
        return real_ping(dbapi_connection)

    monkeypatch.setattr(dialect, "do_ping", counted_ping)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.2)
    return made


def _checkout_and_return() -> int:
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT 1")).scalar()


def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(pg_app, pings):
    for _ in range(20):
        _checkout_and_return()
    assert pings == []
    time.sleep(0.3)
    _checkout_and_return()
    assert len(pings) == 1


def test_after_a_restart_an_idle_pool_serves_the_next_request_without_an_error(
    pg_app, pings, postgres
):
    _checkout_and_return()  # the pool now holds a connection to the old server
    postgres.restart()
    postgres.wait_ready()
    time.sleep(0.3)
    assert _checkout_and_return() == 1  # the dead connection was replaced, not used
    assert len(pings) == 1


def test_after_a_restart_under_load_one_statement_fails_and_the_pool_recovers(
    pg_app, pings, postgres, monkeypatch
):
    """Within the idle cutoff nothing is pinged: the statement that meets the dead
    connection fails (as one in flight during the restart would anyway), and
    SQLAlchemy then discards the process's pooled connections."""
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 60)
    _three_at_once()  # the pool now holds three connections to the old server
    postgres.restart()
    postgres.wait_ready()
    with pytest.raises(Exception, match=r"(?i)terminat|closed|connection"):
        _checkout_and_return()
    assert _three_at_once() == [1, 1, 1]  # none of the other two old ones was used
    assert pings == []


def _three_at_once() -> list[int]:
    connections = [db.engine.connect() for _ in range(3)]
    try:
        return [c.execute(text("SELECT 1")).scalar() for c in connections]
    finally:
        for connection in connections:
            connection.close()
