"""CSV import of a generic sheet: the preview reports each bad row with its line
number and writes nothing; confirming records the good rows; importing the same rows
again records nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from donation_drive.admin.auth.accounts import create_admin
from donation_drive.extensions import db
from donation_drive.models import Donation, Status

from ..conftest import csrf_token_from
from .entry_support import (
    ADMIN_EMAIL,
    confirm_import,
    confirm_token,
    donations,
    events,
    post_form,
    raised,
    upload_csv,
)

SHEET = """date,amount,method,name,email,reference,note
2026-11-20,100.00,check,Ada Lovelace,ada@example.org,1042,
2026-11-21,abc,check,Bob Banks,bob@example.org,1043,
2026-11-22,25,cash,,,,"bake sale, table 2"
"""


def _row_errors(page: str) -> list[str]:
    return [re.sub(r"\s+", " ", m) for m in re.findall(r'data-testid="row-error">(.*?)</li>', page)]


def _count(page: str, name: str) -> int:
    match = re.search(rf'data-testid="{name}">(\d+)<', page)
    assert match, name
    return int(match.group(1))


def test_the_preview_reports_the_bad_row_by_line_number_and_records_nothing(admin_client, drive):
    response = upload_csv(admin_client, SHEET)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert _row_errors(page) == [
        "Line 3: amount: &#39;abc&#39; is not a number: write it like 1,234.56"
    ]
    assert (_count(page, "new-count"), _count(page, "error-count")) == (2, 1)
    assert "$125.00" in page  # what the good rows add up to
    assert donations() == []
    assert raised() == 0


def test_confirming_imports_the_good_rows(admin_client, drive):
    preview = upload_csv(admin_client, SHEET).get_data(as_text=True)
    response = confirm_import(admin_client, preview)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Imported 2 donations ($125.00)" in page
    assert "Line 3" in page  # the row left out is named again
    assert raised() == 12_500
    ada, cash = donations()
    assert (ada.amount, ada.method, ada.donor_email, ada.reference) == (
        10_000,
        "check",
        "ada@example.org",
        "1042",
    )
    assert (cash.amount, cash.method, cash.donor_name, cash.note) == (
        2_500,
        "cash",
        None,
        "bake sale, table 2",
    )
    assert {d.provider for d in (ada, cash)} == {"import"}
    assert all(e.actor == ADMIN_EMAIL for d in (ada, cash) for e in events(d.id))
    assert ada.received_at.date().isoformat() == "2026-11-20"


def test_importing_the_same_file_again_imports_nothing_and_says_so(admin_client, drive):
    confirm_import(admin_client, upload_csv(admin_client, SHEET).get_data(as_text=True))
    again = upload_csv(admin_client, SHEET).get_data(as_text=True)
    assert (_count(again, "new-count"), _count(again, "already-count")) == (0, 2)
    assert "Nothing new to import: 2 rows were imported before" in again
    assert 'name="token"' not in again
    assert len(donations()) == 2
    assert raised() == 12_500


def test_two_previews_of_one_file_confirmed_in_turn_import_once(admin_client, drive):
    first = upload_csv(admin_client, SHEET).get_data(as_text=True)
    second = upload_csv(admin_client, SHEET).get_data(as_text=True)
    confirm_import(admin_client, first)
    page = confirm_import(admin_client, second).get_data(as_text=True)
    assert "Imported 0 donations ($0.00)" in page
    assert "2 were already imported and were not counted again" in page
    assert len(donations()) == 2
    assert raised() == 12_500


def test_a_preview_is_confirmed_only_once(admin_client, drive):
    preview = upload_csv(admin_client, SHEET).get_data(as_text=True)
    confirm_import(admin_client, preview)
    response = confirm_import(admin_client, preview)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/import")
    assert len(donations()) == 2


def test_identical_rows_in_one_sheet_are_separate_gifts_and_still_import_once(admin_client, drive):
    sheet = "date,amount,method\n2026-11-22,20,cash\n2026-11-22,20,cash\n"
    confirm_import(admin_client, upload_csv(admin_client, sheet).get_data(as_text=True))
    assert raised() == 4_000
    again = upload_csv(admin_client, sheet).get_data(as_text=True)
    assert _count(again, "new-count") == 0
    assert raised() == 4_000


def test_line_numbers_count_lines_inside_quoted_cells(admin_client, drive):
    sheet = (
        "date,amount,method,note\n"
        '2026-11-20,10,cash,"first line\nsecond line"\n'
        "2026-11-21,-5,cash,\n"
    )
    page = upload_csv(admin_client, sheet).get_data(as_text=True)
    assert _row_errors(page) == ["Line 4: amount: the amount must be greater than zero"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2026-11-20,10,wire", "&#39;wire&#39; is not a method"),
        ("2026-11-20,10,card", "card payments come from Stripe"),
        ("2026-02-30,10,cash", "&#39;2026-02-30&#39; is not a date"),
        ("someday,10,cash", "is not a date"),
        ("2026-11-20,10.001,cash", "at most 2 decimal places"),
        ("2026-11-20,1e40,cash", "is not a number"),
        ("2026-11-20,99999999999,cash", "too large"),
        ("2026-11-20,,cash", "an amount is required"),
        ('2026-11-20,"12,50",cash', "write it like 1,234.56"),
    ],
)
def test_each_kind_of_bad_row_is_reported(admin_client, drive, row, problem):
    page = upload_csv(admin_client, f"date,amount,method\n{row}\n").get_data(as_text=True)
    [error] = _row_errors(page)
    assert error.startswith("Line 2: ")
    assert problem in error


def test_a_row_in_another_currency_than_the_drive_is_refused(admin_client, drive):
    sheet = "date,amount,method,currency\n2026-11-20,10,cash,EUR\n2026-11-20,12,cash,usd\n"
    page = upload_csv(admin_client, sheet).get_data(as_text=True)
    assert _row_errors(page) == [
        "Line 2: currency: EUR does not match the drive&#39;s currency, USD"
    ]
    confirm_import(admin_client, page)
    assert raised() == 1_200


def test_us_and_day_first_dates_are_read_and_shown(admin_client, drive):
    us = upload_csv(admin_client, "date,amount,method\n11/02/2026,10,cash\n")
    assert "read as month/day" in us.get_data(as_text=True)
    day_first = upload_csv(
        admin_client, "date,amount,method\n24/11/2026,10,cash\n02/11/2026,5,cash\n"
    )
    assert "read as day/month" in day_first.get_data(as_text=True)
    confirm_import(admin_client, day_first.get_data(as_text=True))
    assert sorted(d.received_at.date().isoformat() for d in donations()) == [
        "2026-11-02",
        "2026-11-24",
    ]


def test_a_transaction_id_column_keys_rows_by_provider(admin_client, drive):
    sheet = "date,amount,method,transaction id\n2026-11-20,30,paypal,9XY12345AB678901C\n"
    confirm_import(admin_client, upload_csv(admin_client, sheet).get_data(as_text=True))
    [donation] = donations()
    assert (donation.provider, donation.provider_ref) == ("paypal", "9XY12345AB678901C")


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("name,email\nAda,ada@example.org\n", "no column for: date, amount, method"),
        ("", "the file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a text file"),
    ],
)
def test_a_file_that_is_not_a_donation_sheet_is_refused(admin_client, drive, content, problem):
    response = upload_csv(admin_client, content)
    assert response.status_code == 400
    assert problem in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_is_refused(app, admin_client, drive):
    app.config["IMPORT_MAX_BYTES"] = 100
    response = upload_csv(admin_client, SHEET + "2026-11-23,10,cash,,,,\n" * 5)
    assert response.status_code == 400
    assert "the file is larger than" in response.get_data(as_text=True)


def test_an_upload_without_a_csrf_token_is_refused(admin_client, drive):
    response = admin_client.post(
        "/admin/import",
        data={"drive": "eoy", "format": "auto", "date_order": "auto"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400


def test_a_forged_confirmation_token_imports_nothing(admin_client, drive):
    upload_csv(admin_client, SHEET)
    for token in ("../../etc/passwd", "x" * 43, ""):
        response = post_form(admin_client, "/admin/import/confirm", {"token": token})
        assert response.status_code == 302
    assert donations() == []


def test_another_admin_cannot_confirm_my_preview(app, admin_client, drive):
    preview = upload_csv(admin_client, SHEET).get_data(as_text=True)
    create_admin("other@example.org", "another long password")
    # A fresh app context: the tests' shared one would hand the second client the
    # first one's cached CSRF token.
    with app.app_context():
        other = app.test_client()
        token = csrf_token_from(other.get("/admin/login").get_data(as_text=True))
        login = other.post(
            "/admin/login",
            data={
                "email": "other@example.org",
                "password": "another long password",
                "csrf_token": token,
            },
        )
        assert login.status_code == 302
        response = post_form(other, "/admin/import/confirm", {"token": confirm_token(preview)})
        assert response.status_code == 302
    assert donations() == []
    assert confirm_import(admin_client, preview).status_code == 200  # still mine to confirm
    assert len(donations()) == 2


def test_imported_rows_can_be_voided_like_any_offline_entry(admin_client, drive):
    confirm_import(admin_client, upload_csv(admin_client, SHEET).get_data(as_text=True))
    cash = db.session.scalar(select(Donation).where(Donation.method == "cash"))
    post_form(admin_client, f"/admin/donations/{cash.id}/void", {"void_reason": "duplicate"})
    assert raised() == 10_000
    assert donations()[1].status == Status.VOIDED


def test_a_request_body_over_the_servers_limit_is_refused_with_413(app, admin_client, drive):
    app.config["MAX_CONTENT_LENGTH"] = 2_000
    response = upload_csv(admin_client, SHEET + "2026-11-23,10,cash,,,,\n" * 200)
    assert response.status_code == 413
    assert donations() == []


def test_a_file_with_too_many_rows_is_refused_whole(app, admin_client, drive):
    app.config["IMPORT_MAX_ROWS"] = 2
    response = upload_csv(admin_client, SHEET)
    assert response.status_code == 400
    assert "the file has 3 rows; import at most 2 at once" in response.get_data(as_text=True)
