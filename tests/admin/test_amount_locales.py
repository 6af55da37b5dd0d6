"""Admin entry points read amounts in the drive's locale with the one parser: the
offline entry form, the CSV import and the list's amount filters agree with the table
of tests/amount_cases.py (minor units recorded, or the amount field refused)."""

from __future__ import annotations

import csv
import io
import re

import pytest

from ..amount_cases import DRIVES, AmountCase, case_params, create_table_drives
from .entry_support import check_entry, donations, post_form, upload_csv


@pytest.fixture
def table_drives(app):
    create_table_drives()


def _one_row_sheet(amount: str) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["date", "amount", "method", "name"])
    writer.writerow(["2026-11-20", amount, "check", "Ada Lovelace"])
    return buffer.getvalue()


@pytest.mark.parametrize("case", case_params())
def test_the_entry_form_reads_the_table(admin_client, table_drives, case: AmountCase):
    slug = DRIVES[(case.locale, case.currency)]
    response = post_form(
        admin_client, "/admin/donations/new", check_entry(drive=slug, amount=case.text)
    )
    if case.minor is None:
        assert response.status_code == 400
        assert re.search(r'data-testid="error-amount"', response.get_data(as_text=True))
        assert donations() == []
    else:
        assert response.status_code == 302, response.get_data(as_text=True)
        [donation] = donations()
        assert (donation.amount, donation.currency) == (case.minor, case.currency)


@pytest.mark.parametrize("case", case_params())
def test_the_csv_import_reads_the_table(admin_client, table_drives, case: AmountCase):
    slug = DRIVES[(case.locale, case.currency)]
    page = upload_csv(admin_client, _one_row_sheet(case.text), drive=slug).get_data(as_text=True)
    errors = re.findall(r'data-testid="row-error">(.*?)</li>', page, re.S)
    if case.minor is None:
        assert len(errors) == 1
        assert "Line 2: amount:" in errors[0]
    else:
        assert errors == []
        confirm = re.search(r'name="token"[^>]*value="([^"]+)"', page)
        assert confirm, page
        post_form(admin_client, "/admin/import/confirm", {"token": confirm.group(1)})
        [donation] = donations()
        assert donation.amount == case.minor


def test_an_export_reads_back_through_the_import_in_the_drives_locale(admin_client, table_drives):
    post_form(admin_client, "/admin/donations/new", check_entry(drive="de-eur", amount="1.234,56"))
    export = admin_client.get("/admin/donations.csv?drive=de-eur").get_data(as_text=True)
    assert ',"1234,56",' in export
    rows = list(csv.DictReader(io.StringIO(export.lstrip("\ufeff"))))
    assert [row["amount"] for row in rows] == ["1234,56"]


def test_the_amount_filters_are_read_in_the_drives_locale(admin_client, table_drives):
    post_form(admin_client, "/admin/donations/new", check_entry(drive="de-eur", amount="1.234,56"))
    found = admin_client.get("/admin/donations?drive=de-eur&min=1.000,00")
    assert found.status_code == 200
    assert "1.234,56" in found.get_data(as_text=True)
    refused = admin_client.get("/admin/donations?drive=de-eur&min=1,000.00")
    assert refused.status_code == 400
    assert "write it like 1.234,56" in refused.get_data(as_text=True)
