"""The donor's signed link to manage a monthly gift, without an account.

A token is ``itsdangerous.URLSafeTimedSerializer`` over ``{"g": <gift id>, "e":
<donor email>}``, keyed by ``SECRET_KEY`` with a salt of its own purpose (so no other
signed value of the app is accepted as one), and good for
``MONTHLY_MANAGE_LINK_MAX_AGE`` seconds (60 days by default: every receipt carries a
fresh one). A token is refused when its signature is wrong, it is too old, or the
gift it names no longer belongs to the email it was made for.
"""

from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..errors import DonationDriveError
from ..extensions import db
from ..models import MonthlyGift

SALT = "donation-drive/monthly-manage-link"
DEFAULT_MAX_AGE = 60 * 24 * 3600


class InvalidManageLink(DonationDriveError):
    status_code = 403

    def __init__(self, message: str) -> None:
        super().__init__(message, "token")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def max_age() -> int:
    return int(current_app.config.get("MONTHLY_MANAGE_LINK_MAX_AGE") or DEFAULT_MAX_AGE)


def manage_token(gift: MonthlyGift) -> str:
    return _serializer().dumps({"g": gift.id, "e": gift.donor_email.lower()})


def manage_url(gift: MonthlyGift) -> str:
    base = (current_app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    return f"{base}/monthly/manage/{manage_token(gift)}"


def gift_from_token(token: str) -> MonthlyGift:
    """The gift a manage link names, or ``InvalidManageLink`` (HTTP 403)."""
    try:
        data = _serializer().loads(token, max_age=max_age())
    except SignatureExpired:
        raise InvalidManageLink(
            "this link has expired: the newest receipt of your monthly gift has a fresh one"
        ) from None
    except BadSignature:
        raise InvalidManageLink("this link is not valid") from None
    if not isinstance(data, dict) or not isinstance(data.get("g"), int):
        raise InvalidManageLink("this link is not valid")
    gift = db.session.get(MonthlyGift, data["g"])
    if gift is None or gift.donor_email.lower() != str(data.get("e") or ""):
        raise InvalidManageLink("this link is not valid")
    return gift
