"""The overview page: the widget's figure, and breakdowns that add up to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from donation_drive.admin.overview.stats import drive_overview
from donation_drive.ledger import create_drive
from donation_drive.ledger.validation import parse_datetime

from .dashboard_data import attribute_of, mixed_drive, offline, text_of


def test_overview_shows_the_same_raised_figure_as_the_widget(admin_client, client, drive):
    scenario = mixed_drive(drive)
    widget = client.get(f"/api/v1/drives/{drive.slug}").get_json()
    page = admin_client.get("/admin/").get_data(as_text=True)

    assert int(attribute_of(page, "raised")) == widget["raised_amount"] == scenario.raised
    assert int(text_of(page, "donor-count")) == widget["donor_count"] == len(scenario.gifts)
    assert text_of(page, "raised") == "$3,020.60"
    assert text_of(page, "goal") == "$75,000.00"


def test_method_breakdown_lists_every_method_and_adds_up_to_the_raised_figure(admin_client, drive):
    scenario = mixed_drive(drive)
    page = admin_client.get("/admin/").get_data(as_text=True)

    rows = re.findall(r'<tr data-method="([a-z_]+)">.*?data-amount="(\d+)"', page, flags=re.DOTALL)
    by_method = {method: int(amount) for method, amount in rows}
    assert list(by_method) == [
        "card",
        "paypal",
        "check",
        "amazon_gift_card",
        "bitcoin",
        "cash",
        "other",
    ]
    assert by_method == {m: sum(a) for m, a in scenario.counted.items()}
    assert sum(by_method.values()) == int(attribute_of(page, "raised"))
    for label in ("Card", "PayPal", "Check", "Gift card", "Bitcoin", "Cash", "Other"):
        assert f'<th scope="row">{label}</th>' in page


def test_average_and_median_are_of_the_gifts_that_count(admin_client, drive):
    scenario = mixed_drive(drive)
    gifts = scenario.gifts  # 7 gifts: the middle one is the median
    page = admin_client.get("/admin/").get_data(as_text=True)

    assert int(attribute_of(page, "median")) == gifts[3] == 10_000
    assert int(attribute_of(page, "average")) == round(sum(gifts) / len(gifts)) == 43_151


def test_median_of_an_even_number_of_gifts_is_the_mean_of_the_middle_two(app, drive):
    for amount in (1_000, 2_000, 3_001, 90_000):
        offline(drive, amount)
    figures = drive_overview(drive, UTC)
    assert figures.median_gift == 2_501  # (2,000 + 3,001) / 2, half a cent rounded up


def test_days_left_counts_a_part_day_as_a_day_and_stops_at_zero(app, drive):
    # The drive ends at the end of Dec 31 in New York (05:00 UTC on Jan 1).
    assert drive_overview(drive, UTC, now=datetime(2026, 12, 30, 6, tzinfo=UTC)).days_left == 2
    assert drive_overview(drive, UTC, now=datetime(2027, 1, 1, 4, tzinfo=UTC)).days_left == 1
    assert drive_overview(drive, UTC, now=datetime(2027, 1, 2, tzinfo=UTC)).days_left == 0


def test_chart_draws_bars_per_day_and_a_cumulative_line_against_the_goal(admin_client, drive):
    mixed_drive(drive)
    page = admin_client.get("/admin/").get_data(as_text=True)

    svg = re.search(r'<svg class="daily-chart".*?</svg>', page, flags=re.DOTALL).group(0)
    points = re.search(r'<polyline[^>]*points="([^"]+)"', svg).group(1).split()
    assert len(points) >= 8  # the start, then one point per day of the drive so far
    ys = [float(p.split(",")[1]) for p in points]
    assert ys == sorted(ys, reverse=True)  # a running total never goes down (SVG y grows down)
    # One bar per day with counted money: Nov 16, 18, 19, 21, 22, 24 (Nov 17 was disputed).
    assert len(re.findall(r"<rect [^>]*><title>", svg)) == 6
    assert "<title>Nov 19: $1,600.00</title>" in svg
    assert "Goal $75,000" in svg
    assert "style=" not in svg  # the CSP forbids inline styles


def test_chart_days_are_local_days_in_the_admin_time_zone(app, admin_client, drive):
    # 23:30 in New York on Nov 20 is already Nov 21 in UTC.
    from donation_drive.ledger import DonorDetails, record_offline_donation

    record_offline_donation(
        drive,
        amount=4_200,
        method="cash",
        received_at=parse_datetime("2026-11-20T23:30:00", "received", tz="America/New_York"),
        entered_by="admin@example.org",
        donor=DonorDetails(name="Late Night"),
    )
    app.config["ADMIN_TIMEZONE"] = "America/New_York"
    assert "<title>Nov 20: $42.00</title>" in admin_client.get("/admin/").get_data(as_text=True)
    app.config["ADMIN_TIMEZONE"] = "UTC"
    assert "<title>Nov 21: $42.00</title>" in admin_client.get("/admin/").get_data(as_text=True)


def test_overview_lists_the_largest_and_the_latest_gifts(admin_client, drive):
    mixed_drive(drive)
    page = admin_client.get("/admin/").get_data(as_text=True)
    largest = page.split("<h2>Largest gifts</h2>", 1)[1].split("</section>", 1)[0]
    latest = page.split("<h2>Latest donations</h2>", 1)[1].split("</section>", 1)[0]

    assert largest.index("Katherine Johnson") < largest.index("Grace Hopper")
    assert "Typo Entry" not in largest  # voided
    assert latest.index("Donald Knuth") < latest.index("Barbara Liskov")  # newest first
    assert "Voided" in latest  # a void shows up among the latest changes


def test_overview_defaults_to_the_newest_drive_and_switches_on_request(admin_client, drive):
    offline(drive, 5_000)
    next_year = create_drive(
        slug="eoy-2027",
        title="2027 Drive",
        goal_amount=10_000_000,
        currency="USD",
        starts_at=parse_datetime("2027-11-15", "starts"),
        ends_at=parse_datetime("2027-12-31", "ends", end_of_day=True),
    )
    newest = admin_client.get("/admin/").get_data(as_text=True)
    assert "<h1>2027 Drive</h1>" in newest
    assert int(attribute_of(newest, "raised")) == 0

    older = admin_client.get(f"/admin/?drive={drive.slug}").get_data(as_text=True)
    assert f"<h1>{drive.title}</h1>" in older
    assert int(attribute_of(older, "raised")) == 5_000
    assert f'<option value="{next_year.slug}">' in older


def test_an_unknown_drive_is_a_404_with_a_message(admin_client, drive):
    response = admin_client.get("/admin/?drive=nope")
    assert response.status_code == 404
    assert "no drive called" in response.get_data(as_text=True)


def test_overview_without_drives_says_how_to_make_one(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert "No drives yet" in page
