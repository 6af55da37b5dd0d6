"""Fixtures for the widget tests: money given to the ``drive`` fixture's drive, a
clock, and the SQL an app sends."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from donation_drive.extensions import db
from donation_drive.ledger import DonorDetails, record_offline_donation
from donation_drive.models import Donation, Drive

GIVEN_AT = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def give(drive: Drive) -> Callable[..., Donation]:
    """Record an offline gift of ``cents`` to the test drive through the ledger."""

    def give(cents: int, method: str = "check", **donor: object) -> Donation:
        return record_offline_donation(
            drive,
            amount=cents,
            method=method,
            received_at=GIVEN_AT,
            entered_by="test",
            donor=DonorDetails(**donor),  # type: ignore[arg-type]
            send_receipt=False,
        )

    return give


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    """The epoch seconds both the caching headers and the kept answers read:
    ``clock[0] += 1`` moves into the next whole second."""
    now = [1_800_000_000.25]
    monkeypatch.setattr(time, "time", lambda: now[0])
    return now


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
