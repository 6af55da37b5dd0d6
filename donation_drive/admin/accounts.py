"""Admin accounts: argon2-hashed passwords, creation, checking and password changes."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db, login_manager
from ..ledger.validation import validate_email
from ..models import AdminUser, utcnow

_hasher = PasswordHasher()
# Checked against when the email is unknown, so timing does not reveal which emails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 12


def create_admin(email: str, password: str) -> AdminUser:
    address = validate_email(email, "email", required=True)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"use at least {MIN_PASSWORD_LENGTH} characters", "password")
    if _find(address) is not None:
        raise Conflict(f"an admin {address!r} already exists", "email")
    admin = AdminUser(email=address, password_hash=_hasher.hash(password), is_active=True)
    db.session.add(admin)
    db.session.commit()
    return admin


def _find(email: str) -> AdminUser | None:
    return db.session.scalar(
        select(AdminUser).where(func.lower(AdminUser.email) == email.strip().lower())
    )


def authenticate(email: str, password: str) -> AdminUser | None:
    """The active admin with these credentials, or None."""
    admin = _find(email or "")
    try:
        _hasher.verify(admin.password_hash if admin else _DUMMY_HASH, password or "")
    except (VerificationError, InvalidHashError):
        return None
    if admin is None or not admin.is_active:
        return None
    if _hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = _hasher.hash(password)
    admin.last_login_at = utcnow()
    db.session.commit()
    return admin


@login_manager.user_loader
def load_admin(user_id: str) -> AdminUser | None:
    try:
        admin = db.session.get(AdminUser, int(user_id))
    except ValueError:
        return None
    return admin if admin is not None and admin.is_active else None


def find_admin(email: str) -> AdminUser | None:
    """The admin with this email (in any case), active or not."""
    return _find(email or "")


def password_matches(admin: AdminUser, password: str) -> bool:
    """Whether ``password`` is the admin's, without logging them in."""
    try:
        return _hasher.verify(admin.password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def set_password(email: str, password: str) -> AdminUser:
    """Give the admin with this email a new password.

    Raises ``NotFound`` naming ``email``, ``InvalidInput`` naming ``password``.
    """
    admin = _find(email or "")
    if admin is None:
        raise NotFound(f"there is no admin {(email or '').strip()[:320]!r}", "email")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"use at least {MIN_PASSWORD_LENGTH} characters", "password")
    admin.password_hash = _hasher.hash(password)
    db.session.commit()
    return admin
