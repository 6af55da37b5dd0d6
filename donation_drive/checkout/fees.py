"""'Cover the processing fee': how much to add so a gift arrives whole after
Stripe's card fee (a percentage of the charge plus a fixed part)."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_percent
from flask import current_app

from ..formatting import format_money


def _fee_terms() -> tuple[int, int]:
    config = current_app.config
    return int(config["CHECKOUT_FEE_BASIS_POINTS"]), int(config["CHECKOUT_FEE_FIXED"])


def processing_fee(gift: int) -> int:
    """Minor units to add to ``gift`` so that ``gift`` is left after the fee.

    Solves ``total - (total * bps / 10000 + fixed) >= gift`` for the smallest whole
    ``total``, in integers only (money is never a float).
    """
    bps, fixed = _fee_terms()
    numerator = (gift + fixed) * 10_000
    total = -(-numerator // (10_000 - bps))  # ceiling division
    return total - gift


def fee_terms_text(currency: str, locale: str) -> str:
    """'2.9% + $0.30', for the checkbox label."""
    bps, fixed = _fee_terms()
    # Display only (the fee itself is computed in integers): "2.9%", "2,9 %".
    percent = format_percent(Decimal(bps) / 10_000, locale=locale, decimal_quantization=False)
    return f"{percent} + {format_money(fixed, currency, locale)}" if fixed else percent
