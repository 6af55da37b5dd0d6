"""The one parser of amount text (donation_drive/amount_text.py): the table of
locales, hypothesis round trips of what Babel writes in each locale, and whatever
else a person may type — always minor units or InvalidInput naming the field."""

from __future__ import annotations

from decimal import Decimal

import pytest
from babel.numbers import format_currency, format_decimal
from hypothesis import given, settings
from hypothesis import strategies as st

from donation_drive.amount_text import (
    amount_example,
    format_amount_input,
    parse_amount,
)
from donation_drive.errors import InvalidInput
from donation_drive.formatting import to_major
from donation_drive.ledger.validation import MAX_MINOR_UNITS, currency_exponent

from .amount_cases import AmountCase, case_params

LOCALES = ["en_US", "en_GB", "de_DE", "fr_FR", "fr_CH", "ja_JP"]
CURRENCIES = ["USD", "EUR", "GBP", "CHF", "JPY", "KWD"]
fuzz = settings(max_examples=300, deadline=None)

anything = st.one_of(
    st.text(),
    st.from_regex(r"\A\s?[$€£¥]?-?[0-9.,' \u202f]{0,16}([eE][+-]?[0-9]{1,4})?\s?\Z"),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
)


def outcome(*args, **kwargs):
    try:
        return parse_amount(*args, **kwargs)
    except InvalidInput as exc:
        assert exc.field, "InvalidInput must name the field at fault"
        return exc


@pytest.mark.parametrize("case", case_params())
def test_the_table_of_locales(case: AmountCase):
    result = outcome(case.text, case.currency, locale=case.locale, field="gift")
    if case.minor is None:
        assert isinstance(result, InvalidInput)
        assert result.field == "gift"
    else:
        assert result == case.minor


def test_an_ambiguous_amount_is_refused_with_the_expected_format():
    refused = outcome("25,00", "USD", locale="en_US")
    assert isinstance(refused, InvalidInput)
    assert refused.field == "amount"
    assert "1,234.56" in refused.message
    german = outcome("25.00", "EUR", locale="de_DE")
    assert "1.234,56" in german.message


def test_decimal_places_follow_the_currency():
    assert "no decimal places" in outcome("25.5", "JPY", locale="ja_JP").message
    assert "at most 3 decimal places" in outcome("1.2345", "KWD", locale="en_US").message
    assert amount_example("JPY", "ja_JP") == "1,234"
    assert amount_example("KWD", "de_DE") == "1.234,567"


def test_numbers_are_not_read_in_a_locale():
    # A JSON number or an int has no grouping to misread.
    assert parse_amount(25, "EUR", locale="de_DE") == 2500
    assert parse_amount(12.5, "EUR", locale="de_DE") == 1250
    assert parse_amount(Decimal("1234.56"), "USD", locale="en_US") == 123456


def test_an_unknown_locale_is_an_error_naming_the_locale():
    refused = outcome("25", "USD", locale="xx_NOPE")
    assert isinstance(refused, InvalidInput)
    assert refused.field == "locale"


@fuzz
@given(value=anything, currency=st.sampled_from(CURRENCIES), locale=st.sampled_from(LOCALES))
def test_anything_is_minor_units_or_a_named_error(value, currency, locale):
    result = outcome(value, currency, locale=locale)
    if not isinstance(result, InvalidInput):
        assert type(result) is int
        assert 0 < result <= MAX_MINOR_UNITS


@fuzz
@given(
    minor=st.integers(1, MAX_MINOR_UNITS),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_what_babel_writes_in_a_locale_reads_back_in_that_locale(minor, currency, locale):
    value = to_major(minor, currency)
    written = [
        format_currency(value, currency, locale=locale),
        format_decimal(value, locale=locale, decimal_quantization=False),
        format_decimal(value, locale=locale, group_separator=False, decimal_quantization=False),
        format_amount_input(minor, currency, locale),
    ]
    for text in written:
        assert parse_amount(text, currency, locale=locale) == minor, text


@fuzz
@given(
    minor=st.integers(1, MAX_MINOR_UNITS),
    currency=st.sampled_from(CURRENCIES),
    locale=st.sampled_from(LOCALES),
)
def test_trailing_zeros_are_accepted_and_extra_precision_refused(minor, currency, locale):
    exact = format_amount_input(minor, currency, locale)
    places = currency_exponent(currency)
    decimal_mark = format_decimal(Decimal("0.5"), locale=locale)[1]
    padded = exact + "0" if places else exact + decimal_mark + "00"
    assert parse_amount(padded, currency, locale=locale) == minor
    over_precise = exact + "1" if places else exact + decimal_mark + "1"
    refused = outcome(over_precise, currency, locale=locale)
    assert isinstance(refused, InvalidInput)


@fuzz
@given(minor=st.integers(MAX_MINOR_UNITS + 1, MAX_MINOR_UNITS * 10**6))
def test_amounts_beyond_the_ceiling_are_refused(minor):
    text = format_amount_input(minor, "USD", "en_US")
    assert isinstance(outcome(text, "USD", locale="en_US"), InvalidInput)


@pytest.mark.parametrize(
    "text",
    [
        "0",
        "0.00",
        "-5",
        "\u22125",
        "-0",
        "NaN",
        "sNaN",
        "Infinity",
        "-inf",
        "1e999999999",
        "1e-999999999",
        "",
        "   ",
        "1.2.3",
        "0x10",
        "25 dollars",
        "1e400",
        "9" * 41,
        "+5",
    ],
)
def test_non_amounts_are_refused_with_a_message(text):
    refused = outcome(text, "USD", locale="en_US", field="goal")
    assert isinstance(refused, InvalidInput)
    assert refused.field == "goal"
    assert refused.message
