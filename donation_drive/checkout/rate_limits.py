"""Rate limits on starting payments, the first defence against card testing
(someone running stolen card numbers through a donation form). One limit per
client address (``CHECKOUT_RATE_LIMIT``), one per donor email
(``CHECKOUT_EMAIL_RATE_LIMIT``); docs/checkout.md says how to tighten them."""

from __future__ import annotations

from flask import current_app, request
from flask_limiter import RequestLimit
from sqlalchemy import select

from ..extensions import db
from ..models import Drive
from .attempts import RATE_LIMITED, log_attempt


def ip_limit() -> str:
    return current_app.config["CHECKOUT_RATE_LIMIT"]


def email_limit() -> str:
    return current_app.config["CHECKOUT_EMAIL_RATE_LIMIT"]


def submitted_email() -> str:
    data = request.get_json(silent=True)
    email = data.get("email") if isinstance(data, dict) else None
    return email.strip().lower()[:320] if isinstance(email, str) else ""


def email_key() -> str:
    return f"email:{submitted_email()}"


def no_email_given() -> bool:
    return not submitted_email()


def log_limited_attempt(limit: RequestLimit) -> None:
    """Keep refused attempts in the log too: a burst of them is the attack."""
    slug = (request.view_args or {}).get("slug")
    log_attempt(
        drive_id=db.session.scalar(select(Drive.id).where(Drive.slug == slug)) if slug else None,
        ip=request.remote_addr,
        email=submitted_email() or None,
        amount=None,
        outcome=RATE_LIMITED,
        error=f"over the limit of {limit.limit}",
    )
