"""The development admin: ``donation-drive dev`` (``make run``) creates it once, so a
newcomer can log in, and prints its email and password at every start.

The generated password is kept in the instance folder (``dev-admin-password``, mode
0600) so that later runs print it again. When it no longer opens the account (the
file was deleted, or someone changed the password in the meantime) a new one is
generated and set, and the output says so. Outside development (production or
testing settings) nothing is created, read or written.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from flask import current_app

from .accounts import create_admin, find_admin, password_matches, set_password

DEV_ADMIN_EMAIL = "admin@example.org"
PASSWORD_FILE = "dev-admin-password"  # noqa: S105 - a file name, not a password


class DevAdminStep(StrEnum):
    CREATED = "created"  # the account did not exist
    KEPT = "kept"  # the stored password still opens it
    RESET = "reset"  # a new password was set


@dataclass(frozen=True, slots=True)
class DevAdminLogin:
    email: str
    password: str
    password_file: Path
    step: DevAdminStep


def _read_password(path: Path) -> str | None:
    if not path.is_file():
        return None
    path.chmod(0o600)  # in case it was copied around with looser permissions
    return path.read_text(encoding="utf-8").strip() or None


def _write_password(path: Path, password: str) -> None:
    """Written to a new file with mode 0600, then moved into place, so the password
    is never readable by others, not even for a moment."""
    partial = path.with_name(f"{path.name}.new")
    partial.unlink(missing_ok=True)
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(password + "\n")
    os.replace(partial, path)


def ensure_dev_admin() -> DevAdminLogin | None:
    """Make sure the development admin exists and that the password returned opens
    it. Returns None, doing nothing, unless the settings are development's."""
    if current_app.config.get("ENV_NAME") != "development":
        return None
    path = Path(current_app.instance_path) / PASSWORD_FILE
    stored = _read_password(path)
    admin = find_admin(DEV_ADMIN_EMAIL)
    if admin is not None and stored is not None and password_matches(admin, stored):
        return DevAdminLogin(DEV_ADMIN_EMAIL, stored, path, DevAdminStep.KEPT)
    # A stored password outlives a deleted database: the account comes back with it.
    password = stored if admin is None and stored else secrets.token_urlsafe(18)
    _write_password(path, password)  # first, so a crash next leaves it to be used
    if admin is None:
        create_admin(DEV_ADMIN_EMAIL, password)
        step = DevAdminStep.CREATED
    else:
        set_password(DEV_ADMIN_EMAIL, password)
        step = DevAdminStep.RESET
    return DevAdminLogin(DEV_ADMIN_EMAIL, password, path, step)
