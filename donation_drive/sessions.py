"""Cookie sessions that stay out of public, cacheable responses.

Flask-Login touches the session on every request, which makes Flask add
``Vary: Cookie``; on the widget and the public JSON API that would stop a proxy or
CDN from sharing one cached copy between readers. Those endpoints never use the
session, so for them the session is neither saved nor varied on.
"""

from __future__ import annotations

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from werkzeug.wrappers import Response

PUBLIC_CACHEABLE_BLUEPRINTS = ("widget",)


class PublicAwareSessionInterface(SecureCookieSessionInterface):
    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        if request.blueprint in PUBLIC_CACHEABLE_BLUEPRINTS and not session.modified:
            return
        super().save_session(app, session, response)
