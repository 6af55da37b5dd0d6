"""Server-side admin sessions.

Flask's cookie session is only signed, so on its own a copy of it stays valid for
as long as the secret key does. Each login therefore creates an ``AdminSession`` row,
and the cookie carries that row's random token. Every request's user loading checks
the row: not revoked, not idle for ``ADMIN_SESSION_IDLE_MINUTES``, not older than
``ADMIN_SESSION_LIFETIME_HOURS``, and its admin still active. Logout revokes the row;
a password change or disabling an admin revokes all of that admin's rows.

Flask-Login's remember-me cookie is never set; should one turn up, Flask-Login
resolves it through the same loader, which without a live token opens nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, g, session
from flask_login import login_user, logout_user
from sqlalchemy import ColumnElement, delete, select, update
from sqlalchemy.orm import joinedload

from ...extensions import db, login_manager
from ...models import AdminSession, AdminUser, utcnow

SESSION_KEY = "admin_session"
# last_seen_at is written at most this often (or twice per idle timeout, if shorter),
# so browsing the admin is not a database write per page.
TOUCH_INTERVAL = timedelta(minutes=1)


def session_limits() -> tuple[timedelta, timedelta]:
    """(idle timeout, absolute lifetime) from the settings."""
    config = current_app.config
    return (
        timedelta(minutes=config["ADMIN_SESSION_IDLE_MINUTES"]),
        timedelta(hours=config["ADMIN_SESSION_LIFETIME_HOURS"]),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _revoke(which: ColumnElement[bool], now: datetime) -> None:
    db.session.execute(
        update(AdminSession).where(which, AdminSession.revoked_at.is_(None)).values(revoked_at=now)
    )


def revoke_all_sessions(admin_id: int) -> None:
    """End every session of this admin, on every browser. The caller commits."""
    _revoke(AdminSession.admin_id == admin_id, utcnow())


def start_session(admin: AdminUser) -> None:
    """Log ``admin`` in on this browser with a new session.

    The token is new at every login, never one the browser brought (no session
    fixation), and goes into a cleared cookie session. The session this browser held
    before, if any, is revoked. This admin's rows not seen for longer than the
    lifetime are deleted: they are dead whatever else happened to them.
    """
    now = utcnow()
    _, lifetime = session_limits()
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str):
        _revoke(AdminSession.token_hash == _digest(previous), now)
    db.session.execute(
        delete(AdminSession).where(
            AdminSession.admin_id == admin.id, AdminSession.last_seen_at < now - lifetime
        )
    )
    token = secrets.token_urlsafe(32)
    db.session.add(
        AdminSession(token_hash=_digest(token), admin_id=admin.id, created_at=now, last_seen_at=now)
    )
    db.session.commit()
    # Nothing the browser brought survives the login, the CSRF secret included.
    # Flask-WTF caches this request's CSRF token in ``g``: drop it too, or a page
    # rendered after this point would carry a token the new session does not hold.
    session.clear()
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session[SESSION_KEY] = token
    login_user(admin)


def end_session() -> None:
    """Log this browser out and revoke its session, so a copy of the cookie opens
    nothing afterwards."""
    token = session.pop(SESSION_KEY, None)
    if isinstance(token, str):
        _revoke(AdminSession.token_hash == _digest(token), utcnow())
        db.session.commit()
    logout_user()


@login_manager.user_loader
def load_admin(user_id: str) -> AdminUser | None:
    """The admin of this browser's live session, or None: the request is then an
    anonymous visitor's, sent to the login page."""
    token = session.get(SESSION_KEY)
    if not isinstance(token, str):
        return None
    row = db.session.scalar(
        select(AdminSession)
        .options(joinedload(AdminSession.admin))
        .where(AdminSession.token_hash == _digest(token))
    )
    now = utcnow()
    idle, lifetime = session_limits()
    if (
        row is None
        or not row.is_live(now, idle, lifetime)
        or str(row.admin_id) != user_id
        or not row.admin.is_active
    ):
        session.pop(SESSION_KEY, None)
        return None
    if now - row.last_seen_at >= min(TOUCH_INTERVAL, idle / 2):
        row.last_seen_at = now
        db.session.commit()
    return row.admin
