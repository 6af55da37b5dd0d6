"""The CSV export's lines, written by the database.

A million rows cannot each pass through Python at 100,000 rows a second, so one SQL
expression per row builds the whole CSV line: every cell formatted, made
spreadsheet-safe and quoted exactly as Python's ``csv`` module (``QUOTE_MINIMAL``)
would quote it. The expression is the same on SQLite and PostgreSQL except for the
two timestamp cells, so both databases write byte-identical files.

Safe to open in a spreadsheet: a text cell that starts with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return is prefixed with ``'`` so it is read as text,
never as a formula. Amounts are decimal strings of major units in the drive's
number format, ungrouped ("25.00", "25,00"): the CSV import reads them back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import reduce
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Interval,
    String,
    and_,
    bindparam,
    case,
    cast,
    func,
    or_,
)
from sqlalchemy import literal as sql_literal
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from ...amount_text import decimal_mark
from ...ledger.validation import currency_exponent
from ...models import Donation, Status

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What makes Python's csv writer quote a cell (delimiter, quote, line terminator).
QUOTED_IF = (",", '"', "\r", "\n")

HEADER = (
    "receipt",
    "id",
    "received_date",
    "received_at_utc",
    "method",
    "status",
    "amount",
    "refunded",
    "disputed",
    "counted",
    "currency",
    "donor_name",
    "donor_email",
    "display_name",
    "anonymous",
    "message",
    "reference",
    "note",
    "provider",
    "provider_ref",
    "entered_by",
    "void_reason",
    # One row per gift; rows with the same donor_id are one donor (count distinct
    # donor ids for donors, rows for gifts).
    "donor_id",
)


class _matches(FunctionElement[bool]):
    """Whether ``text`` matches a pattern: a SQLite GLOB or a PostgreSQL regular
    expression (one test for a set of first characters)."""

    type = Boolean()
    inherit_cache = True


@compiles(_matches)
def _glob(element: _matches, compiler: Any, **kw: Any) -> str:
    text, glob, _regex = element.clauses
    return f"({compiler.process(text, **kw)} GLOB {compiler.process(glob, **kw)})"


@compiles(_matches, "postgresql")
def _regex(element: _matches, compiler: Any, **kw: Any) -> str:
    text, _glob, regex = element.clauses
    return f"({compiler.process(text, **kw)} ~ {compiler.process(regex, **kw)})"


def _class(chars: Sequence[str]) -> str:
    """A character class of ``chars`` for GLOB and regex alike ("-" last: literal)."""
    return "[" + "".join(sorted(chars, key=lambda c: c == "-")) + "]"


def _starts_like_formula(value: ColumnElement[Any]) -> ColumnElement[bool]:
    chars = _class(FORMULA_TRIGGERS)
    return _matches(value, _literal(chars + "*"), _literal("^" + chars))


class _position(FunctionElement[int]):
    """Where ``needle`` first occurs in ``text`` (1-based), 0 if nowhere."""

    type = Integer()
    inherit_cache = True


@compiles(_position)
def _instr(element: _position, compiler: Any, **kw: Any) -> str:
    return f"instr({compiler.process(element.clauses, **kw)})"


@compiles(_position, "postgresql")
def _strpos(element: _position, compiler: Any, **kw: Any) -> str:
    return f"strpos({compiler.process(element.clauses, **kw)})"


def _needs_quotes(value: ColumnElement[Any]) -> ColumnElement[bool]:
    # One search per character: cheaper than one pattern on both databases.
    return or_(*(_position(value, _literal(char)) > 0 for char in QUOTED_IF))


def _literal(text: str) -> ColumnElement[str]:
    return sql_literal(text, String)


def _joined(*parts: ColumnElement[Any]) -> ColumnElement[str]:
    return reduce(lambda left, right: left.op("||")(right), parts)


class _comma_joined(FunctionElement[str]):
    """The cells (never NULL) joined by commas: one ``concat_ws`` on PostgreSQL
    rather than forty-odd ``||``, each copying the line so far."""

    type = String()
    inherit_cache = True


@compiles(_comma_joined)
def _concatenated(element: _comma_joined, compiler: Any, **kw: Any) -> str:
    return " || ',' || ".join(compiler.process(cell, **kw) for cell in element.clauses)


@compiles(_comma_joined, "postgresql")
def _concat_ws(element: _comma_joined, compiler: Any, **kw: Any) -> str:
    return f"concat_ws(',', {compiler.process(element.clauses, **kw)})"


def _number(value: ColumnElement[int]) -> ColumnElement[str]:
    return cast(value, String)


def text_cell(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A free-text cell: formula guard, then CSV quoting; NULL is an empty cell. The
    common cases (empty, plain text) are decided by the first tests."""
    formula = _starts_like_formula(value)
    guarded = case((formula, _joined(_literal("'"), value)), else_=value)
    quoted = _joined(
        _literal('"'), func.replace(guarded, _literal('"'), _literal('""')), _literal('"')
    )
    return case(
        (value.is_(None), _literal("")),
        (_needs_quotes(value), quoted),
        (formula, _joined(_literal("'"), value)),
        else_=value,
    )


def word_cell(value: ColumnElement[Any]) -> ColumnElement[str]:
    """A cell from a closed set the ledger checks (a method, a status, a currency
    code, a provider's name): never a formula, never quoted."""
    return func.coalesce(value, _literal(""))


def money_cell(minor: ColumnElement[int], exponent: int, mark: str) -> ColumnElement[str]:
    """Non-negative minor units as ungrouped major units: 2560 -> "25.60"."""
    if exponent == 0:
        return _number(minor)
    scale = 10**exponent
    # scale + remainder, less its leading "1": the remainder zero-padded on both databases.
    fraction = func.substr(_number(minor % scale + scale), 2)
    text = _joined(_number(minor // scale), _literal(mark), fraction)
    if any(char in mark for char in QUOTED_IF):  # "1234,56" is quoted, as csv would
        return _joined(_literal('"'), text, _literal('"'))
    return text


def counted_cell_value() -> ColumnElement[int]:
    """``models.counted_amount`` in SQL."""
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    return case((and_(Donation.status == Status.SUCCEEDED.value, net > 0), net), else_=0)


def _receipt() -> ColumnElement[str]:
    """``Donation.receipt_number``: "DD-" and the id, zero-padded to eight digits."""
    padded = func.substr(_number(Donation.id + 10**8), 2)
    return _joined(_literal("DD-"), case((Donation.id < 10**8, padded), else_=_number(Donation.id)))


def offset_segments(tz: tzinfo, first: datetime, last: datetime) -> list[tuple[datetime, int]]:
    """The UTC offsets of ``tz`` (seconds) from ``first`` to ``last``: a list of
    (end, offset) where ``offset`` holds for instants before ``end`` (the last
    one's end is ``last``). Transitions are found to the second by bisection,
    assuming at most one per six hours (true of every zone in the tz database)."""

    def offset(seconds: int) -> int:
        moment = datetime.fromtimestamp(seconds, UTC).astimezone(tz)
        return int(moment.utcoffset().total_seconds())

    start, end = int(first.timestamp()), int(last.timestamp()) + 1
    step = 6 * 3600
    segments: list[tuple[datetime, int]] = []
    current = offset(start)
    at = start
    while at < end:
        ahead = min(at + step, end)
        if offset(ahead) != current:
            low, high = at, ahead  # offset(low) is current, offset(high) is not
            while high - low > 1:
                middle = (low + high) // 2
                low, high = (middle, high) if offset(middle) == current else (low, middle)
            segments.append((datetime.fromtimestamp(high, UTC), current))
            current = offset(high)
        at = ahead
    segments.append((datetime.fromtimestamp(end, UTC), current))
    return segments


def _utc_cells(dialect: str, segments: Sequence[tuple[datetime, int]]) -> tuple:
    """The local day ("2026-11-16") and ``datetime.isoformat()`` of received_at in
    UTC ("2026-11-16T12:00:00+00:00", microseconds only when there are some)."""
    received = Donation.received_at
    if dialect == "postgresql":
        utc = func.timezone(_literal("UTC"), received)

        def day(offset: int) -> ColumnElement[str]:
            interval = cast(bindparam(None, timedelta(seconds=offset), type_=Interval), Interval)
            shifted = utc.op("+")(interval)
            return func.to_char(shifted, _literal("YYYY-MM-DD"))

        seconds = func.to_char(utc, _literal('YYYY-MM-DD"T"HH24:MI:SS'))
        whole = func.date_trunc(_literal("second"), received) == received
        fraction = case((whole, _literal("")), else_=func.to_char(utc, _literal(".US")))
    else:
        # SQLAlchemy stores "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC) on SQLite.
        def day(offset: int) -> ColumnElement[str]:
            return func.date(received, _literal(f"{offset:+d} seconds"))

        seconds = _joined(func.substr(received, 1, 10), _literal("T"), func.substr(received, 12, 8))
        micro = func.substr(received, 21, 6)
        whole = or_(micro == _literal(""), micro == _literal("000000"))
        fraction = case((whole, _literal("")), else_=_joined(_literal("."), micro))
    *changes, (_end, last_offset) = segments
    local_day = (
        case(*((received < end, day(offset)) for end, offset in changes), else_=day(last_offset))
        if changes
        else day(last_offset)
    )
    return local_day, _joined(seconds, fraction, _literal("+00:00"))


def line_expression(
    dialect: str, segments: Sequence[tuple[datetime, int]], currency: str, locale: str
) -> ColumnElement[str]:
    """One donation's CSV line (without its line terminator), cells in ``HEADER``'s
    order. ``segments`` are the admin zone's offsets over the rows' dates
    (``offset_segments``)."""
    exponent, mark = currency_exponent(currency), decimal_mark(locale)
    local_day, utc = _utc_cells(dialect, segments)
    cells = (
        _receipt(),
        _number(Donation.id),
        local_day,
        utc,
        word_cell(Donation.method),
        word_cell(Donation.status),
        money_cell(Donation.amount, exponent, mark),
        money_cell(Donation.refunded_amount, exponent, mark),
        money_cell(Donation.disputed_amount, exponent, mark),
        money_cell(counted_cell_value(), exponent, mark),
        word_cell(Donation.currency),
        text_cell(Donation.donor_name),
        text_cell(Donation.donor_email),
        text_cell(Donation.display_name),
        case((Donation.is_anonymous, _literal("yes")), else_=_literal("no")),
        text_cell(Donation.message),
        text_cell(Donation.reference),
        text_cell(Donation.note),
        word_cell(Donation.provider),
        text_cell(Donation.provider_ref),
        text_cell(Donation.entered_by),
        text_cell(Donation.void_reason),
        func.coalesce(_number(Donation.donor_id), _literal("")),
    )
    return _comma_joined(*cells).label("line")
