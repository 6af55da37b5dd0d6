"""Year-end giving statements against the aiosmtpd server: one email per donor with
giving in the year, whose PDF (read back with pypdf) lists their gifts and the net
total; a second run sends nothing; --dry-run sends nothing and lists who would get
one; --resend sends a copy. The PDF is rendered to PNG (pdftoppm) in test-artifacts/."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_refund,
    record_offline_donation,
    record_provider_payment,
)
from donation_drive.models import Donation, OutboxEmail

from ..conftest import ARTIFACTS
from .factories import ORG_NAME, TAX_STATEMENT


def check(drive, amount, email, when, name=None):
    return record_offline_donation(
        drive,
        amount=amount,
        method="check",
        received_at=when,
        entered_by="admin",
        donor=DonorDetails(name=name, email=email),
        send_receipt=False,
    ).id


def card(drive, ref, amount, email, when):
    return record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=ref,
            drive=drive,
            amount=amount,
            currency="USD",
            received_at=when,
            donor=DonorDetails(email=email),
            send_receipt=False,
        ),
        actor="webhook",
    ).donation_id


@pytest.fixture
def year_of_gifts(drive):
    ada = [
        check(
            drive, 10_000, "ada@example.org", datetime(2026, 3, 1, 15, tzinfo=UTC), "Ada Lovelace"
        ),
        # 23:30 on 31 December in New York (the organisation's zone) is 2026 there.
        card(drive, "pi_late", 5_000, "ADA@example.org", datetime(2027, 1, 1, 4, 30, tzinfo=UTC)),
        card(drive, "pi_part", 4_000, "ada@example.org", datetime(2026, 6, 1, tzinfo=UTC)),
    ]
    apply_provider_refund("stripe", "pi_part", refunded_total=1_500, actor="webhook")
    gone = card(drive, "pi_gone", 9_900, "ada@example.org", datetime(2026, 7, 1, tzinfo=UTC))
    apply_provider_refund("stripe", "pi_gone", refunded_total=9_900, actor="webhook")
    check(drive, 3_000, "ada@example.org", datetime(2025, 12, 31, 12, tzinfo=UTC))  # 2025
    grace = [check(drive, 7_000, "grace@example.org", datetime(2026, 11, 1, tzinfo=UTC), "Grace")]
    check(drive, 1_000, None, datetime(2026, 5, 1, tzinfo=UTC), "No Email")
    check(drive, 2_000, "bob@example.org", datetime(2025, 5, 1, tzinfo=UTC))  # 2025 only
    from donation_drive.ledger.donors import find_donor, update_donor_contact

    update_donor_contact(
        find_donor("ada@example.org").id,
        actor="admin",
        name="Ada Lovelace",
        address="1 Analytical Row\nLondon",
    )
    return {"ada": ada, "gone": gone, "grace": grace}


def statement_messages(smtp):
    return [m for m in smtp.messages if "giving statement" in str(m["Subject"])]


def pdf_of(message) -> bytes:
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    return attachment.get_content()


def receipt(donation_id: int) -> str:
    return db.session.get(Donation, donation_id).receipt_number


def test_dry_run_lists_who_would_get_one_and_sends_nothing(runner, smtp, year_of_gifts):
    result = runner.invoke(args=["statements", "send", "--year", "2026", "--dry-run"])

    assert result.exit_code == 0, result.output
    assert "would send ada@example.org: 3 gifts, $175.00" in result.output
    assert "would send grace@example.org: 1 gifts, $70.00" in result.output
    assert "skip donor" in result.output and "no email address" in result.output
    assert "bob@example.org" not in result.output
    assert "2 statements for calendar year 2026 would be sent" in result.output
    assert smtp.messages == []
    assert db.session.scalar(select(OutboxEmail).where(OutboxEmail.kind == "statement")) is None


def test_each_donor_gets_one_statement_listing_their_gifts_net_of_refunds(
    runner, smtp, year_of_gifts
):
    result = runner.invoke(args=["statements", "send", "--year", "2026"])

    assert result.exit_code == 0, result.output
    assert "Queued 2 statements" in result.output
    messages = statement_messages(smtp)
    assert sorted(m["To"].addresses[0].addr_spec for m in messages) == [
        "ada@example.org",
        "grace@example.org",
    ]
    ada = next(m for m in messages if m["To"].addresses[0].addr_spec == "ada@example.org")
    assert str(ada["Subject"]) == f"Your 2026 giving statement from {ORG_NAME}"
    pdf = pdf_of(ada)
    # Words as read back, one space between them (a table cell may wrap).
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    for donation_id in year_of_gifts["ada"]:
        assert receipt(donation_id) in text
    assert receipt(year_of_gifts["gone"]) not in text  # wholly refunded: nothing given
    assert "Total given in 2026: $175.00" in text
    assert "$15.00" in text and "$25.00" in text  # the partial refund, and what is left
    assert "Dec 31, 2026" in text  # dated in the organisation's zone
    assert "Ada Lovelace" in text and "Card" in text and "Check" in text
    assert "1 Analytical Row London" in text  # the donor's address, from the donor page
    assert ORG_NAME in text and TAX_STATEMENT in text and "12 Harbour Street" in text
    grace_text = PdfReader(
        io.BytesIO(pdf_of(messages[0] if messages[0] is not ada else messages[1]))
    )
    assert "Total given in 2026: $70.00" in grace_text.pages[0].extract_text()

    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "statement-2026.pdf"
    path.write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        pytest.fail("pdftoppm is missing: scripts/install-system-deps installs poppler-utils")
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-singlefile",
            str(path),
            str(ARTIFACTS / "statement-2026"),
        ],
        check=True,
        timeout=60,
    )
    png = ARTIFACTS / "statement-2026.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    again = runner.invoke(args=["statements", "send", "--year", "2026"])

    assert again.exit_code == 0, again.output
    assert "Queued 0 statements" in again.output
    assert "already sent for this period" in again.output
    assert len(statement_messages(smtp)) == 2


def test_resend_to_one_donor_sends_a_copy(runner, smtp, year_of_gifts):
    assert runner.invoke(args=["statements", "send", "--year", "2026"]).exit_code == 0

    result = runner.invoke(
        args=["statements", "send", "--year", "2026", "--donor", " Ada@Example.org", "--resend"]
    )

    assert result.exit_code == 0, result.output
    messages = statement_messages(smtp)
    assert len(messages) == 3
    assert str(messages[-1]["Subject"]).startswith("Copy: ")
    assert messages[-1]["To"].addresses[0].addr_spec == "ada@example.org"
    assert pdf_of(messages[-1])[:5] == b"%PDF-"


def test_a_donor_with_no_giving_that_year_is_a_clear_error(runner, smtp, year_of_gifts):
    result = runner.invoke(
        args=["statements", "send", "--year", "2026", "--donor", "bob@example.org"]
    )

    assert result.exit_code == 2, result.output
    assert "no donor with the email 'bob@example.org' gave in calendar year 2026" in result.output
    bad_year = runner.invoke(args=["statements", "send", "--year", "1800"])
    assert bad_year.exit_code == 2 and "year must be between" in bad_year.output
    assert smtp.messages == []


def test_a_fiscal_year_setting_moves_the_period(app, runner, smtp, year_of_gifts):
    app.config["FISCAL_YEAR_START_MONTH"] = 7  # FY2026: July 2025 to June 2026

    result = runner.invoke(args=["statements", "send", "--year", "2026", "--dry-run"])

    assert result.exit_code == 0, result.output
    # Ada: Mar 2026 $100 + Jun 2026 $25 + Dec 2025 $30; Bob's May 2025 gift is before.
    assert "would send ada@example.org: 3 gifts, $155.00" in result.output
    assert "bob@example.org" not in result.output and "grace" not in result.output
    assert "fiscal year 2026 (July 2025 to June 2026)" in result.output


def test_an_erased_donors_queued_statement_is_not_sent(runner, smtp, year_of_gifts, app):
    from donation_drive.ledger.donors import erase_donor, find_donor
    from donation_drive.statements.send import send_statements

    run = send_statements(2026)
    assert run.queued == 2
    erase_donor(find_donor("grace@example.org").id, actor="dpo")

    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 0, result.output
    assert [m["To"].addresses[0].addr_spec for m in statement_messages(smtp)] == ["ada@example.org"]
