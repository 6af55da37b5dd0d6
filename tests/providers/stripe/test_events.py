"""Verifying webhook deliveries: signed as Stripe signs them, within the tolerance,
and a Stripe event at all; everything else is refused naming what is wrong."""

from __future__ import annotations

import json
import time

import pytest

from donation_drive.providers.stripe import InvalidWebhook, parse_event, read_metadata

from .support import payment_intent_object, sign, stripe_event


def _payload() -> str:
    intent = payment_intent_object(amount=100, drive_slug="eoy")
    return json.dumps(stripe_event("payment_intent.succeeded", intent))


def test_a_signed_event_is_parsed(app, webhook_secret):
    payload = _payload()
    event = parse_event(payload.encode(), sign(payload, webhook_secret))
    sent = json.loads(payload)
    assert (event.id, event.type, event.created) == (sent["id"], sent["type"], sent["created"])
    assert event.object["metadata"] == {"drive_slug": "eoy"}
    assert event.payload == sent


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "garbage",
        "t=notanumber,v1=abc",
        "t=1700000000",  # no v1 signature at all
    ],
)
def test_a_missing_or_unreadable_signature_is_refused(app, signature):
    with pytest.raises(InvalidWebhook) as refused:
        parse_event(_payload(), signature)
    assert refused.value.field == "signature"


def test_a_signature_made_with_another_secret_is_refused(app):
    payload = _payload()
    with pytest.raises(InvalidWebhook) as refused:
        parse_event(payload, sign(payload, "whsec_someone_else"))
    assert refused.value.field == "signature"


def test_a_tampered_body_is_refused(app, webhook_secret):
    payload = _payload()
    signature = sign(payload, webhook_secret)
    with pytest.raises(InvalidWebhook):
        parse_event(payload.replace('"amount": 100', '"amount": 100000'), signature)


def test_a_signature_older_than_the_tolerance_is_refused(app, webhook_secret):
    payload = _payload()
    stale = int(time.time()) - app.config["STRIPE_WEBHOOK_TOLERANCE"] - 5
    with pytest.raises(InvalidWebhook) as refused:
        parse_event(payload, sign(payload, webhook_secret, stale))
    assert "tolerance" in refused.value.message


@pytest.mark.parametrize(
    "body",
    ["{not json", "[1, 2]", "null", '{"id": "evt_1"}', '{"id": "evt_1", "type": "x", "data": 5}'],
)
def test_a_signed_body_that_is_no_stripe_event_is_refused(app, webhook_secret, body):
    with pytest.raises(InvalidWebhook) as refused:
        parse_event(body, sign(body, webhook_secret))
    assert refused.value.field == "payload"


def test_metadata_is_read_defensively():
    assert read_metadata({"drive_slug": "eoy", "donation_id": "12"}).donation_id == 12
    assert read_metadata({"drive_slug": "eoy", "donation_id": "x"}).donation_id is None
    assert read_metadata({"donation_id": "-3"}).donation_id is None
    assert not read_metadata(None).is_ours
    assert not read_metadata({"drive_slug": ""}).is_ours
