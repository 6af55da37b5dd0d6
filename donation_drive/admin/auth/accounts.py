"""Admin accounts: argon2-hashed passwords, creation, checking, password changes
and disabling. Changing a password or disabling an admin ends all of their sessions."""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from ...errors import Conflict, InvalidInput, NotFound
from ...extensions import db
from ...ledger.validation import validate_email
from ...models import AdminUser, utcnow
from .sessions import revoke_all_sessions

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 12


@functools.cache
def _dummy_hash() -> str:
    """Checked against when the email is unknown, so timing does not reveal which emails
    exist. Made on first use: hashing is slow by design, and no command should pay it
    at start-up."""
    return _hasher.hash("not-a-real-password")


def _check_new_password(password: str, field: str) -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"use at least {MIN_PASSWORD_LENGTH} characters", field)


def _verifies(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password or "")
    except (VerificationError, InvalidHashError):
        return False


def create_admin(email: str, password: str) -> AdminUser:
    address = validate_email(email, "email", required=True)
    _check_new_password(password, "password")
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


def _existing(email: str) -> AdminUser:
    admin = _find(email or "")
    if admin is None:
        raise NotFound(f"there is no admin {(email or '').strip()[:320]!r}", "email")
    return admin


def authenticate(email: str, password: str) -> AdminUser | None:
    """The active admin with these credentials, or None."""
    # Before the lookup: the first attempt, which makes it, then takes as long for a
    # known email as for an unknown one.
    dummy_hash = _dummy_hash()
    admin = _find(email or "")
    if not _verifies(admin.password_hash if admin else dummy_hash, password):
        return None
    if admin is None or not admin.is_active:
        return None
    if _hasher.check_needs_rehash(admin.password_hash):
        admin.password_hash = _hasher.hash(password)
    admin.last_login_at = utcnow()
    db.session.commit()
    return admin


def _replace_password(admin: AdminUser, password: str, field: str) -> None:
    _check_new_password(password, field)
    admin.password_hash = _hasher.hash(password)
    revoke_all_sessions(admin.id)
    db.session.commit()


def set_password(email: str, password: str) -> AdminUser:
    """Give the admin with this email a new password and end all of their sessions.

    Raises ``NotFound`` naming ``email``, ``InvalidInput`` naming ``password``.
    """
    admin = _existing(email)
    _replace_password(admin, password, "password")
    return admin


def change_own_password(admin: AdminUser, current_password: str, new_password: str) -> None:
    """An admin's own password change, which needs the current password. Ends all of
    the admin's sessions, this one included (the caller starts a new one).

    Raises ``InvalidInput`` naming ``current_password`` or ``new_password``.
    """
    if not _verifies(admin.password_hash, current_password):
        raise InvalidInput("this is not your current password", "current_password")
    _replace_password(admin, new_password, "new_password")


def disable_admin(email: str) -> AdminUser:
    """Stop the admin with this email from logging in, and end all of their sessions.

    Raises ``NotFound`` naming ``email``.
    """
    admin = _existing(email)
    admin.is_active = False
    revoke_all_sessions(admin.id)
    db.session.commit()
    return admin


def find_admin(email: str) -> AdminUser | None:
    """The admin with this email (in any case), active or not."""
    return _find(email or "")


def password_matches(admin: AdminUser, password: str) -> bool:
    """Whether ``password`` is the admin's, without logging them in."""
    return _verifies(admin.password_hash, password)
