"""Links to a donation's thank-you page. They carry the donation id signed with
the app's secret key, so nobody can page through other donors' gifts."""

from __future__ import annotations

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeTimedSerializer

from ..errors import NotFound

_SALT = "donation-drive.checkout.thank-you"
# Long enough to bookmark the page, short enough not to live forever.
MAX_AGE_SECONDS = 30 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=_SALT)


def thank_you_url(slug: str, donation_id: int) -> str:
    token = _serializer().dumps(donation_id)
    return url_for("checkout.thank_you", slug=slug, token=token)


def donation_id_from(token: str) -> int:
    """The donation a thank-you link names. Raises ``NotFound`` for a forged,
    altered or expired link."""
    try:
        value = _serializer().loads(token, max_age=MAX_AGE_SECONDS)
    except BadSignature:
        raise NotFound("this thank-you link is not valid (or has expired)", "token") from None
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotFound("this thank-you link is not valid", "token")
    return value
