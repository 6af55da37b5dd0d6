"""Fixtures for the widget tests: money given to the ``drive`` fixture's drive."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

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
