"""PayPal tests run the app against the PayPal test peer (tests/peers/paypal), which
checks every request and answer against PayPal's published OpenAPI documents and
fails the test (``paypal_peer`` fixture) on any breach of that contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from donation_drive.ledger import drive_progress
from donation_drive.models import Drive

from ..peers.live_server import LiveServer
from ..peers.paypal import PayPalPeer


@pytest.fixture
def app_overrides(paypal_peer: PayPalPeer) -> dict[str, object]:
    return {**paypal_peer.settings(), "PAYPAL_TIMEOUT_SECONDS": 5}


@pytest.fixture
def peer(paypal_peer: PayPalPeer) -> PayPalPeer:
    return paypal_peer


@pytest.fixture
def served(app: Flask) -> Iterator[LiveServer]:
    server = LiveServer(app).start()
    app.config["PUBLIC_BASE_URL"] = server.url
    yield server
    server.stop()


def raised(drive: Drive) -> int:
    from donation_drive.extensions import db

    db.session.rollback()
    return drive_progress(drive.slug).raised_amount
