"""In Chromium (Playwright, Debian's /usr/bin/chromium) against the live server: log
in, record a $100 check and watch the total change, void it with a reason, and import
a CSV with one bad row and see that row reported."""

from __future__ import annotations

import pytest

from ..conftest import ADMIN_EMAIL, ADMIN_PASSWORD, ARTIFACTS

pytestmark = pytest.mark.browser


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/admin/login")
    page.fill("#email", ADMIN_EMAIL)
    page.fill("#password", ADMIN_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def _raised(page, base: str) -> int:
    """The widget's JSON figure, fetched by the browser."""
    return page.request.get(f"{base}/api/v1/drives/eoy").json()["raised_amount"]


def test_record_a_check_watch_the_total_and_void_it(page, live_server, admin_user, drive):
    base = live_server.url
    _log_in(page, base)
    assert page.get_by_test_id("raised").inner_text() == "$0.00"

    page.get_by_role("link", name="Record donation").click()
    page.select_option("#method", "check")
    page.fill("#amount", "100")
    page.fill("#donor_name", "Ada Lovelace")
    page.fill("#reference", "1042")
    page.get_by_role("button", name="Record donation").click()
    page.get_by_text("has now raised $100.00").wait_for()
    assert _raised(page, base) == 10_000
    page.goto(f"{base}/admin/")
    assert page.get_by_test_id("raised").inner_text() == "$100.00"

    page.go_back()
    page.get_by_label("Reason (required)").first.fill("entered twice")
    page.get_by_role("button", name="Void").click()
    page.get_by_text("it no longer counts toward the drive").wait_for()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-voided-donation.png"), full_page=True)
    assert _raised(page, base) == 0
    page.goto(f"{base}/admin/")
    assert page.get_by_test_id("raised").inner_text() == "$0.00"


def test_a_bad_amount_is_shown_next_to_the_field(page, live_server, admin_user, drive):
    base = live_server.url
    _log_in(page, base)
    page.goto(f"{base}/admin/donations/new")
    page.fill("#amount", "-100")
    page.get_by_role("button", name="Record donation").click()
    error = page.get_by_test_id("error-amount")
    assert "greater than zero" in error.inner_text()
    assert page.get_attribute("#amount", "aria-invalid") == "true"
    assert _raised(page, base) == 0


def test_import_a_csv_with_one_bad_row(page, live_server, admin_user, drive):
    base = live_server.url
    _log_in(page, base)
    page.get_by_role("link", name="Import").click()
    sheet = (
        "date,amount,method,name,email,reference,note\n"
        "2026-11-20,100.00,check,Ada Lovelace,ada@example.org,1042,\n"
        "2026-11-21,abc,check,Bob Banks,bob@example.org,1043,\n"
        "2026-11-22,25,cash,,,,bake sale\n"
    )
    page.set_input_files(
        "#file", files=[{"name": "gifts.csv", "mimeType": "text/csv", "buffer": sheet.encode()}]
    )
    page.get_by_role("button", name="Preview").click()
    errors = page.get_by_test_id("row-error")
    assert errors.all_inner_texts() == [
        "Line 3: amount: 'abc' is not a number: write it like 1,234.56"
    ]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-import-preview.png"), full_page=True)
    assert _raised(page, base) == 0

    page.get_by_role("button", name="Import 2 donations").click()
    page.get_by_test_id("import-outcome").wait_for()
    assert "Imported 2 donations ($125.00)" in page.get_by_test_id("import-outcome").inner_text()
    assert _raised(page, base) == 12_500


def test_the_drive_page_previews_the_widget(page, live_server, admin_user, drive):
    base = live_server.url
    _log_in(page, base)
    page.goto(f"{base}/admin/drives/eoy/edit")
    frame = page.frame_locator("iframe.widget-preview")
    assert frame.get_by_test_id("raised").inner_text() == "$0"
    page.get_by_test_id("widget-page-link").click()
    assert "/widget/eoy" in page.input_value("#snippet-iframe")
