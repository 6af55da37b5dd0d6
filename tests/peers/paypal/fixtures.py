"""pytest fixtures for the PayPal test peer (imported by tests/conftest.py).

``paypal_peer_server`` starts one peer per session; ``paypal_peer`` hands it to a test
cleared (``reset()``) and, after the test, fails it if anything that reached or left the
peer broke PayPal's published contract."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .peer import PayPalPeer


@pytest.fixture(scope="session")
def paypal_peer_server() -> Iterator[PayPalPeer]:
    peer = PayPalPeer().start()
    yield peer
    peer.stop()


@pytest.fixture
def paypal_peer(paypal_peer_server: PayPalPeer) -> Iterator[PayPalPeer]:
    paypal_peer_server.reset()
    yield paypal_peer_server
    paypal_peer_server.assert_no_violations()
