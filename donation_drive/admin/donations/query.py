"""Finding donations for the admin list and its CSV export: filters, search, sorting
and keyset pagination.

Every query is scoped to one drive, so it starts from an index whose first column is
``drive_id``: ``ix_donations_drive_received`` (drive, received_at, id) serves the
date order and date ranges, ``ix_donations_drive_amount`` the amount order and
amount ranges. Pages are found by keyset ("rows after this one"), never by OFFSET,
so page 2,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union_all
from sqlalchemy.orm import lazyload

from ...amount_text import parse_amount
from ...errors import InvalidInput
from ...extensions import db
from ...ledger.validation import clean_text
from ...models import Donation, Drive, Method, Status
from ..forms import one_of

PAGE_SIZE = 50
SORTS = ("date", "amount", "name")
DEFAULT_DIRECTION = {"date": "desc", "amount": "desc", "name": "asc"}
_RECEIPT_RE = re.compile(r"^(?:DD-)?0*(\d{1,12})$", re.IGNORECASE)


def _sort_key(sort: str) -> ColumnElement[Any]:
    if sort == "amount":
        return Donation.amount
    if sort == "name":
        # No index orders names (adding one is a schema change): a name sort sorts the
        # drive's rows, which the drive_id index still narrows down.
        return func.lower(func.coalesce(Donation.donor_name, ""))
    return Donation.received_at


@dataclass(frozen=True, slots=True)
class DonationFilters:
    """What the admin asked for. Dates are bounds in UTC (``received_before`` is
    exclusive); amounts are minor units of the drive's currency, bounds included."""

    drive: Drive
    method: str | None = None
    status: str | None = None
    received_from: datetime | None = None
    received_before: datetime | None = None
    amount_min: int | None = None
    amount_max: int | None = None
    search: str | None = None
    sort: str = "date"
    direction: str = "desc"
    # The form's own text, to show it back and to rebuild links.
    form: tuple[tuple[str, str], ...] = ()

    @property
    def descending(self) -> bool:
        return self.direction == "desc"

    def query_args(self, **extra: str) -> dict[str, str]:
        """The filters as URL arguments (for page links and the export link)."""
        args = {key: value for key, value in self.form if value}
        args["drive"] = self.drive.slug
        args.update({k: v for k, v in extra.items() if v})
        return args

    def form_value(self, name: str) -> str:
        return dict(self.form).get(name, "")


def _amount(text: str, drive: Drive, field: str) -> int | None:
    return parse_amount(text, drive.currency, locale=drive.locale, field=field) if text else None


def _optional_one_of(value: str, allowed: Sequence[str], field: str) -> str | None:
    """An optional filter: empty is none chosen, anything else must be allowed."""
    return one_of(value, allowed, field) if value else None


def _local_day(value: str, field: str, tz: tzinfo) -> datetime | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{value[:40]!r} is not a date (use YYYY-MM-DD)", field) from None
    return datetime.combine(day, time.min, tzinfo=tz)


FORM_FIELDS = ("method", "status", "from", "to", "min", "max", "q", "sort", "dir")


def form_values(args: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The filter form's fields as typed (trimmed), to show them back."""
    return tuple((name, (args.get(name) or "").strip()[:200]) for name in FORM_FIELDS)


def parse_filters(args: Mapping[str, str], drive: Drive, tz: tzinfo) -> DonationFilters:
    """Read the list's filters from request arguments. Dates are whole local days in
    ``tz``; amounts are major units ("25", "25.50"). Raises ``InvalidInput`` naming
    the field at fault."""
    form = form_values(args)
    raw = dict(form)
    sort = _optional_one_of(raw["sort"], SORTS, "sort") or "date"
    direction = _optional_one_of(raw["dir"], ("asc", "desc"), "dir") or DEFAULT_DIRECTION[sort]
    received_from = _local_day(raw["from"], "from", tz)
    last_day = _local_day(raw["to"], "to", tz)
    received_before = None
    if last_day is not None:
        # The day after, at midnight local time: "to" includes its whole day.
        next_day = last_day.date() + timedelta(days=1)
        received_before = datetime.combine(next_day, time.min, tzinfo=tz)
    if received_from and received_before and received_from >= received_before:
        raise InvalidInput("the first day is after the last day", "to")
    amount_min = _amount(raw["min"], drive, "min")
    amount_max = _amount(raw["max"], drive, "max")
    if amount_min and amount_max and amount_min > amount_max:
        raise InvalidInput("the lowest amount is above the highest", "max")
    return DonationFilters(
        drive=drive,
        method=_optional_one_of(raw["method"], [m.value for m in Method], "method"),
        status=_optional_one_of(raw["status"], [s.value for s in Status], "status"),
        received_from=received_from,
        received_before=received_before,
        amount_min=amount_min,
        amount_max=amount_max,
        search=clean_text(raw["q"], "q", max_length=200),
        sort=sort,
        direction=direction,
        form=form,
    )


# The search box's columns, each with an index on (drive_id, lower(column)) (on
# PostgreSQL in the "C" collation; migration 0006): a search is one index range per
# column, never a scan of the drive's rows.
SEARCHED = (Donation.donor_name, Donation.donor_email, Donation.reference, Donation.provider_ref)
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _folded(column: ColumnElement[Any]) -> ColumnElement[Any]:
    """``lower(column)`` as the folded search indexes hold it."""
    folded = func.lower(column)
    if db.session.get_bind().dialect.name == "postgresql":
        return folded.collate("C")
    return folded


def _fold(text: str) -> str:
    """Search text folded as the database's ``lower()`` folds (SQLite's folds ASCII
    letters only)."""
    if db.session.get_bind().dialect.name == "postgresql":
        return text.lower()
    return text.translate(_ASCII_LOWER)


def starts_with(column: ColumnElement[Any], text: str) -> ColumnElement[bool]:
    """``column`` begins with ``text``, any case: the range [text, text's successor)
    of ``lower(column)`` in code point order, which its folded index answers. Typed
    wildcards are plain characters here."""
    prefix = _fold(text)
    folded = _folded(column)
    last = ord(prefix[-1])
    if last >= 0x10FFFF:
        return folded >= prefix
    return and_(folded >= prefix, folded < prefix[:-1] + chr(last + 1))


# Up to this many matches a search sorts its matches; beyond, they are dense enough
# to be met soon when walking the drive's order.
FEW_MATCHES = 2000


def _search_arms(text: str, drive_id: int) -> list[Select]:
    columns = (Donation.donor_email,) if "@" in text else SEARCHED
    arms = [
        select(Donation.id).where(Donation.drive_id == drive_id, starts_with(column, text))
        for column in columns
    ]
    receipt = _RECEIPT_RE.match(text)
    if receipt:
        arms.append(
            select(Donation.id).where(
                Donation.drive_id == drive_id, Donation.id == int(receipt.group(1))
            )
        )
    return arms


def _search_condition(text: str, drive_id: int) -> tuple[ColumnElement[bool], bool]:
    """Donations whose donor name, donor email, reference or payment id begins with
    ``text`` (any case), or the donation whose receipt number it is. Text with an
    ``@`` is an email and searches emails only.

    Each column's matches are one range of its folded index. First a bounded count
    (at most ``FEW_MATCHES`` + 1 ids, from those ranges alone): few matches are
    fetched by id and sorted (the drive's own indexes are kept out of it, ``+ 0``,
    so no planner walks a million rows looking for them); many are met soon when
    walking the page's order, testing each row's folded columns. Returns the
    condition and whether it is the few-matches kind."""
    arms = _search_arms(text, drive_id)
    probe = select(func.count()).select_from(union_all(*arms).limit(FEW_MATCHES + 1).subquery())
    if db.session.execute(probe).scalar_one() <= FEW_MATCHES:
        return Donation.id.in_(union_all(*arms)), True
    return or_(*(arm.whereclause for arm in arms)), False


def filter_conditions(filters: DonationFilters) -> list[ColumnElement[bool]]:
    search, few = (
        _search_condition(filters.search, filters.drive.id) if filters.search else (None, False)
    )
    # Few search matches are sorted by themselves: no index on drive_id may compete.
    drive_id = Donation.drive_id + 0 if few else Donation.drive_id
    conditions: list[ColumnElement[bool]] = [drive_id == filters.drive.id]
    if filters.method:
        conditions.append(Donation.method == filters.method)
    if filters.status:
        conditions.append(Donation.status == filters.status)
    if filters.received_from:
        conditions.append(Donation.received_at >= filters.received_from)
    if filters.received_before:
        conditions.append(Donation.received_at < filters.received_before)
    if filters.amount_min:
        conditions.append(Donation.amount >= filters.amount_min)
    if filters.amount_max:
        conditions.append(Donation.amount <= filters.amount_max)
    if search is not None:
        conditions.append(search)
    return conditions


@dataclass(frozen=True, slots=True)
class Cursor:
    """A position in the sorted list: the sort key and id of one row."""

    key: Any
    id: int

    def encode(self) -> str:
        key = self.key.isoformat() if isinstance(self.key, datetime) else self.key
        raw = json.dumps([key, self.id], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, sort: str) -> Cursor:
        try:
            padded = text + "=" * (-len(text) % 4)
            key, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
            if sort == "date":
                key = datetime.fromisoformat(key)
                if key.tzinfo is None:
                    raise ValueError("naive")
            elif sort == "amount":
                key = int(key)
            else:
                key = str(key)
            return cls(key, int(row_id))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise InvalidInput(
                "this page link is damaged; start from the first page", "page"
            ) from None


def _ordered(
    statement: Select, filters: DonationFilters, cursor: Cursor | None, descending: bool
) -> Select:
    """Order by (key, id) and, given a cursor, keep only rows beyond it."""
    key = _sort_key(filters.sort)
    if cursor is not None:
        # "key <= k AND (key < k OR id < i)": the first half is an index range the
        # planner can seek to; the second breaks ties between equal keys by id.
        if descending:
            beyond = and_(key <= cursor.key, or_(key < cursor.key, Donation.id < cursor.id))
        else:
            beyond = and_(key >= cursor.key, or_(key > cursor.key, Donation.id > cursor.id))
        statement = statement.where(beyond)
    if descending:
        return statement.order_by(key.desc(), Donation.id.desc())
    return statement.order_by(key.asc(), Donation.id.asc())


@dataclass(frozen=True, slots=True)
class DonationPage:
    donations: list[Donation]
    next_cursor: str | None
    previous_cursor: str | None


def find_page(
    filters: DonationFilters,
    *,
    after: str | None = None,
    before: str | None = None,
    size: int = PAGE_SIZE,
) -> DonationPage:
    """One page of matching donations in the chosen order: the first page, the page
    after cursor ``after`` or the page before cursor ``before``. One SQL statement."""
    backwards = bool(before) and not after
    cursor_text = before if backwards else after
    cursor = Cursor.decode(cursor_text, filters.sort) if cursor_text else None
    key = _sort_key(filters.sort).label("sort_key")
    statement = (
        select(Donation, key)
        .where(*filter_conditions(filters))
        # Rows share the drive the page already loaded; no join to fetch it again.
        .options(lazyload(Donation.drive))
    )
    descending = filters.descending != backwards
    statement = _ordered(statement, filters, cursor, descending).limit(size + 1)
    rows = db.session.execute(statement).all()
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
    cursors = [Cursor(row.sort_key, row.Donation.id).encode() for row in rows]
    if backwards:
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    return DonationPage(
        donations=[row.Donation for row in rows],
        next_cursor=cursors[-1] if rows and has_next else None,
        previous_cursor=cursors[0] if rows and has_previous else None,
    )


def matching(filters: DonationFilters, *columns: Any) -> Select:
    """Every matching donation in the chosen order, as one statement of ``columns``
    (the export streams it)."""
    statement = select(*columns).where(*filter_conditions(filters))
    return _ordered(statement, filters, None, filters.descending)


def with_sort(filters: DonationFilters, sort: str) -> dict[str, str]:
    """URL arguments that sort by ``sort``, flipping the direction when it already is."""
    if filters.sort == sort:
        direction = "asc" if filters.descending else "desc"
    else:
        direction = DEFAULT_DIRECTION[sort]
    form = tuple((k, v) for k, v in filters.form if k not in ("sort", "dir"))
    return replace(filters, form=form).query_args(sort=sort, dir=direction)
