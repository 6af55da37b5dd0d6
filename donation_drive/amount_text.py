"""Amount text as people write it, read and written in a drive's locale.

``parse_amount`` is the one parser for every place a person types or imports an
amount: the checkout (its page asks the server, it does not parse), admin forms,
filters, the CSV import and the CLI. "25,00" is 25 on a ``de_DE`` drive and is
refused on an ``en_US`` one, where the comma groups thousands: text that the
locale makes ambiguous or malformed is refused with the expected format, never
reinterpreted, since a grouping mark read as a decimal one (or the reverse) moves
the amount by a factor of 100 or 1,000. Babel's strict parsing checks the grouping.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.numbers import (
    NumberFormatError,
    format_decimal,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)

from .errors import InvalidAmount, InvalidInput
from .formatting import to_major
from .ledger.validation import check_minor_units, currency_exponent

_MAX_TEXT_LENGTH = 40  # "1,000,000,000,000.00" and a symbol fit many times over
_MAX_MAJOR_DIGITS = 15  # powers of ten; anything larger is refused before it is scaled
# What people type (and Babel writes) where a locale groups digits with a space
# (fr_FR: U+202F) or an apostrophe (fr_CH, de_CH): any of these is that mark.
_SPACES = " \u00a0\u202f\u2009"
_APOSTROPHES = "'\u2019"
_MINUS_SIGNS = "-\u2212"


@cache
def _symbols(locale: str) -> tuple[str, str]:
    try:
        Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(f"unknown locale {str(locale)[:20]!r}", "locale") from None
    return get_decimal_symbol(locale), get_group_symbol(locale)


@cache
def amount_example(currency: str, locale: str) -> str:
    """How an amount is written for this currency and locale: "1,234.56", "1.234,56",
    "1,234" (JPY), "1,234.567" (KWD)."""
    return format_decimal(_example_value(currency), locale=locale, decimal_quantization=False)


def _example_value(currency: str) -> Decimal:
    places = currency_exponent(currency)
    return Decimal("1234." + "5678"[:places]) if places else Decimal(1234)


def _currency_marks(currency: str, locale: str) -> list[str]:
    """The currency's code and symbols a person may type around the number, longest
    first so "US$" goes before "$"."""
    marks = {currency, get_currency_symbol(currency, locale), get_currency_symbol(currency, "en")}
    return sorted((mark for mark in marks if mark), key=len, reverse=True)


def _without_currency(text: str, currency: str, locale: str) -> str:
    for mark in _currency_marks(currency, locale):
        if text.upper().startswith(mark.upper()):
            text = text[len(mark) :].strip(_SPACES)
            break
    for mark in _currency_marks(currency, locale):
        if text.upper().endswith(mark.upper()):
            text = text[: -len(mark)].strip(_SPACES)
            break
    return text


def _read_text(raw: str, currency: str, locale: str, field: str) -> Decimal:
    decimal_mark, group_mark = _symbols(locale)
    text = raw.strip(_SPACES + "\t\r\n")
    if not text:
        raise InvalidAmount("an amount is required", field)
    if len(text) > _MAX_TEXT_LENGTH:
        raise InvalidAmount("the amount is too long", field)
    text = _without_currency(text, currency, locale)
    if text[:1] in _MINUS_SIGNS:
        raise InvalidAmount("the amount must be greater than zero", field)
    if group_mark in _SPACES:
        text = re.sub(f"[{_SPACES}]", group_mark, text)
    elif group_mark in _APOSTROPHES:
        text = re.sub(f"[{_APOSTROPHES}]", group_mark, text)
    expected = f"write it like {amount_example(currency, locale)}"
    shown = raw.strip()[:_MAX_TEXT_LENGTH]
    allowed = set("0123456789") | {decimal_mark, group_mark}
    if not any(ch.isdigit() for ch in text) or any(ch not in allowed for ch in text):
        raise InvalidAmount(f"{shown!r} is not a number: {expected}", field)
    try:
        return parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError:
        raise InvalidAmount(
            f"{shown!r} is not an amount as written in this drive's locale: {expected}", field
        ) from None


def _to_minor_units(number: Decimal, currency: str, field: str) -> int:
    if not number.is_finite():
        raise InvalidAmount("the amount must be a finite number", field)
    if number <= 0:
        raise InvalidAmount("the amount must be greater than zero", field)
    if number.adjusted() > _MAX_MAJOR_DIGITS:
        # Before any arithmetic: "1e999999999" would overflow Decimal's context.
        raise InvalidAmount("the amount is too large", field)
    # Exact integer arithmetic on the digits: Decimal arithmetic rounds to 28 places,
    # which would quietly accept "1.00000000000000000000000000001".
    places = currency_exponent(currency)
    _sign, digit_tuple, exp = number.as_tuple()
    digits = list(digit_tuple)
    while exp < 0 and len(digits) > 1 and digits[-1] == 0:  # "25.500" is 25.5
        digits.pop()
        exp += 1
    if exp < -places:
        unit = "no decimal places" if not places else f"at most {places} decimal places"
        raise InvalidAmount(f"{currency} amounts have {unit}", field)
    significant = int("".join(map(str, digits)))
    return check_minor_units(significant * 10 ** (exp + places), field)


def parse_amount(value: object, currency: str, *, locale: str, field: str = "amount") -> int:
    """An amount in major units, as typed in ``locale``, as integer minor units of
    ``currency`` (by its own exponent: 0 for JPY, 3 for KWD).

    Text is read in the locale ("1.234,56" in de_DE, "1,234.56" in en_US), with the
    currency's code or symbol allowed around it; numbers (a JSON number, an int, a
    Decimal) are already unambiguous. Raises ``InvalidAmount`` naming ``field`` for
    zero, negative, non-numeric, ambiguous, over-precise and huge values.
    """
    if isinstance(value, bool) or value is None:
        raise InvalidAmount("an amount is required", field)
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the shortest text that is this float: 12.5, not 12.49…
    else:
        number = _read_text(str(value), currency, locale, field)
    return _to_minor_units(number, currency, field)


def format_amount_input(amount: int, currency: str, locale: str) -> str:
    """Minor units as text for a form field or an export cell, in the locale and
    without grouping, so that ``parse_amount`` reads it back exactly: "1234.56",
    "1234,56", "1234" (JPY)."""
    decimal_mark, _group_mark = _symbols(locale)
    # to_major keeps the currency's exponent, so "f" writes exactly its decimal places.
    return f"{to_major(amount, currency):f}".replace(".", decimal_mark)


def decimal_mark(locale: str) -> str:
    """The locale's decimal mark, as ``format_amount_input`` writes it ("." or ",")."""
    return _symbols(locale)[0]
