"""Cookie sessions that stay out of public, cacheable responses.

Flask-Login touches the session on every request, which makes Flask add
``Vary: Cookie``; on the widget and the public JSON API that would stop a proxy or
CDN from sharing one cached copy between readers. Those endpoints never use the
session, so for them the session is neither saved nor varied on. A request without a
session cookie gets an empty session at once.
"""

from __future__ import annotations

from flask import Flask, Request, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from werkzeug.wrappers import Response

PUBLIC_CACHEABLE_BLUEPRINTS = ("widget",)


class PublicAwareSessionInterface(SecureCookieSessionInterface):
    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        # Most requests (widget readers, webhooks, the JSON API) send no cookie: an
        # empty session for them without building the cookie's signer, which Flask
        # does on every request and which was most of the session's cost.
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.blueprint in PUBLIC_CACHEABLE_BLUEPRINTS and not session.modified:
            return
        super().save_session(app, session, response)
