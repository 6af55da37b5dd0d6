"""The table of amount text by locale that every entry point must read the same way
(checkout API, page script, CLI, admin form, CSV import): the minor units each gives,
or None where it must be refused. Amounts stay within the checkout's limits (5.00 to
25,000.00 in minor units of 100) so the same rows serve every entry point."""

from __future__ import annotations

from typing import NamedTuple


class AmountCase(NamedTuple):
    locale: str
    currency: str
    text: str
    minor: int | None  # None: refused, naming the amount field

    @property
    def id(self) -> str:
        return f"{self.locale}-{self.currency}-{self.text!r}"


# One drive per (locale, currency) in the table; its slug is what the tests create.
DRIVES = {
    ("en_US", "USD"): "us-usd",
    ("en_US", "KWD"): "us-kwd",
    ("en_GB", "GBP"): "gb-gbp",
    ("de_DE", "EUR"): "de-eur",
    ("fr_FR", "EUR"): "fr-eur",
    ("fr_CH", "CHF"): "ch-chf",
    ("ja_JP", "JPY"): "jp-jpy",
}

CASES = [
    AmountCase("en_US", "USD", "25", 2500),
    AmountCase("en_US", "USD", "25.00", 2500),
    AmountCase("en_US", "USD", "1,234.56", 123456),
    AmountCase("en_US", "USD", "$25.50", 2550),
    AmountCase("en_US", "USD", "25,00", None),  # a decimal comma here would be 2,500
    AmountCase("en_US", "USD", "1,2,3", None),
    AmountCase("en_US", "USD", "25.001", None),
    AmountCase("en_US", "USD", "-25", None),
    AmountCase("en_US", "USD", "0", None),
    AmountCase("en_US", "USD", "twenty", None),
    AmountCase("en_US", "USD", "2.5e3", None),
    AmountCase("en_US", "KWD", "12.345", 12345),
    AmountCase("en_US", "KWD", "12.3456", None),
    AmountCase("en_GB", "GBP", "£1,234.56", 123456),
    AmountCase("en_GB", "GBP", "25,00", None),
    AmountCase("de_DE", "EUR", "25,00", 2500),
    AmountCase("de_DE", "EUR", "1.234,56", 123456),
    AmountCase("de_DE", "EUR", "25,00 €", 2500),
    AmountCase("de_DE", "EUR", "25.00", None),  # a grouping dot here
    AmountCase("de_DE", "EUR", "1,234.56", None),
    AmountCase("de_DE", "EUR", "25,001", None),
    AmountCase("fr_FR", "EUR", "25,50", 2550),
    AmountCase("fr_FR", "EUR", "1 234,56", 123456),
    AmountCase("fr_FR", "EUR", "1\u202f234,56", 123456),
    AmountCase("fr_FR", "EUR", "25.50", None),
    AmountCase("fr_CH", "CHF", "1'234,56", 123456),
    AmountCase("fr_CH", "CHF", "1\u2019234,56", 123456),
    AmountCase("fr_CH", "CHF", "25,5", 2550),
    AmountCase("fr_CH", "CHF", "1,2,3", None),
    AmountCase("ja_JP", "JPY", "2,500", 2500),
    AmountCase("ja_JP", "JPY", "￥12,000", 12000),
    AmountCase("ja_JP", "JPY", "2500.5", None),  # yen have no decimal places
    AmountCase("ja_JP", "JPY", "2,50", None),
]


def case_params():
    import pytest

    return [pytest.param(case, id=case.id) for case in CASES]


def create_table_drives() -> None:
    """The drives the table names, running now (inside the app context)."""
    from datetime import timedelta

    from donation_drive.ledger import create_drive
    from donation_drive.models import utcnow

    now = utcnow()
    for (locale, currency), slug in DRIVES.items():
        create_drive(
            slug=slug,
            title=f"Drive in {locale} {currency}",
            goal_amount=10_000_000,
            currency=currency,
            locale=locale,
            starts_at=now - timedelta(days=10),
            ends_at=now + timedelta(days=20),
        )
