"""GET /api/v1/drives/<slug>: the public progress JSON, its caching headers and 304s."""

from __future__ import annotations

import re
import time
from datetime import datetime

URL = "/api/v1/drives/eoy"


def test_progress_json_has_exactly_the_documented_keys(client, drive, give):
    give(500_000)
    give(70_600, method="paypal")

    response = client.get(URL)

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {
        "slug",
        "title",
        "currency",
        "goal_amount",
        "raised_amount",
        "donor_count",
        "percent",
        "ends_at",
        # Added for the drive's calendar (tests/widget/test_drive_states.py).
        "starts_at",
        "state",
        "days_left",
        "starts_in_days",
        "accepting_gifts",
        # Added with donor records (tests/ledger/test_donors.py).
        "gift_count",
        # Goals beyond the goal (tests/widget/test_goals.py).
        "stretch_goal_amount",
        "match",
        "counted_amount",
        "target_amount",
        "recent_donors",  # tests/widget/test_recent_donors.py
        # The drive's default look and the counting line (tests/widget/test_themes.py,
        # tests/widget/test_counting_line.py).
        "widget",
        "counting",
        "text",  # the words and figures embed.js shows (tests/widget/test_languages.py)
    }
    assert body["slug"] == "eoy"
    assert body["title"] == "End of the Year Donation Drive"
    assert body["currency"] == "USD"
    assert body["goal_amount"] == 7_500_000
    assert body["raised_amount"] == 570_600
    assert body["donor_count"] == 2
    assert body["gift_count"] == 2
    assert body["percent"] == 7.6
    # The drive ends at the end of Dec 31 in New York, which is Jan 1 04:59 UTC.
    ends_at = datetime.fromisoformat(body["ends_at"])
    assert ends_at.utcoffset() is not None
    assert ends_at == drive.ends_at
    assert (ends_at.year, ends_at.month, ends_at.day, ends_at.hour) == (2027, 1, 1, 4)
    assert datetime.fromisoformat(body["starts_at"]) == drive.starts_at


def test_donor_count_is_distinct_donors_and_gift_count_is_gifts(client, drive, give):
    give(1_000, email="Reader@example.org", name="Reader")
    give(2_000, email=" reader@EXAMPLE.org")
    give(500, email="other@example.org")
    refunded = give(700, email="gone@example.org")
    from donation_drive.ledger import refund_offline_donation

    refund_offline_donation(refunded.id, amount=700, reason="asked", actor="test")

    body = client.get(URL).get_json()

    assert (body["raised_amount"], body["donor_count"], body["gift_count"]) == (3_500, 2, 3)
    widget = client.get("/widget/eoy").get_data(as_text=True)
    assert "2 donors" in widget
    assert "2 donors" in client.get("/widget/eoy.svg").get_data(as_text=True)


def test_amounts_are_integers_of_minor_units_never_floats(client, drive, give):
    give(1_999)  # $19.99

    body = client.get(URL).get_json()

    assert body["raised_amount"] == 1_999
    assert type(body["raised_amount"]) is int
    assert type(body["goal_amount"]) is int
    assert type(body["donor_count"]) is int
    assert '"raised_amount":1999' in client.get(URL).get_data(as_text=True)


def test_an_empty_drive_reports_zero(client, drive):
    body = client.get(URL).get_json()

    assert (body["raised_amount"], body["donor_count"], body["percent"]) == (0, 0, 0)


def test_percent_goes_above_100_when_the_goal_is_passed(client, drive, give):
    give(9_000_000)

    body = client.get(URL).get_json()

    assert body["raised_amount"] == 9_000_000
    assert body["percent"] == 120


def test_percent_is_rounded_down_so_the_goal_is_not_claimed_early(client, drive, give):
    give(7_499_999)  # one cent short of the goal

    assert client.get(URL).get_json()["percent"] == 99.9


def test_any_origin_may_read_it(client, drive):
    response = client.get(URL, headers={"Origin": "https://blog.example.net"})

    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_proxies_may_cache_it_briefly_and_serve_stale_while_revalidating(client, drive):
    response = client.get(URL)

    directives = {
        part.strip().split("=")[0]: part.strip().partition("=")[2]
        for part in response.headers["Cache-Control"].split(",")
    }
    assert "public" in directives
    assert directives["max-age"] == "1"
    assert directives["stale-while-revalidate"] == "1"
    # nginx's copy ends with the current second (its max-age counts whole seconds).
    assert re.fullmatch(r"@\d{10}", response.headers["X-Accel-Expires"])
    assert abs(int(response.headers["X-Accel-Expires"][1:]) - time.time()) < 2
    assert response.headers["ETag"].startswith('"')
    # One cached copy serves every reader: no per-visitor variation, no cookie.
    assert "Cookie" not in response.headers.get("Vary", "")
    assert "Set-Cookie" not in response.headers


def test_matching_if_none_match_gets_304_without_a_body(client, drive, give):
    give(10_000)
    first = client.get(URL)
    etag = first.headers["ETag"]

    again = client.get(URL, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert "max-age=1," in again.headers["Cache-Control"]
    assert again.headers["Access-Control-Allow-Origin"] == "*"


def test_weak_and_listed_etags_also_match(client, drive):
    etag = client.get(URL).headers["ETag"]

    weak = client.get(URL, headers={"If-None-Match": f"W/{etag}"})
    listed = client.get(URL, headers={"If-None-Match": f'"something-else", {etag}'})

    assert weak.status_code == 304
    assert listed.status_code == 304


def test_a_stale_etag_gets_the_new_figures(client, drive, give):
    old_etag = client.get(URL).headers["ETag"]
    give(25_000)

    response = client.get(URL, headers={"If-None-Match": old_etag})

    assert response.status_code == 200
    assert response.headers["ETag"] != old_etag
    assert response.get_json()["raised_amount"] == 25_000


def test_the_same_figures_give_the_same_etag(client, drive, give):
    give(25_000)

    assert client.get(URL).headers["ETag"] == client.get(URL).headers["ETag"]


def test_unknown_drive_is_a_json_404_naming_the_field(client, drive):
    response = client.get("/api/v1/drives/no-such-drive")

    assert response.status_code == 404
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body["field"] == "drive"
    assert "no-such-drive" in body["error"]
    # Readable cross-origin, so an embed can tell a wrong slug from a network error.
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_each_drive_reports_its_own_figures(client, drive, give):
    from donation_drive.ledger import create_drive, record_offline_donation
    from donation_drive.ledger.validation import parse_datetime

    next_year = create_drive(
        slug="eoy-2027",
        title="2027 drive",
        goal_amount=10_000_000,
        currency="EUR",
        locale="de_DE",
        starts_at=parse_datetime("2027-11-15", "starts"),
        ends_at=parse_datetime("2027-12-31", "ends"),
    )
    give(10_000)
    record_offline_donation(
        next_year,
        amount=123_456,
        method="cash",
        received_at=parse_datetime("2027-11-20", "received"),
        entered_by="test",
        send_receipt=False,
    )

    this_year = client.get(URL).get_json()
    other = client.get("/api/v1/drives/eoy-2027").get_json()

    assert (this_year["raised_amount"], this_year["currency"]) == (10_000, "USD")
    assert (other["raised_amount"], other["currency"], other["goal_amount"]) == (
        123_456,
        "EUR",
        10_000_000,
    )
    assert other["percent"] == 1.2
