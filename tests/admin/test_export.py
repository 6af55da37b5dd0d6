"""CSV export of the filtered list: spreadsheet-safe cells, decimal amounts, streamed."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import String, literal, select

from donation_drive.admin.donations.csv_lines import text_cell
from donation_drive.extensions import db
from donation_drive.ledger import drive_progress
from donation_drive.models import Donation

from .dashboard_data import mixed_drive, offline
from .export_oracle import all_donations, expected_csv, hostile_gifts

NEW_YORK = "America/New_York"


def export(admin_client, **args) -> list[dict[str, str]]:
    response = admin_client.get("/admin/donations.csv", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment; filename=")
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1 555 0100", "'+1 555 0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTAB", "'\tTAB"),
        ("\rCR", '"\'\rCR"'),
        ("Ada = Lovelace", "Ada = Lovelace"),
        ('say "hi", then go', '"say ""hi"", then go"'),
        ("two\nlines", '"two\nlines"'),
        ("25.00", "25.00"),
        ("", ""),
        (None, ""),
    ],
)
def test_cells_that_a_spreadsheet_would_run_are_neutralised(app, cell, written):
    # Written by the database, as the export writes every text cell.
    assert db.session.execute(select(text_cell(literal(cell, String)))).scalar_one() == written


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
    assert counted == drive_progress(drive.slug).raised_amount


@pytest.fixture
def app_overrides() -> dict[str, object]:
    return {"ADMIN_TIMEZONE": NEW_YORK}


def test_export_is_what_pythons_csv_writer_writes_byte_for_byte(admin_client, drive):
    hostile_gifts(drive)
    mixed_drive(drive)
    body = admin_client.get("/admin/donations.csv").get_data()
    newest_first = all_donations(drive, Donation.received_at.desc(), Donation.id.desc())
    assert body == expected_csv(newest_first, ZoneInfo(NEW_YORK))
    # Line breaks inside a cell survive as themselves, quoted; rows end in CRLF.
    assert b'"line one\nline two"' in body and b'"\'\rlegacy\r\nnote\twith tab"' in body
    assert '"\'=HYPERLINK(""http://evil.example"",""click"")"' in body.decode()
    assert ",2026-11-01,2026-11-02T04:30:00+00:00," in body.decode()
    assert ",2026-11-01,2026-11-01T05:30:00.250000+00:00," in body.decode()


def test_a_filtered_export_is_the_filtered_rows_written_the_same_way(admin_client, drive):
    hostile_gifts(drive)
    body = admin_client.get("/admin/donations.csv?method=check&sort=amount&dir=asc").get_data()
    checks = [d for d in all_donations(drive, Donation.amount, Donation.id) if d.method == "check"]
    assert len(checks) > 2
    assert body == expected_csv(checks, ZoneInfo(NEW_YORK))
    searched = admin_client.get("/admin/donations.csv?q=zo%C3%AB").get_data()
    (zoe,) = [d for d in all_donations(drive) if d.donor_name == "Zoë Ångström"]
    assert searched == expected_csv([zoe], ZoneInfo(NEW_YORK))


def test_export_with_bad_filters_is_a_400_not_a_broken_file(admin_client, drive):
    response = admin_client.get("/admin/donations.csv?to=yesterday")
    assert response.status_code == 400
    assert "is not a date" in response.get_data(as_text=True)


def test_an_export_abandoned_midway_leaves_the_connection_usable(admin_client, drive, monkeypatch):
    from donation_drive.admin.donations import exports

    monkeypatch.setattr(exports, "LINES_PER_CHUNK", 2)
    for i in range(7):
        offline(drive, 1_000 + i, name=f"Donor {i}")
    response = admin_client.get("/admin/donations.csv", buffered=False)
    chunks = iter(response.response)
    header, first = next(chunks), next(chunks)
    assert header.startswith(b"\xef\xbb\xbfreceipt,") and first.count(b"\r\n") == 2
    response.close()  # the reader went away after two rows

    rows = export(admin_client)
    assert len(rows) == 7
    assert drive_progress(drive.slug).raised_amount == sum(range(1_000, 1_007))
