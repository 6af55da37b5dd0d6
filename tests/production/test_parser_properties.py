"""Property tests for the parsers of minor units and dates (ledger/validation.py; amount
text has its own, tests/test_amount_text.py): whatever
a person types or a peer sends, the answer is a value or InvalidInput (never another
exception, so never a 500), and what we format we parse back exactly."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal

import pytest
from babel.numbers import list_currencies
from hypothesis import given, settings
from hypothesis import strategies as st

from donation_drive.errors import InvalidInput
from donation_drive.ledger.validation import (
    MAX_MINOR_UNITS,
    check_minor_units,
    parse_datetime,
    validate_currency,
)

CURRENCIES = sorted(code for code in list_currencies() if len(code) == 3 and code.isalpha())
# One of each precision people actually donate in: 2 (USD), 0 (JPY), 3 (KWD).
SAMPLE_CURRENCIES = ["USD", "EUR", "JPY", "KWD", "BHD", "CHF"]
ZONES = ["UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Asia/Kolkata"]

fuzz = settings(max_examples=200, deadline=None)

# Text that looks like what people paste into an amount box, and anything at all.
amount_like = st.from_regex(
    r"\A\s?[$€£]?-?[0-9,_]{0,14}(\.[0-9]{0,5})?([eE][+-]?[0-9]{1,4})?\s?\Z", fullmatch=True
)
anything = st.one_of(
    st.text(),
    amount_like,
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.none(),
    st.booleans(),
    st.binary(),
    st.lists(st.integers(), max_size=3),
)


def outcome(parse, *args, **kwargs):
    """The parser's value, or the InvalidInput it raised (anything else fails the test)."""
    try:
        return parse(*args, **kwargs)
    except InvalidInput as exc:
        assert exc.field, "InvalidInput must name the field at fault"
        return exc


# -- check_minor_units ----------------------------------------------------------------


@fuzz
@given(value=anything)
def test_check_minor_units_returns_the_integer_or_invalid_input(value):
    result = outcome(check_minor_units, value)
    if not isinstance(result, InvalidInput):
        assert type(result) is int
        assert 0 < result <= MAX_MINOR_UNITS


@fuzz
@given(minor=st.integers(1, MAX_MINOR_UNITS), as_text=st.booleans())
def test_check_minor_units_keeps_valid_amounts_unchanged(minor, as_text):
    assert check_minor_units(f" {minor} " if as_text else minor) == minor


@fuzz
@given(minor=st.one_of(st.integers(max_value=0), st.integers(min_value=MAX_MINOR_UNITS + 1)))
def test_check_minor_units_refuses_out_of_range_integers(minor):
    assert isinstance(outcome(check_minor_units, minor), InvalidInput)


@pytest.mark.parametrize("value", [True, False, 12.5, 12.0, Decimal("12.5"), "12.5", "1e3", None])
def test_check_minor_units_refuses_what_is_not_a_whole_number(value):
    assert isinstance(outcome(check_minor_units, value), InvalidInput)


# -- validate_currency ----------------------------------------------------------------


@fuzz
@given(value=anything)
def test_validate_currency_returns_a_known_code_or_invalid_input(value):
    result = outcome(validate_currency, value)
    if not isinstance(result, InvalidInput):
        assert result in CURRENCIES


@fuzz
@given(
    code=st.sampled_from(CURRENCIES), spelling=st.sampled_from([str.lower, str.upper, str.title])
)
def test_validate_currency_accepts_every_known_code_in_any_case(code, spelling):
    assert validate_currency(f" {spelling(code)} ") == code


# -- parse_datetime -------------------------------------------------------------------


aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(9998, 12, 30),
    timezones=st.sampled_from(
        [
            UTC,
            timezone(timedelta(hours=-11)),
            timezone(timedelta(hours=14)),
            timezone(timedelta(hours=5, minutes=30)),
        ]
    ),
)


@fuzz
@given(
    value=st.one_of(anything, st.dates(), st.datetimes(), aware_datetimes),
    tz=st.one_of(st.sampled_from(ZONES), st.text(max_size=30)),
    end_of_day=st.booleans(),
)
def test_parse_datetime_returns_an_aware_utc_time_or_invalid_input(value, tz, end_of_day):
    result = outcome(parse_datetime, value, "received", tz=tz, end_of_day=end_of_day)
    if not isinstance(result, InvalidInput):
        assert result.tzinfo is UTC
        assert 1970 <= result.year <= 9998


@fuzz
@given(
    text=st.from_regex(
        r"\A[0-9]{1,4}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
        r"(Z|[+-][0-9]{2}:?[0-9]{2})?)?\Z",
        fullmatch=True,
    ),
    tz=st.sampled_from(ZONES),
)
def test_parse_datetime_on_iso_looking_text_never_crashes(text, tz):
    outcome(parse_datetime, text, "starts", tz=tz)


@fuzz
@given(moment=aware_datetimes)
def test_parse_datetime_reads_back_an_iso_timestamp_as_the_same_instant(moment):
    parsed = parse_datetime(moment.isoformat(), "received")
    assert parsed == moment
    assert parsed.tzinfo is UTC
    assert parse_datetime(parsed.isoformat(), "received") == parsed


@fuzz
@given(
    day=st.dates(min_value=date(1971, 1, 1), max_value=date(9997, 12, 31)),
    tz=st.sampled_from(ZONES),
)
def test_a_date_alone_means_the_whole_day_in_the_drives_time_zone(day, tz):
    from zoneinfo import ZoneInfo

    starts = parse_datetime(day.isoformat(), "starts", tz=tz)
    ends = parse_datetime(day.isoformat(), "ends", tz=tz, end_of_day=True)
    assert starts.astimezone(ZoneInfo(tz)).date() == day
    assert starts.astimezone(ZoneInfo(tz)).time() == time.min
    assert ends.astimezone(ZoneInfo(tz)).date() == day
    assert ends.astimezone(ZoneInfo(tz)).time() == time.max


@pytest.mark.parametrize(
    ("value", "tz"),
    [
        ("0001-01-01T00:00:00+01:00", "UTC"),
        ("9999-12-31", "America/New_York"),
        ("0001-01-01", "Asia/Tokyo"),
        ("1969-12-31T23:59:59Z", "UTC"),
        ("2024-01-01", "/etc/passwd"),
        ("2024-01-01", "America"),
        ("2024-01-01", ""),
        ("2024-02-30", "UTC"),
        ("tomorrow", "UTC"),
    ],
)
def test_parse_datetime_refuses_what_is_not_a_usable_date(value, tz):
    refused = outcome(parse_datetime, value, "ends", tz=tz, end_of_day=True)
    assert isinstance(refused, InvalidInput)
