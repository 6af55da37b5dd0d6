"""How the admin pages name things and show times: method and status labels, and
dates in the organisation's time zone (``ADMIN_TIMEZONE``)."""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from babel.dates import format_date, format_time
from flask import current_app

from ..formatting import format_money
from ..formatting import organisation_timezone as admin_timezone
from ..models import Method, Status
from .blueprint import bp

METHOD_LABELS: dict[str, str] = {
    Method.CARD: "Card",
    Method.PAYPAL: "PayPal",
    Method.CHECK: "Check",
    Method.AMAZON_GIFT_CARD: "Gift card",
    Method.BITCOIN: "Bitcoin",
    Method.CASH: "Cash",
    Method.OTHER: "Other",
}

STATUS_LABELS: dict[str, str] = {
    Status.PENDING: "Pending",
    Status.SUCCEEDED: "Succeeded",
    Status.FAILED: "Failed",
    Status.CANCELED: "Canceled",
    Status.VOIDED: "Voided",
}


def _locale() -> str:
    return current_app.config.get("DEFAULT_LOCALE") or "en_US"


@bp.app_template_filter("method_label")
def method_label(method: str | None) -> str:
    return METHOD_LABELS.get(method or "", method or "")


@bp.app_template_filter("status_label")
def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


@bp.app_template_filter("admin_datetime")
def admin_datetime(value: datetime | None) -> str:
    """The date and time (no seconds) in the admin time zone, "Nov 16, 2026, 12:00 PM";
    empty for None."""
    if value is None:
        return ""
    locale = Locale.parse(_locale())
    local = value.astimezone(admin_timezone())
    day = format_date(local.date(), "medium", locale=locale)
    clock = format_time(local.timetz(), "short", locale=locale)
    return str(locale.datetime_formats["medium"]).replace("{1}", day).replace("{0}", clock)


@bp.app_template_filter("admin_date")
def admin_date(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_date(value.astimezone(admin_timezone()).date(), "medium", locale=_locale())


@bp.app_template_filter("signed_money")
def signed_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """A change to a total: "+$25.00", "$10.00" after a minus sign, or "$0.00"."""
    text = format_money(abs(amount), currency, locale)
    if amount > 0:
        return f"+{text}"
    if amount < 0:
        return f"\N{MINUS SIGN}{text}"
    return text


# Audit details that hold minor units (the rest are shown as they are).
MONEY_DETAILS = frozenset({"amount", "refunded_total", "previous", "disputed_amount"})


@bp.app_template_filter("detail_value")
def detail_value(value: object, key: str, currency: str, locale: str = "en_US") -> str:
    """One value from an audit row's details, money formatted where the key says so
    (an edit's {"from", "to"} pair becomes "old -> new" with an arrow)."""
    if isinstance(value, dict) and set(value) == {"from", "to"}:
        old = detail_value(value["from"], key, currency, locale)
        new = detail_value(value["to"], key, currency, locale)
        return f"{old} \N{RIGHTWARDS ARROW} {new}"
    if key in MONEY_DETAILS and isinstance(value, int) and not isinstance(value, bool):
        return format_money(value, currency, locale)
    return "" if value is None else str(value)
