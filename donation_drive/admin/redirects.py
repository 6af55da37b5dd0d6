"""The one same-site redirect guard: where a ``next=`` or ``return_to`` value may send
the admin after a login or an action, so no admin page is an open redirect."""

from __future__ import annotations

from urllib.parse import urlsplit


def same_site_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/admin/...``), else None.

    Refused: anything not starting with one ``/`` (``//evil.example`` is another host),
    any backslash (browsers read ``/\\evil.example`` as ``//evil.example``), control
    characters and whitespace (browsers drop tabs and line ends inside URLs, so
    ``/\\t/evil.example`` becomes ``//evil.example``), and anything ``urlsplit`` reads
    with a scheme or a host.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
