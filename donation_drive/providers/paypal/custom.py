"""The drive and pending donation a PayPal payment names.

A checkout order's ``custom_id`` is ``<drive slug>:<pending donation id>``. The blog's
classic Donate button may name a drive by its slug alone, in ``custom`` or
``item_number`` (docs/paypal.md). Anything else names no drive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SLUG = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?")  # as ledger.validation


@dataclass(frozen=True, slots=True)
class Named:
    drive_slug: str | None
    donation_id: int | None = None


def custom_id_for(drive_slug: str, donation_id: int) -> str:
    return f"{drive_slug}:{donation_id}"


def read_custom(*values: str | None) -> Named:
    """The first of ``values`` that names a drive (``slug`` or ``slug:donation id``)."""
    for value in values:
        text = (value or "").strip().lower()
        if not text:
            continue
        slug, _, rest = text.partition(":")
        if not _SLUG.fullmatch(slug):
            continue
        donation_id = int(rest) if rest.isdigit() and 0 < int(rest) < 2**62 else None
        return Named(slug, donation_id)
    return Named(None)
