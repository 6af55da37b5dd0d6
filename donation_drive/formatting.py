"""Display formatting of money and dates through Babel. Money is never a float here:
minor units become a Decimal of the currency's precision before Babel sees them."""

from __future__ import annotations

from copy import copy
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, get_currency_precision


def to_major(amount: int, currency: str) -> Decimal:
    return Decimal(amount).scaleb(-get_currency_precision(currency))


def format_money(amount: int, currency: str, locale: str = "en_US", *, whole: bool = False) -> str:
    """ "$75,000" (whole) or "$5,706.00"; ``amount`` in minor units."""
    value = to_major(amount, currency)
    if whole and value == value.to_integral_value():
        pattern = copy(Locale.parse(locale).currency_formats["standard"])
        pattern.frac_prec = (0, 0)
        return pattern.apply(value, Locale.parse(locale), currency=currency, currency_digits=False)
    return format_currency(value, currency, locale=locale)


def format_percent(percent: float, locale: str = "en_US") -> str:
    return format_decimal(percent, format="#,##0.#", locale=locale) + "%"
