"""Admin sessions end on the server: a copy of the session cookie stops working at
logout, at a password change and when the admin is disabled; sessions end after an
idle spell and at the end of their lifetime; each login gets a new token; and browsing
does not write to the database on every page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from flask import Flask, g, request_started
from flask.testing import FlaskClient
from flask_login import COOKIE_NAME, encode_cookie
from sqlalchemy import event, select

from donation_drive.admin.auth.sessions import SESSION_KEY
from donation_drive.extensions import db
from donation_drive.models import AdminSession, AdminUser, utcnow

from .. import conftest

NEW_PASSWORD = "a much longer new passphrase"


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of ``client``'s session, from the form on ``url``."""
    return conftest.csrf_token_from(client.get(url).get_data(as_text=True))


def log_in(client: FlaskClient, password: str = conftest.ADMIN_PASSWORD):
    token = csrf_token(client, "/admin/login")
    return client.post(
        "/admin/login",
        data={"email": conftest.ADMIN_EMAIL, "password": password, "csrf_token": token},
    )


def log_out(client: FlaskClient) -> None:
    token = csrf_token(client, "/admin/")
    assert client.post("/admin/logout", data={"csrf_token": token}).status_code == 302


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """Another browser holding a copy of this client's session cookie, as a thief would."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    other = app.test_client()
    other.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    return other


def session_token(app: Flask, client: FlaskClient) -> str | None:
    """The admin-session token inside this client's (signed, readable) cookie."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    data = app.session_interface.get_signing_serializer(app).loads(cookie.value)
    return data.get(SESSION_KEY)


def opens_admin(client: FlaskClient) -> bool:
    """True when /admin/ shows the overview; False when it sends to the login page."""
    response = client.get("/admin/")
    if response.status_code == 302:
        assert response.headers["Location"].startswith("/admin/login")
        return False
    assert response.status_code == 200, response.status_code
    return True


def sessions_of(admin: AdminUser) -> list[AdminSession]:
    return list(
        db.session.scalars(
            select(AdminSession)
            .where(AdminSession.admin_id == admin.id)
            .order_by(AdminSession.id)
            .execution_options(populate_existing=True)
        )
    )


def move_back(row: AdminSession, *, created: timedelta, last_seen: timedelta) -> None:
    row.created_at -= created
    row.last_seen_at -= last_seen
    db.session.commit()


def idle_timeout(app: Flask) -> timedelta:
    return timedelta(minutes=app.config["ADMIN_SESSION_IDLE_MINUTES"])


def lifetime(app: Flask) -> timedelta:
    return timedelta(hours=app.config["ADMIN_SESSION_LIFETIME_HOURS"])


@pytest.fixture(autouse=True)
def fresh_globals_per_request(app: Flask) -> Iterator[None]:
    """Each request starts with an empty ``g``, as it does in production.

    The ``app`` fixture keeps one app context open across requests, so ``g`` would
    carry over: Flask-Login would answer from the user it cached on an earlier
    request without asking the session store, and Flask-WTF would hand one client
    the CSRF token of another."""

    def clear(_sender: Flask, **_extra: object) -> None:
        for name in list(g):
            g.pop(name)

    request_started.connect(clear, app)
    yield
    request_started.disconnect(clear, app)


@pytest.fixture
def stolen(app: Flask, admin_client: FlaskClient) -> FlaskClient:
    """A copy of the logged-in admin's cookie, shown to work before anything happens."""
    copy = copy_of(app, admin_client)
    assert opens_admin(copy)
    return copy


# Logout, password changes, disabling.


def test_a_cookie_saved_before_logout_is_refused_after_it(admin_client, stolen, admin_user):
    log_out(admin_client)

    assert not opens_admin(stolen)
    assert not opens_admin(admin_client)
    [row] = sessions_of(admin_user)
    assert row.revoked_at is not None


def test_a_revoked_session_gets_401_json_like_a_visitor(admin_client, stolen):
    log_out(admin_client)

    response = stolen.get("/admin/", headers={"Accept": "application/json"})

    assert response.status_code == 401
    assert response.get_json() == {"error": "login required"}


def test_a_remember_me_cookie_cannot_bring_a_session_back(app, admin_client, stolen, admin_user):
    log_out(admin_client)
    # What Flask-Login would have set with remember=True, signed with the real key.
    remember = encode_cookie(str(admin_user.id))
    stolen.set_cookie(COOKIE_NAME, remember)
    stranger = app.test_client()
    stranger.set_cookie(COOKIE_NAME, remember)

    assert not opens_admin(stolen)
    assert not opens_admin(stranger)


def test_a_cookie_saved_before_a_password_change_is_refused_after_it(
    app, admin_client, stolen, runner
):
    result = runner.invoke(
        args=["admin", "set-password", conftest.ADMIN_EMAIL, "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )

    assert result.exit_code == 0, result.output
    assert not opens_admin(stolen)
    assert not opens_admin(admin_client)
    assert log_in(app.test_client()).status_code == 401
    fresh = app.test_client()
    assert log_in(fresh, NEW_PASSWORD).status_code == 302
    assert opens_admin(fresh)


def test_set_password_prompts_for_the_password_twice(app, runner, admin_user):
    result = runner.invoke(
        args=["admin", "set-password", conftest.ADMIN_EMAIL],
        input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n",
    )

    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output  # hidden input
    assert log_in(app.test_client(), NEW_PASSWORD).status_code == 302


def test_changing_my_own_password_ends_my_other_sessions_but_not_this_one(
    app, admin_client, stolen, admin_user
):
    before = session_token(app, admin_client)
    response = admin_client.post(
        "/admin/account/password",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/account/password"),
            "current_password": conftest.ADMIN_PASSWORD,
            "new_password": NEW_PASSWORD,
            "confirm_password": NEW_PASSWORD,
        },
    )

    assert response.status_code == 302
    assert not opens_admin(stolen)
    assert "Password changed" in admin_client.get("/admin/").get_data(as_text=True)
    assert session_token(app, admin_client) not in (None, before)
    assert [row.revoked_at is None for row in sessions_of(admin_user)] == [False, True]
    assert log_in(app.test_client()).status_code == 401
    assert log_in(app.test_client(), NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        ("not my password!", NEW_PASSWORD, NEW_PASSWORD, "current_password", "not your current"),
        (conftest.ADMIN_PASSWORD, "too short", "too short", "new_password", "at least 12"),
        (conftest.ADMIN_PASSWORD, NEW_PASSWORD, NEW_PASSWORD + "x", "confirm_password", "differ"),
    ],
)
def test_a_refused_password_change_names_the_field_and_changes_nothing(
    app, admin_client, stolen, current, new, confirm, field, message
):
    response = admin_client.post(
        "/admin/account/password",
        data={
            "csrf_token": csrf_token(admin_client, "/admin/account/password"),
            "current_password": current,
            "new_password": new,
            "confirm_password": confirm,
        },
    )

    assert response.status_code == 400
    body = response.get_data(as_text=True)
    error = body.split(f'data-testid="error-{field}"', 1)[1].split("</div>", 1)[0]
    assert message in error
    assert opens_admin(stolen)
    assert log_in(app.test_client()).status_code == 302


def test_disabling_an_admin_ends_their_sessions_and_their_logins(
    app, admin_client, stolen, runner, admin_user
):
    result = runner.invoke(args=["admin", "disable", conftest.ADMIN_EMAIL])

    assert result.exit_code == 0, result.output
    assert not opens_admin(stolen)
    assert not opens_admin(admin_client)
    assert all(row.revoked_at is not None for row in sessions_of(admin_user))
    assert log_in(app.test_client()).status_code == 401


@pytest.mark.parametrize(
    ("args", "stdin", "field"),
    [
        (["set-password", "nobody@example.org", "--password-stdin"], NEW_PASSWORD, "email"),
        (["set-password", conftest.ADMIN_EMAIL, "--password-stdin"], "short", "password"),
        (["set-password", conftest.ADMIN_EMAIL, "--password-stdin"], "", "password"),
        (["disable", "nobody@example.org"], "", "email"),
    ],
)
def test_account_commands_name_the_field_at_fault_and_exit_non_zero(
    app, runner, admin_user, args, stdin, field
):
    result = runner.invoke(args=["admin", *args], input=stdin + "\n")

    assert result.exit_code != 0
    assert f"'{field}'" in result.output
    assert log_in(app.test_client()).status_code == 302  # nothing changed


# Timeouts.


def test_a_session_idle_for_longer_than_the_timeout_ends(app, admin_client, admin_user):
    [row] = sessions_of(admin_user)
    move_back(row, created=idle_timeout(app), last_seen=idle_timeout(app) + timedelta(seconds=1))

    assert not opens_admin(admin_client)


def test_a_session_used_within_the_idle_timeout_goes_on(app, admin_client, admin_user):
    [row] = sessions_of(admin_user)
    almost = idle_timeout(app) - timedelta(minutes=1)
    move_back(row, created=almost, last_seen=almost)

    assert opens_admin(admin_client)
    [row] = sessions_of(admin_user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)  # the visit was noted


def test_a_session_in_constant_use_ends_at_its_lifetime(app, admin_client, admin_user):
    [row] = sessions_of(admin_user)
    move_back(row, created=lifetime(app) + timedelta(seconds=1), last_seen=timedelta(0))

    assert not opens_admin(admin_client)


@pytest.mark.parametrize("app_overrides", [{"ADMIN_SESSION_IDLE_MINUTES": 0}])
def test_the_idle_timeout_is_read_from_the_settings(admin_client):
    assert not opens_admin(admin_client)


def test_a_fresh_login_works_after_a_session_ended(app, admin_client, admin_user):
    [row] = sessions_of(admin_user)
    move_back(row, created=lifetime(app), last_seen=lifetime(app))
    assert not opens_admin(admin_client)

    assert log_in(admin_client).status_code == 302
    assert opens_admin(admin_client)


# Tokens and rows.


def test_each_login_gets_a_new_token_and_ends_the_one_before(app, admin_client, admin_user):
    first = session_token(app, admin_client)
    earlier_copy = copy_of(app, admin_client)

    assert log_in(admin_client).status_code == 302

    second = session_token(app, admin_client)
    assert first and second and first != second
    assert not opens_admin(earlier_copy)
    assert opens_admin(admin_client)
    old, new = sessions_of(admin_user)
    assert old.revoked_at is not None and new.revoked_at is None
    # Only a hash is stored, never the token the cookie carries.
    assert {old.token_hash, new.token_hash}.isdisjoint({first, second})


def test_login_deletes_only_this_admins_long_dead_rows(app, admin_user):
    now = utcnow()
    long_dead = AdminSession(
        token_hash="a" * 64,
        admin_id=admin_user.id,
        created_at=now - 2 * lifetime(app),
        last_seen_at=now - lifetime(app) - timedelta(minutes=1),
    )
    recently_revoked = AdminSession(
        token_hash="b" * 64,
        admin_id=admin_user.id,
        created_at=now - timedelta(hours=1),
        last_seen_at=now - timedelta(hours=1),
        revoked_at=now - timedelta(hours=1),
    )
    db.session.add_all([long_dead, recently_revoked])
    db.session.commit()

    assert log_in(app.test_client()).status_code == 302

    hashes = [row.token_hash for row in sessions_of(admin_user)]
    assert "a" * 64 not in hashes
    assert "b" * 64 in hashes
    assert len(hashes) == 2


@contextmanager
def session_writes() -> Iterator[list[str]]:
    """The UPDATEs of admin_sessions sent to the database inside the block."""
    writes: list[str] = []

    def note(_conn, _cursor, statement: str, *_args: object) -> None:
        if statement.lstrip().upper().startswith("UPDATE ADMIN_SESSIONS"):
            writes.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield writes
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def test_browsing_does_not_write_last_seen_on_every_request(app, admin_client, admin_user):
    [row] = sessions_of(admin_user)
    logged_in_at = row.last_seen_at

    with session_writes() as writes:
        for _ in range(3):
            assert opens_admin(admin_client)
    assert writes == []
    [row] = sessions_of(admin_user)
    assert row.last_seen_at == logged_in_at

    move_back(row, created=timedelta(minutes=2), last_seen=timedelta(minutes=2))
    with session_writes() as writes:
        for _ in range(3):
            assert opens_admin(admin_client)
    assert len(writes) == 1  # once a minute has passed, then not again
    [row] = sessions_of(admin_user)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)
