"""What the widget shows after each kind of ledger write. An answer Flask writes
reads the drive's running totals (one statement, one row); the process replays it
until the whole second its ``X-Accel-Expires`` names is over
(``widget.response_cache``), and forgets it at once when a ledger write commits in
this process. A write by another process shows once that second is over
(tests/production/test_widget_freshness.py measures it through nginx, with two
instances)."""

from __future__ import annotations

import pytest

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
from .conftest import GIVEN_AT, sql_statements

URL = "/api/v1/drives/eoy"
WIDGET_URLS = (URL, "/widget/eoy", "/widget/eoy.svg")


def raised(client) -> int:
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_json()["raised_amount"]


@pytest.mark.parametrize("url", WIDGET_URLS)
def test_an_answer_reads_the_drive_row_once_and_is_replayed_within_its_second(
    client, drive, give, clock, url
):
    give(10_000)
    with sql_statements() as statements:
        first = client.get(url)
    assert first.status_code == 200
    assert len(statements) == 1
    assert "drives" in statements[0]
    assert "donations" not in statements[0]

    clock[0] += 0.7  # still the same whole second
    with sql_statements() as statements:
        again = client.get(url)
    assert statements == []
    assert again.data == first.data

    clock[0] += 0.1  # the next second: X-Accel-Expires named the one before
    with sql_statements() as statements:
        assert client.get(url).status_code == 200
    assert len(statements) == 1


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


def test_a_write_by_another_process_shows_once_the_kept_answer_expires(
    client, drive, tmp_path, clock
):
    assert raised(client) == 0
    # A second app instance on the same database stands in for another instance:
    # no signal of its ledger write reaches this process.
    other = make_app(client.application.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "other")
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

    assert raised(client) == 0  # replayed: this process heard of no write
    clock[0] += 1
    assert raised(client) == 7_000
