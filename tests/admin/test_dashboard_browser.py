"""The dashboard in Debian's Chromium: log in, read the overview against the widget,
see the chart drawn, filter the list and export it. Screenshots go to test-artifacts/."""

from __future__ import annotations

import csv

import pytest

from donation_drive.formatting import format_money

from .. import conftest
from .dashboard_data import mixed_drive, offline

pytestmark = pytest.mark.browser

# A month of gifts of varied sizes, so the chart has something to show.
EXTRA_GIFTS = [
    ("2026-11-15", 2_500, "check"),
    ("2026-11-15", 10_000, "paypal"),
    ("2026-11-16", 5_000, "cash"),
    ("2026-11-17", 25_000, "check"),
    ("2026-11-20", 7_500, "bitcoin"),
    ("2026-11-23", 50_000, "check"),
    ("2026-11-23", 2_000, "amazon_gift_card"),
    ("2026-11-25", 12_500, "paypal"),
    ("2026-11-26", 30_000, "other"),
    ("2026-11-26", 4_000, "cash"),
]


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"ADMIN_TIMEZONE": "America/New_York"}


@pytest.fixture
def busy_drive(drive):
    mixed_drive(drive)
    for i, (day, amount, method) in enumerate(EXTRA_GIFTS):
        offline(drive, amount, method, day, name=f"Reader {i + 1}")
    offline(drive, 3_000, "check", "2026-11-24", name='<script>alert("x")</script>')
    return drive


@pytest.fixture
def admin_page(page, live_server, admin_user, busy_drive):
    """A browser page logged in through the login form, on the overview of the busy
    drive; fails the test on any console error (a Content-Security-Policy violation
    shows up there)."""
    errors: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/admin/")
    assert "/admin/login" in page.url
    page.fill("#email", conftest.ADMIN_EMAIL)
    page.fill("#password", conftest.ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page
    assert errors == []


def test_overview_figures_match_the_widget_and_the_chart_is_drawn(
    admin_page, live_server, busy_drive
):
    page = admin_page
    widget = page.request.get(f"{live_server.url}/api/v1/drives/{busy_drive.slug}").json()

    raised = page.get_by_test_id("raised")
    assert int(raised.get_attribute("data-amount")) == widget["raised_amount"]
    assert raised.inner_text() == format_money(widget["raised_amount"], widget["currency"])
    assert int(page.get_by_test_id("donor-count").inner_text()) == widget["donor_count"]
    assert page.get_by_test_id("percent").inner_text() == f"{widget['percent']}%"

    chart = page.get_by_test_id("daily-chart")
    box = chart.bounding_box()
    assert box and box["width"] > 600 and box["height"] > 150
    points = page.get_by_test_id("cumulative-line").get_attribute("points").split()
    assert len(points) > 2
    ys = [float(p.split(",")[1]) for p in points]
    assert ys[-1] < ys[0]  # the line rose
    bars = chart.locator("g.bars rect")
    assert bars.count() >= 10
    assert bars.first.bounding_box()["height"] > 0
    # The method amounts add up to the raised figure, as the browser shows them.
    amounts = page.locator("table.by-method tbody td[data-amount]")
    total = sum(int(amounts.nth(i).get_attribute("data-amount")) for i in range(amounts.count()))
    assert total == widget["raised_amount"]
    # A donor's markup is shown as text, not run.
    assert page.get_by_text('<script>alert("x")</script>').count() >= 1

    conftest.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(conftest.ARTIFACTS / "admin-overview.png"), full_page=True)


def test_filter_the_list_and_export_what_is_shown(admin_page, live_server, busy_drive):
    page = admin_page
    page.get_by_role("link", name="Donations", exact=True).click()
    page.wait_for_url("**/admin/donations*")
    everything = page.locator("table.donations tbody tr[data-id]").count()

    page.select_option("#f-method", "check")
    page.fill("#f-min", "30")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**method=check**")
    rows = page.locator("table.donations tbody tr[data-id]")
    shown = [rows.nth(i).get_attribute("data-id") for i in range(rows.count())]
    assert 0 < len(shown) < everything
    for i in range(rows.count()):
        assert rows.nth(i).locator("td").nth(2).inner_text() == "Check"
        assert int(rows.nth(i).get_attribute("data-amount")) >= 3_000

    conftest.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(conftest.ARTIFACTS / "admin-donations.png"), full_page=True)

    with page.expect_download() as download_info:
        page.get_by_test_id("export").click()
    download = download_info.value
    assert download.suggested_filename.startswith(f"donations-{busy_drive.slug}-")
    with open(download.path(), encoding="utf-8-sig") as file:
        exported = list(csv.DictReader(file))
    assert [row["id"] for row in exported] == shown
    assert all(row["method"] == "check" for row in exported)


def test_a_donation_page_shows_its_history(admin_page, live_server, busy_drive):
    page = admin_page
    page.goto(f"{live_server.url}/admin/donations?q=Ada")
    page.locator("table.donations tbody tr[data-id] a").first.click()
    page.wait_for_url("**/admin/donations/*")
    assert page.get_by_test_id("donor-name").inner_text() == "Ada Lovelace"
    assert page.get_by_test_id("counted").inner_text() == "$75.00"
    history = page.get_by_test_id("history")
    assert history.locator("tbody tr").count() == 2  # recorded, then refunded
    assert "refunded" in history.inner_text()
    conftest.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(conftest.ARTIFACTS / "admin-donation-detail.png"), full_page=True)
