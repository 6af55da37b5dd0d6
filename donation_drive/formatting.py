"""Display formatting of money and dates through Babel. Money is never a float here:
minor units become a Decimal of the currency's precision before Babel sees them.
Days are shown in the organisation's time zone (``ADMIN_TIMEZONE``)."""

from __future__ import annotations

import logging
from copy import copy
from datetime import datetime, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_precision
from flask import current_app

log = logging.getLogger(__name__)


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


def organisation_timezone() -> tzinfo:
    """The zone the organisation thinks in (``ADMIN_TIMEZONE``). A misspelt setting
    falls back to UTC (logged) rather than taking every page that shows a date down."""
    name = current_app.config.get("ADMIN_TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("ADMIN_TIMEZONE %r is not a known time zone; using UTC", name)
        return ZoneInfo("UTC")


def format_day(moment: datetime, locale: str = "en_US") -> str:
    """ "December 31, 2026": the day of ``moment`` in the organisation's time zone."""
    return format_date(moment.astimezone(organisation_timezone()).date(), "long", locale=locale)
