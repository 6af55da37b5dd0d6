"""Checking of what people and peers send us: minor units, currencies, dates, names
and emails (amount text a person types is read by ``donation_drive.amount_text``).
Every function raises ``InvalidInput`` naming the field."""

from __future__ import annotations

import functools
import re
import unicodedata
from datetime import UTC, date, datetime, time
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.numbers import get_currency_precision, list_currencies

from ..errors import InvalidAmount, InvalidCurrency, InvalidInput

# Far above any real gift, far below BIGINT: keeps sums safe on every database.
MAX_MINOR_UNITS = 10**12
_EMAIL_RE = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[^@\s<>\"',;]+$")
_SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")


@functools.cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())  # Babel's data, read on first use, not at start-up


def validate_currency(value: object, field: str = "currency") -> str:
    code = str(value or "").strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", code) or code not in _known_currencies():
        raise InvalidCurrency(f"unknown currency {str(value)[:20]!r}", field)
    return code


class HasCurrency(Protocol):
    @property
    def currency(self) -> str: ...


def check_drive_currency(drive: HasCurrency, value: object, field: str = "currency") -> str:
    """The currency code ``value`` names, which must be the drive's: a drive's total
    is a sum in one currency, and adding another currency's minor units to it would
    make it wrong without anyone noticing. Raises ``InvalidCurrency`` naming the field."""
    currency = validate_currency(value, field)
    if currency != drive.currency:
        raise InvalidCurrency(f"this drive takes {drive.currency}, not {currency}", field)
    return currency


def currency_exponent(currency: str) -> int:
    return get_currency_precision(currency)


def check_minor_units(value: object, field: str = "amount") -> int:
    """Check an amount already in minor units (an integer from an API or a peer)."""
    if isinstance(value, bool) or not isinstance(value, int):
        try:
            value = int(str(value).strip())
        except (TypeError, ValueError):
            raise InvalidAmount("the amount must be a whole number of minor units", field) from None
    if value <= 0:
        raise InvalidAmount("the amount must be greater than zero", field)
    if value > MAX_MINOR_UNITS:
        raise InvalidAmount("the amount is too large", field)
    return value


_HEX_COLOUR_RE = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def validate_hex_colour(value: object, field: str = "accent") -> str:
    """A colour written ``#rgb`` or ``#rrggbb`` (the ``#`` may be left out, since a
    bare ``#`` in a URL starts its fragment), as ``#rrggbb`` in lowercase: the one
    spelling that ever reaches CSS, HTML or SVG."""
    text = str(value or "")
    match = _HEX_COLOUR_RE.fullmatch(text)
    if match is None:
        # The value is not echoed: it came from a URL or a form, and goes to a page.
        raise InvalidInput("must be a hex colour such as #c0392b or #c33", field)
    digits = match.group(1).lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return f"#{digits}"


def validate_choice(value: object, allowed: tuple[str, ...], field: str) -> str:
    """``value`` if it is one of ``allowed``; else ``InvalidInput`` naming ``field`` and
    listing them (the value is never echoed, so nothing typed reaches a page)."""
    text = str(value or "")
    if text not in allowed:
        raise InvalidInput(f"must be one of {', '.join(allowed)}", field)
    return text


def validate_slug(value: object, field: str = "slug") -> str:
    slug = str(value or "").strip()
    if not _SLUG_RE.fullmatch(slug):
        raise InvalidInput("use 1-80 lowercase letters, digits and hyphens", field)
    return slug


def clean_text(
    value: object, field: str, *, max_length: int, required: bool = False, multiline: bool = False
) -> str | None:
    """Trim text and drop control characters (newlines kept only where multiline)."""
    text = "" if value is None else str(value)
    allowed = "\n" if multiline else ""
    text = "".join(
        ch for ch in text if ch in allowed or not unicodedata.category(ch).startswith("C")
    )
    if not multiline:
        text = " ".join(text.split())
    text = text.strip()
    if not text:
        if required:
            raise InvalidInput("this field is required", field)
        return None
    if len(text) > max_length:
        raise InvalidInput(f"at most {max_length} characters", field)
    return text


def validate_email(value: object, field: str = "email", required: bool = False) -> str | None:
    text = clean_text(value, field, max_length=320, required=required)
    if text is None:
        return None
    if not _EMAIL_RE.fullmatch(text):
        raise InvalidInput(f"{text[:60]!r} is not an email address", field)
    return text


def parse_datetime(
    value: object, field: str, *, tz: str = "UTC", end_of_day: bool = False
) -> datetime:
    """Parse an ISO date or date-time. A date alone means the start (or end) of that
    day, and a time without an offset is read in ``tz``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time.max if end_of_day else time.min)
    else:
        text = str(value or "").strip()
        if not text:
            raise InvalidInput("a date is required", field)
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                parsed = datetime.combine(day, time.max if end_of_day else time.min)
            else:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{text[:40]!r} is not a date (use YYYY-MM-DD)", field) from None
    if parsed.tzinfo is None:
        try:
            parsed = parsed.replace(tzinfo=ZoneInfo(tz))
        except (ZoneInfoNotFoundError, ValueError, OSError):
            # Not a zone name: unknown, path-like ("/etc/passwd") or a folder ("America").
            raise InvalidInput(f"unknown time zone {str(tz)[:40]!r}", "timezone") from None
    try:
        in_utc = parsed.astimezone(UTC)
    except OverflowError:  # year 1 or 9999 moved past the calendar's ends
        raise InvalidInput("the date is out of range", field) from None
    if not 1970 <= in_utc.year <= 9998:
        raise InvalidInput("the date is out of range", field)
    return in_utc
