"""The values in a donations CSV: reading the file's text and records, and parsing
its dates, times, time zones and methods as people and PayPal write them (amounts:
``donation_drive.amount_text``, in the drive's locale).
Every parser raises ``InvalidInput`` naming the column as the file names it."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ...errors import InvalidInput
from ...models import OFFLINE_METHODS, Method

_METHOD_ALIASES = {
    "cheque": "check",
    "amazon": "amazon_gift_card",
    "gift card": "amazon_gift_card",
    "amazon gift card": "amazon_gift_card",
    "btc": "bitcoin",
    "pay pal": "paypal",
}
TRUE_WORDS = {"1", "y", "yes", "true", "x", "anonymous"}
_ZONE_ABBREVIATIONS = {
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "HST": -10,
    "AKST": -9,
    "AKDT": -8,
    "PST": -8,
    "PDT": -7,
    "MST": -7,
    "MDT": -6,
    "CST": -6,
    "CDT": -5,
    "EST": -5,
    "EDT": -4,
    "BST": 1,
    "CET": 1,
    "CEST": 2,
    "EET": 2,
    "EEST": 3,
    "AEST": 10,
    "AEDT": 11,
}
_OFFSET_RE = re.compile(r"^(?:GMT|UTC)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$")
_SLASHED_DATE_RE = re.compile(r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$")
_ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME_FORMATS = ("%H:%M:%S", "%H:%M", "%I:%M:%S %p", "%I:%M %p")


# --- reading the file -----------------------------------------------------------------


def decode_csv(content: bytes) -> str:
    """The file's text: UTF-8 (with or without a byte-order mark), UTF-16 with a mark,
    or Windows-1252 as older spreadsheet programs save it."""
    if content.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "cp1252")
    for encoding in candidates:
        try:
            text = content.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise InvalidInput("this is not a text file; save the sheet as CSV", "file")


def read_records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line number, cells) of each non-blank record."""
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    previous_end = 0
    try:
        for cells in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if any(cell.strip() for cell in cells):
                yield start, cells
    except csv.Error as exc:
        raise InvalidInput(f"line {reader.line_num}: {exc}", "file") from None


def column_key(name: str) -> str:
    name = name.replace("\ufeff", "").strip().strip('"').lower().replace("_", " ")
    return " ".join(name.split())


def map_columns(
    header: list[str], columns: dict[str, tuple[str, ...]]
) -> tuple[dict[str, tuple[int, str]], list[str]]:
    """Our key → (cell index, the column's name as written); and the ignored names."""
    found: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, name in enumerate(header):
        key = column_key(name)
        ours = next((k for k, aliases in columns.items() if key in aliases), None)
        if ours is not None and ours not in found:
            found[ours] = (index, name.strip())
        elif key:
            ignored.append(name.strip())
    return found, ignored


# --- values -----------------------------------------------------------------------------


def _slashed(text: str) -> tuple[int, str, int, int] | None:
    match = _SLASHED_DATE_RE.match(text.strip())
    if match is None:
        return None
    return int(match.group(1)), match.group(2), int(match.group(3)), int(match.group(4))


def detect_date_order(texts: list[str]) -> str:
    """ "dmy" when some date like 24/12/2026 can only be day first, else "mdy"."""
    for text in texts:
        parts = _slashed(text.split(" ")[0].split("T")[0])
        if parts is not None and (parts[1] == "." or parts[0] > 12):
            return "dmy"
    return "mdy"


def parse_day(text: str, order: str, column: str) -> date:
    text = text.strip()
    try:
        if _ISO_DATE_RE.match(text):
            return date.fromisoformat(text)
        parts = _slashed(text)
        if parts is not None:
            first, separator, second, year = parts
            day_first = order == "dmy" or separator == "."
            month, day = (second, first) if day_first else (first, second)
            return date(year, month, day)
    except ValueError:
        pass
    raise InvalidInput(f"{text[:40]!r} is not a date (use YYYY-MM-DD)", column)


def parse_time(text: str, column: str) -> time:
    for pattern in _TIME_FORMATS:
        try:
            return datetime.strptime(text.strip().upper(), pattern).time()
        except ValueError:
            continue
    raise InvalidInput(f"{text[:20]!r} is not a time of day", column)


def parse_zone(text: str, default: tzinfo, column: str) -> tzinfo:
    name = text.strip()
    if not name:
        return default
    if name.upper() in _ZONE_ABBREVIATIONS:
        return timezone(timedelta(hours=_ZONE_ABBREVIATIONS[name.upper()]))
    match = _OFFSET_RE.match(name.upper())
    if match:
        sign = -1 if match.group(1) == "-" else 1
        offset = timedelta(hours=int(match.group(2)), minutes=int(match.group(3) or 0))
        if offset < timedelta(hours=15):
            return timezone(sign * offset)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {name[:40]!r}", column) from None


def local_moment(day: date, at: time | None, zone: tzinfo) -> tuple[str, datetime]:
    """(the wall-clock moment as written, for fingerprints; the moment in UTC). A day
    without a time means midday, as the offline entry form does."""
    local = datetime.combine(day, at if at is not None else time(12))
    if not 1970 <= day.year <= 9998:
        raise InvalidInput("the date is out of range", "date")
    return local.isoformat(), local.replace(tzinfo=zone).astimezone(UTC)


def parse_when(text: str, order: str, zone: tzinfo, column: str) -> tuple[str, datetime]:
    """A date, or a date and time ("2026-12-01 14:30", ISO with or without offset)."""
    text = text.strip()
    if len(text) > 10 and _ISO_DATE_RE.match(text[:10]):
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise InvalidInput(f"{text[:40]!r} is not a date", column) from None
        if parsed.tzinfo is not None:
            return parsed.isoformat(), local_moment(parsed.date(), parsed.time(), parsed.tzinfo)[1]
        return local_moment(parsed.date(), parsed.time(), zone)
    day_text, _, time_text = text.partition(" ")
    day = parse_day(day_text, order, column)
    return local_moment(day, parse_time(time_text, column) if time_text else None, zone)


def parse_method(text: str, column: str) -> str:
    key = " ".join(text.strip().lower().replace("_", " ").replace("-", " ").split())
    method = _METHOD_ALIASES.get(key, key).replace(" ", "_")
    if method == Method.CARD:
        raise InvalidInput("card payments come from Stripe, not from an import", column)
    if method not in OFFLINE_METHODS:
        choices = ", ".join(OFFLINE_METHODS)
        raise InvalidInput(f"{text[:30]!r} is not a method (use one of {choices})", column)
    return method


def fingerprint(
    drive_id: int, when: str, amount: int, method: str, reference: str, who: str
) -> str:
    """A stable key for a row with no provider id: the same row always maps to the same
    key, so importing it again finds what the first import recorded."""
    parts = [str(drive_id), when, str(amount), method, reference.casefold(), who.casefold()]
    return "v1:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
