"""The import's cell parsers, without an app: dates, times, zones, methods
and the fingerprint that keys rows without a provider id."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from donation_drive.admin.imports.values import (
    decode_csv,
    detect_date_order,
    fingerprint,
    local_moment,
    parse_day,
    parse_method,
    parse_time,
    parse_zone,
    read_records,
)
from donation_drive.errors import InvalidInput


def test_date_order_is_day_first_only_when_a_date_says_so():
    assert detect_date_order(["11/02/2026", "12/01/2026"]) == "mdy"
    assert detect_date_order(["11/02/2026", "24/12/2026"]) == "dmy"
    assert detect_date_order(["24.12.2026"]) == "dmy"


def test_days_are_read_in_the_order_given():
    assert parse_day("03/04/2026", "mdy", "Date") == date(2026, 3, 4)
    assert parse_day("03/04/2026", "dmy", "Date") == date(2026, 4, 3)
    assert parse_day("2026-04-03", "mdy", "Date") == date(2026, 4, 3)
    with pytest.raises(InvalidInput) as refused:
        parse_day("13/13/2026", "mdy", "Date")
    assert refused.value.field == "Date"


def test_times_and_zones_as_paypal_writes_them():
    assert parse_time("14:05:33", "Time") == time(14, 5, 33)
    assert parse_time("2:05 pm", "Time") == time(14, 5)
    assert parse_zone("PDT", UTC, "TimeZone").utcoffset(None) == timedelta(hours=-7)
    assert parse_zone("GMT+05:30", UTC, "TimeZone").utcoffset(None) == timedelta(hours=5.5)
    assert parse_zone("", UTC, "TimeZone") is UTC
    with pytest.raises(InvalidInput):
        parse_zone("Mars/Olympus", UTC, "TimeZone")


def test_a_day_without_a_time_is_midday_local():
    written, moment = local_moment(date(2026, 12, 1), None, timezone(timedelta(hours=-5)))
    assert written == "2026-12-01T12:00:00"
    assert moment == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "method"),
    [
        ("Check", "check"),
        ("cheque", "check"),
        ("Amazon gift card", "amazon_gift_card"),
        ("BTC", "bitcoin"),
    ],
)
def test_methods_as_people_write_them(written, method):
    assert parse_method(written, "method") == method


def test_the_fingerprint_is_stable_and_tells_rows_apart():
    one = fingerprint(1, "2026-12-01T12:00:00", 2_000, "cash", "", "Ada")
    assert one == fingerprint(1, "2026-12-01T12:00:00", 2_000, "cash", "", "ada")
    assert one != fingerprint(2, "2026-12-01T12:00:00", 2_000, "cash", "", "Ada")
    assert one != fingerprint(1, "2026-12-01T12:00:00", 2_001, "cash", "", "Ada")
    assert one.startswith("v1:") and len(one) <= 200


def test_records_keep_the_line_each_starts_on_and_skip_blank_lines():
    text = 'a,b\n\n1,"two\nlines"\n3,4\n'
    assert list(read_records(text)) == [(1, ["a", "b"]), (3, ["1", "two\nlines"]), (5, ["3", "4"])]


def test_semicolon_separated_files_are_read():
    assert list(read_records("date;amount\n2026-12-01;5\n")) == [
        (1, ["date", "amount"]),
        (2, ["2026-12-01", "5"]),
    ]


def test_text_encodings():
    assert decode_csv("Zoë".encode("utf-8-sig")) == "Zoë"
    assert decode_csv("Zoë".encode("cp1252")) == "Zoë"
    assert decode_csv("Zoë".encode("utf-16")) == "Zoë"
    with pytest.raises(InvalidInput):
        decode_csv(b"\x00\x01\x02PK")
