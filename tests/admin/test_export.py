"""CSV export of the filtered list: spreadsheet-safe cells, decimal amounts, streamed."""

from __future__ import annotations

import csv
import io
from datetime import UTC

import pytest

from donation_drive.admin.donations.exports import spreadsheet_safe
from donation_drive.admin.donations.query import iter_matching, parse_filters
from donation_drive.ledger import drive_progress
from donation_drive.models import Donation

from .dashboard_data import mixed_drive, offline


def export(admin_client, **args) -> list[dict[str, str]]:
    response = admin_client.get("/admin/donations.csv", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("cell", "safe"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", "'\rCR"),
        ("Ada = Lovelace", "Ada = Lovelace"),
        ("25.00", "25.00"),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(cell, safe):
    assert spreadsheet_safe(cell) == safe


def test_an_exported_formula_is_text_not_a_formula(admin_client, drive):
    offline(
        drive,
        5_000,
        name='=HYPERLINK("http://evil.example","click")',
        reference="+15550100",
        message="@SUM(A1:A9)",
        note="-1+1",
    )
    (row,) = export(admin_client)
    assert row["donor_name"] == '\'=HYPERLINK("http://evil.example","click")'
    assert row["reference"] == "'+15550100"
    assert row["message"] == "'@SUM(A1:A9)"
    assert row["note"] == "'-1+1"


def test_amounts_are_decimal_strings_in_major_units(admin_client, drive):
    s = mixed_drive(drive).donations
    rows = {int(r["id"]): r for r in export(admin_client)}
    refunded = rows[s["refunded"].id]
    assert (refunded["amount"], refunded["refunded"], refunded["counted"]) == (
        "100.00",
        "25.00",
        "75.00",
    )
    assert rows[s["cash"].id]["amount"] == "25.60"
    assert rows[s["voided"].id]["counted"] == "0.00"
    assert rows[s["disputed"].id]["disputed"] == "50.00"
    assert rows[s["check"].id]["receipt"] == s["check"].receipt_number


def test_export_has_exactly_the_filtered_list_in_its_order(admin_client, drive):
    s = mixed_drive(drive).donations
    rows = export(admin_client, method="check", sort="amount", dir="desc")
    assert [int(r["id"]) for r in rows] == [s["check"].id, s["voided"].id]
    everything = export(admin_client)
    assert len(everything) == len(s)
    counted = sum(int(r["counted"].replace(".", "")) for r in everything)
    assert counted == drive_progress(drive.slug, fresh=True).raised_amount


def test_export_reads_in_batches_without_losing_or_repeating_rows(app, drive):
    for i in range(11):
        offline(drive, 1_000 + (i % 2), day=f"2026-11-{16 + i % 3}")
    for sort in ("date", "amount", "name"):
        filters = parse_filters({"sort": sort}, drive, UTC)
        ids = [row.row_id for row in iter_matching(filters, [Donation.id], batch_size=3)]
        assert len(ids) == len(set(ids)) == 11, sort


def test_export_with_bad_filters_is_a_400_not_a_broken_file(admin_client, drive):
    response = admin_client.get("/admin/donations.csv?to=yesterday")
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)
