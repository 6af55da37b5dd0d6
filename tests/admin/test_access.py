"""Nothing under /admin/ reaches a visitor without a session; forms need their CSRF
token; password guessing is rate-limited; the menu links every page; no
redirect leaves the site."""

from __future__ import annotations

import pytest
from flask import Flask, url_for
from werkzeug.routing import IntegerConverter, Rule

from donation_drive.admin.navigation import NAV_LINKS, nav_items
from donation_drive.admin.redirects import same_site_path

from .. import conftest

PUBLIC = {"admin.login"}


def admin_requests(app: Flask) -> list[tuple[str, str, str]]:
    """(method, url, endpoint) for every admin route and method, with sample arguments."""
    found = []
    with app.test_request_context():
        rule: Rule
        for rule in app.url_map.iter_rules():
            if not rule.rule.startswith("/admin") or rule.endpoint in PUBLIC:
                continue
            values = {
                name: 1 if isinstance(converter, IntegerConverter) else "x"
                for name, converter in rule._converters.items()
            }
            url = url_for(rule.endpoint, **values)
            for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                found.append((method, url, rule.endpoint))
    return found


def test_the_admin_routes_are_all_found(app):
    endpoints = {endpoint for _, _, endpoint in admin_requests(app)}
    assert {
        "admin.overview",
        "admin.donations",
        "admin.donation_detail",
        "admin.export_donations",
        "admin.logout",
    } <= endpoints


def test_every_admin_route_sends_a_visitor_to_the_login_page(app, client, drive):
    # A valid CSRF token for this anonymous session, so a POST is refused for the
    # missing login and not merely for the missing token.
    token = conftest.csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    for method, url, endpoint in admin_requests(app):
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(url, method=method, data=data)
        assert response.status_code in (302, 401), (method, url, response.status_code)
        if response.status_code == 302:
            assert response.headers["Location"].startswith("/admin/login"), endpoint
        body = response.get_data(as_text=True)
        assert drive.title not in body, endpoint


def test_every_admin_route_answers_401_json_to_a_visitor_asking_for_json(app, client, drive):
    token = conftest.csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    for method, url, _ in admin_requests(app):
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(
            url, method=method, data=data, headers={"Accept": "application/json"}
        )
        assert response.status_code == 401, (method, url)
        assert response.get_json() == {"error": "login required"}


def test_every_admin_post_without_a_csrf_token_is_refused(app, admin_client, drive):
    posts = [(url, endpoint) for method, url, endpoint in admin_requests(app) if method == "POST"]
    assert posts  # logout at least
    for url, endpoint in posts:
        response = admin_client.post(url, data={})
        assert response.status_code == 400, endpoint
        assert "expired or was forged" in response.get_data(as_text=True)
    # The refused logout left the session alone.
    assert admin_client.get("/admin/").status_code == 200


def test_wrong_passwords_are_rate_limited(client, admin_user):
    token = conftest.csrf_token_from(client.get("/admin/login").get_data(as_text=True))

    def attempt(password: str) -> int:
        data = {"email": conftest.ADMIN_EMAIL, "password": password, "csrf_token": token}
        return client.post("/admin/login", data=data).status_code

    limit = 5  # LOGIN_RATE_LIMIT: "5 per minute;30 per hour"
    assert [attempt(f"guess {i}") for i in range(limit)] == [401] * limit
    assert attempt("guess again") == 429
    # Even the right password waits out the limit: guessing cannot be resumed early.
    assert attempt(conftest.ADMIN_PASSWORD) == 429


def test_session_cookie_is_httponly_and_samesite(client, admin_user):
    token = conftest.csrf_token_from(client.get("/admin/login").get_data(as_text=True))
    response = client.post(
        "/admin/login",
        data={
            "email": conftest.ADMIN_EMAIL,
            "password": conftest.ADMIN_PASSWORD,
            "csrf_token": token,
        },
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_logout_ends_the_session(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    token = conftest.csrf_token_from(page)
    assert admin_client.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin_client.get("/admin/").status_code == 302


def test_menu_links_every_page(app, admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    nav = page.split('<nav aria-label="Admin">', 1)[1].split("</nav>", 1)[0]
    for link in NAV_LINKS:
        if link.dev_only:
            continue
        with app.test_request_context():
            assert f'href="{url_for(link.endpoint)}"' in nav, link
    assert 'aria-current="page">Overview<' in nav


def test_the_dev_mailbox_link_appears_only_where_the_mailbox_is_registered(app):
    assert "dev_mailbox.index" not in app.view_functions  # test settings: no dev mailbox
    with app.test_request_context("/admin/"):
        labels = [item.label for item in nav_items()]
    assert "Overview" in labels and "Dev mailbox" not in labels
    assert [link.label for link in NAV_LINKS if link.dev_only] == ["Dev mailbox"]


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phish",
        "/\\evil.example/phish",
        "\\\\evil.example",
        "/admin/\\..\\x",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        "",
        None,
    ],
)
def test_the_redirect_guard_refuses_other_sites(target):
    assert same_site_path(target) is None


@pytest.mark.parametrize("target", ["/admin/", "/admin/donations?drive=x&after=abc", "/"])
def test_the_redirect_guard_keeps_same_site_paths(target):
    assert same_site_path(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_login_never_redirects_off_site(app, client, admin_user, target):
    page = client.get("/admin/login").get_data(as_text=True)
    response = client.post(
        "/admin/login",
        query_string={"next": target},
        data={
            "email": conftest.ADMIN_EMAIL,
            "password": conftest.ADMIN_PASSWORD,
            "csrf_token": conftest.csrf_token_from(page),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/"
