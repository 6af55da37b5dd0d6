"""Drive settings: edit title, goal, dates and description; create next year's drive
from this year's; the embed snippets and the live preview."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from donation_drive.ledger import drive_progress, get_drive, list_drives

from .entry_support import post_form, record_check

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture
def app_overrides():
    return {"ADMIN_TIMEZONE": "America/New_York", "PUBLIC_BASE_URL": "https://donate.example.org"}


def _edit_form(**overrides: str) -> dict[str, str]:
    return {
        "title": "End of the Year Donation Drive",
        "goal": "75000.00",
        "starts_at": "2026-11-15T00:00",
        "ends_at": "2026-12-31T23:59",
        "timezone": "America/New_York",
        "description": "Keep the blog independent.",
        **overrides,
    }


def _value(page: str, name: str) -> str:
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    assert match, name
    return match.group(1)


def test_the_drives_page_lists_each_drive_with_its_figures(admin_client, drive):
    record_check(drive, amount=250_000)
    page = admin_client.get("/admin/drives").get_data(as_text=True)
    assert "End of the Year Donation Drive" in page
    assert "$75,000.00" in page and "$2,500.00" in page
    assert "/admin/drives/eoy/edit" in page


def test_the_edit_form_shows_the_dates_in_the_admin_time_zone(admin_client, drive):
    page = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert _value(page, "starts_at") == "2026-11-15T00:00"
    assert _value(page, "ends_at") == "2026-12-31T23:59"
    assert _value(page, "goal") == "75000.00"


def test_saving_the_form_unchanged_changes_nothing(admin_client, drive):
    before = (drive.starts_at, drive.ends_at)
    response = post_form(admin_client, "/admin/drives/eoy/edit", _edit_form())
    assert response.status_code == 302
    saved = get_drive("eoy")
    assert (saved.starts_at, saved.ends_at) == before  # to the microsecond


def test_editing_the_title_goal_dates_and_description(admin_client, client, drive):
    response = post_form(
        admin_client,
        "/admin/drives/eoy/edit",
        _edit_form(
            title="Year-End Drive",
            goal="80,000",
            ends_at="2027-01-05T18:00",
            description="Two more days!",
        ),
    )
    assert response.status_code == 302
    saved = get_drive("eoy")
    assert (saved.title, saved.goal_amount, saved.description) == (
        "Year-End Drive",
        8_000_000,
        "Two more days!",
    )
    assert saved.ends_at.astimezone(NEW_YORK).replace(second=0, microsecond=0) == datetime(
        2027, 1, 5, 18, 0, tzinfo=NEW_YORK
    )
    widget = client.get("/api/v1/drives/eoy").get_json()
    assert (widget["title"], widget["goal_amount"]) == ("Year-End Drive", 8_000_000)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("goal", "0", "greater than zero"),
        ("goal", "lots", "is not a number"),
        ("title", "   ", "this field is required"),
        ("ends_at", "2026-11-01T00:00", "must end after it starts"),
        ("starts_at", "someday", "is not a date"),
        ("timezone", "Mars/Olympus", "unknown time zone"),
    ],
)
def test_bad_settings_are_refused_next_to_the_field(admin_client, drive, field, value, message):
    response = post_form(admin_client, "/admin/drives/eoy/edit", _edit_form(**{field: value}))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    match = re.search(rf'data-testid="error-{field}"[^>]*>(.*?)</div>', page, re.S)
    assert match and message in match.group(1)
    assert get_drive("eoy").goal_amount == 7_500_000


def test_next_years_drive_is_prefilled_a_year_on(admin_client, drive):
    page = admin_client.get("/admin/drives/new?from=eoy").get_data(as_text=True)
    assert _value(page, "slug") == "eoy-2027"
    assert _value(page, "title") == "End of the Year Donation Drive 2027"
    assert _value(page, "starts_at") == "2027-11-15T00:00"
    assert _value(page, "ends_at") == "2027-12-31T23:59"
    assert (_value(page, "goal"), _value(page, "currency")) == ("75000.00", "USD")


def test_creating_next_years_drive(admin_client, drive):
    record_check(drive)
    form = {
        "title": "End of the Year Donation Drive 2027",
        "slug": "eoy-2027",
        "goal": "90000",
        "currency": "USD",
        "locale": "en_US",
        "starts_at": "2027-11-15T00:00",
        "ends_at": "2027-12-31T23:59",
        "timezone": "America/New_York",
        "description": "Keep the blog independent.",
    }
    response = post_form(admin_client, "/admin/drives/new?from=eoy", form)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/drives/eoy-2027/edit")
    progress = drive_progress("eoy-2027")
    assert (progress.goal_amount, progress.raised_amount) == (9_000_000, 0)
    assert drive_progress("eoy").raised_amount == 10_000
    ends = get_drive("eoy-2027").ends_at.astimezone(NEW_YORK)
    assert (ends.date().isoformat(), ends.hour, ends.minute, ends.second) == (
        "2027-12-31",
        23,
        59,
        59,
    )


def test_a_year_in_the_slug_and_title_moves_on(admin_client, drive):
    post_form(
        admin_client,
        "/admin/drives/new",
        {
            "title": "Spring 2026 appeal",
            "slug": "spring-2026",
            "goal": "5000",
            "currency": "EUR",
            "locale": "de_DE",
            "starts_at": "2026-03-01T00:00",
            "ends_at": "2026-04-30T23:59",
            "timezone": "Europe/Berlin",
        },
    )
    page = admin_client.get("/admin/drives/new?from=spring-2026").get_data(as_text=True)
    assert (_value(page, "slug"), _value(page, "title")) == ("spring-2027", "Spring 2027 appeal")
    assert (_value(page, "currency"), _value(page, "locale")) == ("EUR", "de_DE")


def test_a_taken_slug_is_refused(admin_client, drive):
    form = {
        "title": "Again",
        "slug": "eoy",
        "goal": "100",
        "currency": "USD",
        "starts_at": "2027-01-01T00:00",
        "ends_at": "2027-02-01T00:00",
        "timezone": "UTC",
    }
    response = post_form(admin_client, "/admin/drives/new", form)
    assert response.status_code == 400
    assert "already exists" in response.get_data(as_text=True)
    assert len(list_drives()) == 1


def test_embed_snippets_match_the_readme(admin_client, drive):
    settings = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert 'href="/admin/drives/eoy/widget" data-testid="widget-page-link"' in settings
    page = admin_client.get("/admin/drives/eoy/widget").get_data(as_text=True)
    assert (
        "&lt;iframe src=&#34;https://donate.example.org/widget/eoy&#34; "
        "title=&#34;Donation drive progress&#34;" in page
    )
    assert (
        "&lt;script src=&#34;https://donate.example.org/widget/embed.js&#34; "
        "data-drive=&#34;eoy&#34; async&gt;&lt;/script&gt;" in page
    )
    assert "https://donate.example.org/widget/eoy.svg" in page
    assert "https://donate.example.org/donate/eoy" in page


def test_the_live_preview_frames_the_widget(admin_client, drive):
    response = admin_client.get("/admin/drives/eoy/edit")
    page = response.get_data(as_text=True)
    assert '<iframe class="widget-preview" src="/widget/eoy"' in page
    assert "frame-src 'self'" in response.headers["Content-Security-Policy"]
    assert " style=" not in page.split("<main>", 1)[1].replace("style=&#34;", "")


def test_an_unknown_drive_is_a_404(admin_client, drive):
    assert admin_client.get("/admin/drives/nope/edit").status_code == 404
    assert admin_client.get("/admin/drives/new?from=nope").status_code == 404


def test_drive_forms_need_a_csrf_token(admin_client, drive):
    response = admin_client.post("/admin/drives/eoy/edit", data=_edit_form(title="Hacked"))
    assert response.status_code == 400
    assert get_drive("eoy").title == "End of the Year Donation Drive"


def _ticked(page: str) -> bool:
    box = re.search(r'<input[^>]*name="accept_gifts_after_end"[^>]*>', page)
    assert box, "no accept_gifts_after_end checkbox"
    return " checked" in box.group(0)


def test_the_settings_page_states_the_rule_and_keeps_an_ended_drive_open_on_request(
    admin_client, client, drive
):
    page = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    rule = page.split('data-testid="gift-rule"', 1)[1].split("</ul>", 1)[0]
    assert "Before the start, the checkout says when the drive starts" in rule
    assert "links to the drive running then" in rule
    assert "Only the checkout refuses." in rule
    assert _ticked(page) is False

    # Dates that have passed (in the admin time zone, as the form has them): ended.
    ended = _edit_form(starts_at="2025-11-15T00:00", ends_at="2025-12-31T23:59")
    assert post_form(admin_client, "/admin/drives/eoy/edit", ended).status_code == 302
    assert get_drive("eoy").accept_gifts_after_end is False
    assert "no longer takes gifts" in client.get("/donate/eoy").get_data(as_text=True)
    page = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert "Now: Ended; the checkout does not take gifts." in page

    kept_open = {**ended, "accept_gifts_after_end": "y"}
    assert post_form(admin_client, "/admin/drives/eoy/edit", kept_open).status_code == 302

    assert get_drive("eoy").accept_gifts_after_end is True
    assert 'id="checkout-form"' in client.get("/donate/eoy").get_data(as_text=True)
    page = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert "Now: Ended; the checkout takes gifts." in page
    assert _ticked(page) is True
