"""PayPal's settings (all or none) and the REST client's token handling and retries,
against the PayPal peer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner

from donation_drive import create_app
from donation_drive.extensions import db
from donation_drive.models import utcnow
from donation_drive.providers import paypal
from donation_drive.providers.paypal.payments import create_order, get_capture
from donation_drive.security import UnsafeSettings

from ..conftest import create_eoy_drive, make_app
from ..peers.paypal import PayPalPeer


def test_half_configured_paypal_is_refused_at_start_up(tmp_path):
    with pytest.raises(UnsafeSettings) as refused:
        create_app({"PAYPAL_CLIENT_ID": "abc", "INSTANCE_PATH": str(tmp_path)})
    message = str(refused.value)
    for name in ("PAYPAL_CLIENT_SECRET", "PAYPAL_WEBHOOK_ID", "PAYPAL_RECEIVER_EMAIL"):
        assert name in message
    assert "PAYPAL_CLIENT_ID" not in message.split("\n", 1)[1].split(";")[0].split(" is unset")[0]


def test_a_bad_address_is_refused_too(tmp_path, paypal_peer: PayPalPeer):
    settings = {**paypal_peer.settings(), "PAYPAL_IPN_VERIFY_URL": "ipnpb.paypal.com"}
    with pytest.raises(UnsafeSettings, match="PAYPAL_IPN_VERIFY_URL"):
        create_app({**settings, "INSTANCE_PATH": str(tmp_path)})


def test_the_cli_explains_a_half_configuration(monkeypatch, tmp_path):
    from donation_drive.cli import cli_group

    monkeypatch.setenv("DONATION_DRIVE_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PAYPAL_WEBHOOK_ID", "WH-ONLY")
    import donation_drive.settings as settings_module

    monkeypatch.setattr(settings_module.Config, "PAYPAL_WEBHOOK_ID", "WH-ONLY")
    result = CliRunner().invoke(cli_group(), ["drive", "list"])
    assert result.exit_code != 0
    assert "PayPal half-configured" in result.output and "PAYPAL_CLIENT_ID" in result.output


def test_unconfigured_paypal_is_off(database_url, tmp_path):
    off = {name: None for name in paypal_setting_names()}
    app = make_app(database_url, tmp_path / "off", **off)
    with app.app_context():
        create_eoy_drive(utcnow() - timedelta(days=1), utcnow() + timedelta(days=5))
        client = app.test_client()
        assert not paypal.is_enabled()
        assert "paypal-option" not in client.get("/donate/eoy").get_data(as_text=True)
        assert client.post("/webhooks/paypal/ipn", data=b"txn_id=1").status_code == 404
        assert client.post("/webhooks/paypal", json={}).status_code == 404
        db.session.remove()
        db.engine.dispose()


def paypal_setting_names() -> tuple[str, ...]:
    from donation_drive.security import PAYPAL_REQUIRED_SETTINGS

    return PAYPAL_REQUIRED_SETTINGS


@pytest.fixture
def app_overrides(paypal_peer: PayPalPeer) -> dict[str, object]:
    return paypal_peer.settings()


def test_token_is_cached_and_renewed_when_paypal_revokes_it(app, paypal_peer: PayPalPeer):
    order = create_order(
        amount=1000, currency="USD", custom_id="eoy:1", description="x", request_id="r-1"
    )
    create_order(amount=1000, currency="USD", custom_id="eoy:2", description="x", request_id="r-2")
    assert paypal_peer.tokens_issued == 1
    paypal_peer.expire_tokens()
    again = create_order(
        amount=1000, currency="USD", custom_id="eoy:1", description="x", request_id="r-1"
    )
    assert paypal_peer.tokens_issued == 2
    assert again.id == order.id  # the same PayPal-Request-Id: the same order, not a second
    assert len(paypal_peer.orders) == 2


def test_unknown_capture_is_a_rejection_and_paypal_down_unavailable(app, paypal_peer):
    with pytest.raises(paypal.PayPalRejected):
        get_capture("NOSUCHCAPTURE00001")
    paypal_peer.api_unavailable = True
    with pytest.raises(paypal.PayPalUnavailable):
        get_capture("NOSUCHCAPTURE00001")
    with pytest.raises(paypal.PayPalRejected):
        get_capture("../../v1/oauth2/token")  # never reaches PayPal
