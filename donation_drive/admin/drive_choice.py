"""Which drive an admin page shows: the one named in ``?drive=``, else the newest; and
which drive a form preselects (``default_drive``)."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import UnknownDrive
from ..ledger import list_drives
from ..models import Drive, utcnow


@dataclass(frozen=True, slots=True)
class DriveChoice:
    drive: Drive | None  # None only when there are no drives at all
    drives: list[Drive]  # newest first, for the switcher


def choose_drive(slug: str | None) -> DriveChoice:
    """The drive called ``slug``, or the newest (latest start) when none is given.
    Raises ``UnknownDrive`` for a slug that names no drive."""
    drives = list_drives()
    if not slug:
        return DriveChoice(drives[0] if drives else None, drives)
    for drive in drives:
        if drive.slug == slug:
            return DriveChoice(drive, drives)
    raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")


def default_drive(drives: list[Drive]) -> Drive:
    """The drive running now; else the next to start; else the one that ended last."""
    now = utcnow()
    running = [d for d in drives if d.starts_at <= now <= d.ends_at]
    if running:
        return min(running, key=lambda d: d.ends_at)
    upcoming = [d for d in drives if d.starts_at > now]
    if upcoming:
        return min(upcoming, key=lambda d: d.starts_at)
    return max(drives, key=lambda d: d.ends_at)
