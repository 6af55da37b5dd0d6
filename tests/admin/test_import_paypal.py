"""Importing a PayPal activity export: only completed payments received are recorded,
each keyed by its Transaction ID, so a second import (or an overlapping export) adds
nothing."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from donation_drive.ledger import record_provider_payment, update_drive
from donation_drive.models import utcnow

from .entry_support import confirm_import, donations, raised, upload_csv

HEADER = (
    '"Date","Time","TimeZone","Name","Type","Status","Currency","Gross","Fee","Net",'
    '"From Email Address","To Email Address","Transaction ID","Reference Txn ID",'
    '"Balance Impact","Note"'
)


def _row(date, time, zone, name, kind, status, currency, gross, email, txn, impact, note=""):
    return (
        f'"{date}","{time}","{zone}","{name}","{kind}","{status}","{currency}","{gross}",'
        f'"0.00","{gross}","{email}","blog@example.org","{txn}","","{impact}","{note}"'
    )


EXPORT = "\n".join(
    [
        HEADER,
        _row("11/20/2026", "10:15:00", "PST", "Ada Lovelace", "Donation Payment", "Completed",
             "USD", "100.00", "ada@example.org", "1AB23456CD789012E", "Credit", "Keep going!"),
        _row("11/21/2026", "11:00:00", "PST", "Bob Pending", "Donation Payment", "Pending",
             "USD", "50.00", "bob@example.org", "2BC34567DE890123F", "Credit"),
        _row("11/21/2026", "12:00:00", "PST", "Ada Lovelace", "Payment Refund", "Completed",
             "USD", "-10.00", "ada@example.org", "3CD45678EF901234G", "Debit"),
        _row("11/22/2026", "09:00:00", "PST", "Carol Euro", "Website Payment", "Completed",
             "EUR", "20.00", "carol@example.org", "4DE56789FG012345H", "Credit"),
        _row("11/22/2026", "09:30:00", "PST", "", "General Withdrawal", "Completed",
             "USD", "-500.00", "", "5EF67890GH123456I", "Debit"),
        _row("11/23/2026", "13:45:00", "PDT", "Dan Donor", "Express Checkout Payment",
             "Completed", "USD", "1,250.00", "dan@example.org", "6FG78901HI234567J", "Credit"),
    ]
)  # fmt: skip


def _count(page: str, name: str) -> int:
    match = re.search(rf'data-testid="{name}">(\d+)<', page)
    assert match, name
    return int(match.group(1))


def test_the_preview_keeps_completed_payments_received_and_skips_the_rest(admin_client, drive):
    page = upload_csv(admin_client, "\ufeff" + EXPORT, "Download.CSV").get_data(as_text=True)
    assert "PayPal activity export" in page
    assert (_count(page, "new-count"), _count(page, "error-count")) == (2, 1)
    assert "$1,350.00" in page
    assert "Line 5: Currency: EUR does not match the drive&#39;s currency, USD" in page
    assert "Pending, not completed" in page
    assert "money sent, not received (Payment Refund)" in page
    assert donations() == []


def test_paypal_rows_are_recorded_under_their_transaction_ids(admin_client, drive):
    preview = upload_csv(admin_client, EXPORT).get_data(as_text=True)
    confirm_import(admin_client, preview)
    ada, dan = donations()
    assert (ada.provider, ada.provider_ref, ada.method) == ("paypal", "1AB23456CD789012E", "paypal")
    assert (ada.amount, ada.donor_email, ada.message) == (10_000, "ada@example.org", "Keep going!")
    # 10:15 Pacific Standard Time is 18:15 UTC.
    assert ada.received_at == datetime(2026, 11, 20, 18, 15, tzinfo=UTC)
    assert (dan.amount, dan.provider_ref) == (125_000, "6FG78901HI234567J")
    assert dan.received_at == datetime(2026, 11, 23, 20, 45, tzinfo=UTC)  # PDT is UTC-7
    assert raised() == 135_000


def test_importing_the_export_twice_counts_each_payment_once(admin_client, drive):
    confirm_import(admin_client, upload_csv(admin_client, EXPORT).get_data(as_text=True))
    again = upload_csv(admin_client, EXPORT).get_data(as_text=True)
    assert (_count(again, "new-count"), _count(again, "already-count")) == (0, 2)
    assert len(donations()) == 2
    assert raised() == 135_000


def test_an_overlapping_export_adds_only_the_new_payments(admin_client, drive):
    confirm_import(admin_client, upload_csv(admin_client, EXPORT).get_data(as_text=True))
    later = "\n".join(
        [
            EXPORT,
            _row("11/24/2026", "08:00:00", "PST", "Eve Late", "Donation Payment", "Completed",
                 "USD", "40.00", "eve@example.org", "7GH89012IJ345678K", "Credit"),
        ]
    )  # fmt: skip
    page = confirm_import(
        admin_client, upload_csv(admin_client, later).get_data(as_text=True)
    ).get_data(as_text=True)
    assert "Imported 1 donation ($40.00)" in page
    assert raised() == 139_000


def test_a_transaction_twice_in_one_file_is_one_payment(admin_client, drive):
    doubled = "\n".join([EXPORT, EXPORT.split("\n")[1]])
    page = upload_csv(admin_client, doubled).get_data(as_text=True)
    assert "the same payment as line 2" in page
    confirm_import(admin_client, page)
    assert raised() == 135_000


def test_a_payment_already_recorded_by_another_path_is_not_imported_again(admin_client, drive):
    record_provider_payment(
        provider="paypal",
        provider_ref="1AB23456CD789012E",
        drive=drive,
        amount=10_000,
        currency="USD",
        received_at=utcnow(),
        actor="reconcile",
        method="paypal",
    )
    page = upload_csv(admin_client, EXPORT).get_data(as_text=True)
    assert _count(page, "already-count") == 1
    confirm_import(admin_client, page)
    assert raised() == 135_000


GERMAN_EXPORT = "\n".join(
    [
        HEADER,
        _row("24.11.2026", "18:05:00", "CET", "Jörg Müller", "Spendenzahlung", "Completed",
             "USD", "1.234,50", "joerg@example.org", "8HI90123JK456789L", "Credit"),
    ]
)  # fmt: skip


def test_decimal_commas_on_a_drive_that_writes_decimal_points_are_refused(admin_client, drive):
    page = upload_csv(admin_client, GERMAN_EXPORT).get_data(as_text=True)
    assert "Line 2: Gross: &#39;1.234,50&#39; is not an amount" in page
    assert "write it like 1,234.56" in page
    assert donations() == []


def test_day_first_paypal_dates_and_decimal_commas(admin_client, drive):
    update_drive(drive, locale="de_DE")
    confirm_import(admin_client, upload_csv(admin_client, GERMAN_EXPORT).get_data(as_text=True))
    [donation] = donations()
    assert donation.amount == 123_450
    assert donation.received_at == datetime(2026, 11, 24, 17, 5, tzinfo=UTC)
    assert donation.donor_name == "Jörg Müller"


def test_a_windows_1252_export_is_read(admin_client, drive):
    export = "\r\n".join(
        [
            HEADER,
            _row("11/20/2026", "10:15:00", "PST", "Zoë Café", "Donation Payment", "Completed",
                 "USD", "15.00", "zoe@example.org", "9IJ01234KL567890M", "Credit"),
        ]
    ).encode("cp1252")  # fmt: skip
    confirm_import(admin_client, upload_csv(admin_client, export).get_data(as_text=True))
    assert [d.donor_name for d in donations()] == ["Zoë Café"]
