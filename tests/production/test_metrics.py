"""/metrics exposes request counts and the domain counters other modules bump.

Counters are process-wide and tests share a process, so each test compares the
figures before and after what it does."""

from __future__ import annotations

import urllib.request

from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    record_offline_donation,
    record_provider_payment,
)
from donation_drive.models import utcnow
from donation_drive.observability import (
    count_email_failure,
    count_reconcile_finding,
    count_webhook_failure,
    serve_worker_metrics,
)

from ..peers.ports import free_port
from .metrics import sample, scrape

REQUESTS = "donation_drive_http_requests_total"


def test_requests_are_counted_by_endpoint_and_status(client, drive):
    def count(status: str) -> float:
        return scrape(
            client, REQUESTS, endpoint="widget.progress_json", method="GET", status=status
        )

    ok, missing = count("200"), count("404")
    client.get("/api/v1/drives/eoy")
    client.get("/api/v1/drives/eoy")
    client.get("/api/v1/drives/no-such-drive")
    assert count("200") == ok + 2
    assert count("404") == missing + 1


def test_unmatched_urls_share_one_label(client):
    before = scrape(client, REQUESTS, endpoint="unmatched", status="404")
    client.get("/wp-login.php")
    client.get("/.env")
    assert scrape(client, REQUESTS, endpoint="unmatched", status="404") == before + 2


def test_request_durations_are_observed(client, drive):
    name = "donation_drive_http_request_duration_seconds_count"
    before = scrape(client, name, endpoint="health.healthz")
    client.get("/healthz")
    assert scrape(client, name, endpoint="health.healthz") == before + 1


def test_a_donation_counts_once_however_often_it_is_recorded(client, drive):
    name = "donation_drive_donations_recorded_total"
    card, check = scrape(client, name, method="card"), scrape(client, name, method="check")
    record_offline_donation(
        drive, amount=5_000, method="check", received_at=utcnow(), entered_by="test"
    )
    for _ in range(3):  # a payment delivered three times
        record_provider_payment(
            ProviderPayment(
                provider="stripe",
                provider_ref="pi_metrics_1",
                drive=drive,
                amount=2_500,
                currency="USD",
                received_at=utcnow(),
                donor=DonorDetails(name="Ada"),
            ),
            actor="webhook",
        )
    assert scrape(client, name, method="check") == check + 1
    assert scrape(client, name, method="card") == card + 1


def test_failure_and_finding_counters_are_exposed(client):
    webhook = (
        "donation_drive_webhook_failures_total",
        {"provider": "stripe", "reason": "bad_signature"},
    )
    email = ("donation_drive_email_failures_total", {"kind": "receipt", "outcome": "retry"})
    finding = ("donation_drive_reconcile_findings_total", {"kind": "missing_in_ledger"})
    before = [scrape(client, name, **labels) for name, labels in (webhook, email, finding)]
    count_webhook_failure("bad_signature", "stripe")
    count_email_failure("receipt", will_retry=True)
    count_reconcile_finding("missing_in_ledger")
    after = [scrape(client, name, **labels) for name, labels in (webhook, email, finding)]
    assert after == [value + 1 for value in before]


def test_metrics_can_require_a_bearer_token(app, client):
    app.config["METRICS_TOKEN"] = "scrape-me"
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    right = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
    assert right.status_code == 200
    assert right.mimetype == "text/plain"
    assert right.headers["Cache-Control"] == "no-store"


def test_the_worker_serves_its_own_metrics_when_given_a_port(app):
    assert serve_worker_metrics(app) is None  # off unless WORKER_METRICS_PORT is set
    port = free_port()
    app.config["WORKER_METRICS_PORT"] = port
    server = serve_worker_metrics(app)
    try:
        gave_up = {"kind": "receipt", "outcome": "gave_up"}
        name = "donation_drive_email_failures_total"
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as response:
            before = sample(response.read().decode(), name, **gave_up)
        count_email_failure("receipt", will_retry=False)
        with urllib.request.urlopen(url, timeout=5) as response:
            assert sample(response.read().decode(), name, **gave_up) == before + 1
    finally:
        server.shutdown()
        server.server_close()
