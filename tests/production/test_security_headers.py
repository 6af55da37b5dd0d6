"""Security headers on representative pages: only the widget may be framed, only the
checkout page may load Stripe.js, and every page gets nosniff and a referrer policy."""

from __future__ import annotations

import pytest

from donation_drive import create_app
from donation_drive.extensions import db


def csp(response) -> dict[str, str]:
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value
    return directives


@pytest.mark.parametrize("path", ["/widget/eoy", "/widget/eoy.svg", "/widget/embed.js"])
def test_widget_may_be_framed_by_any_site(client, drive, path):
    response = client.get(path)
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"] == "*"
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/admin/login", "/healthz", "/api/openapi.json", "/metrics"])
def test_other_pages_may_not_be_framed(client, drive, path):
    response = client.get(path)
    assert response.status_code == 200
    assert csp(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_error_pages_get_the_same_headers(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert csp(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/widget/eoy", "/admin/login"])
def test_every_page_forbids_sniffing_and_limits_referrers(client, drive, path):
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/api/v1/drives/eoy", "/healthz", "/api/openapi.json"])
def test_json_answers_get_the_strictest_policy_and_no_document_headers(client, drive, path):
    response = client.get(path)
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert csp(response) == {"default-src": "'none'", "frame-ancestors": "'none'"}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Referrer-Policy" not in response.headers
    assert "Permissions-Policy" not in response.headers


@pytest.mark.parametrize("path", ["/widget/eoy", "/admin/login"])
def test_pages_other_than_checkout_load_no_foreign_script(client, drive, path):
    directives = csp(client.get(path))
    assert directives["script-src"] == "'self'"
    assert directives["connect-src"] == "'self'"
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["object-src"] == "'none'"


def test_no_hsts_in_testing_or_development(client):
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_hsts_outside_development(database_url, tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "HSTS": True},
        instance_path=str(tmp_path / "instance"),
    )
    with app.app_context():
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def _app_with(database_url, tmp_path, **settings):
    return create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, **settings},
        instance_path=str(tmp_path / "instance"),
    )


def test_checkout_may_load_stripe_js_from_stripe_and_nothing_else_foreign(client, running_drive):
    response = client.get("/donate/eoy")  # a running drive's page has the card form
    assert response.status_code == 200
    directives = csp(response)
    assert directives["script-src"] == "'self' https://js.stripe.com https://*.js.stripe.com"
    assert directives["connect-src"] == "'self' https://api.stripe.com https://js.stripe.com"
    assert (
        directives["frame-src"]
        == "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
    )
    assert directives["frame-ancestors"] == "'none'"
    assert directives["style-src"] == "'self'"
    assert '<script src="https://js.stripe.com/v3/"></script>' in response.get_data(as_text=True)


def test_checkout_csp_follows_the_configured_stripe_js_origin(database_url, tmp_path):
    emulator = "http://127.0.0.1:8420"
    app = _app_with(
        database_url,
        tmp_path,
        STRIPE_JS_URL=f"{emulator}/js.stripe.com/v3/",
        STRIPE_API_BASE=emulator,
    )
    with app.app_context():
        from donation_drive.ledger import create_drive
        from donation_drive.ledger.validation import parse_datetime

        create_drive(
            slug="eoy",
            title="End of the Year",
            goal_amount=100_000,
            currency="USD",
            starts_at=parse_datetime("2026-11-15", "starts"),
            ends_at=parse_datetime("2026-12-31", "ends", end_of_day=True),
        )
        directives = csp(app.test_client().get("/donate/eoy"))
        db.engine.dispose()
    assert directives["script-src"] == f"'self' {emulator}"
    assert directives["connect-src"] == f"'self' {emulator}"
    assert "stripe.com" not in directives["script-src"]
