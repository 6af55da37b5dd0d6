"""Refunds and voids stop a receipt that has not gone out, never send a second one,
and a resend is an explicit, separately recorded copy."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from donation_drive.emails import resend_receipt, send_due_emails
from donation_drive.errors import Conflict, InvalidInput, NotFound
from donation_drive.extensions import db
from donation_drive.ledger import apply_provider_refund, refund_offline_donation, void_donation
from donation_drive.models import Donation, OutboxEmail

from .factories import give, later, outbox_row, pay_by_card, text_and_html


def rows_of(donation_id: int) -> list[OutboxEmail]:
    return list(
        db.session.scalars(
            select(OutboxEmail)
            .where(OutboxEmail.donation_id == donation_id)
            .order_by(OutboxEmail.id)
            .execution_options(populate_existing=True)
        )
    )


def test_payment_refunded_before_its_email_went_out_gets_no_thank_you(app, drive, smtp):
    donation = pay_by_card(drive, "pi_refunded_early", amount=2_500)
    apply_provider_refund("stripe", "pi_refunded_early", refunded_total=2_500, actor="webhook")

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.processed, smtp.messages) == (0, [])
    assert (row.status, row.last_error) == (
        "canceled",
        "payment refunded before the receipt was sent",
    )


def test_full_offline_refund_withdraws_the_receipt_at_once(app, drive, smtp):
    donation = give(drive, amount=5_000)
    refund_offline_donation(donation.id, amount=5_000, reason="check bounced", actor="admin")

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.processed, smtp.messages) == (0, [])
    assert (row.status, row.last_error) == (
        "canceled",
        "gift refunded before the receipt was sent",
    )


def test_a_full_refund_the_outbox_was_not_told_about_is_caught_before_sending(app, drive, smtp):
    # A refund that reached the row without going through the outbox (another process
    # between the ledger's cancel and our claim): the sender's own check stops it.
    donation = give(drive, amount=5_000)
    db.session.execute(
        update(Donation).where(Donation.id == donation.id).values(refunded_amount=5_000)
    )
    db.session.commit()
    assert outbox_row(donation.id).status == "pending"

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.canceled, smtp.messages) == (1, [])
    assert (row.status, row.last_error) == (
        "canceled",
        "payment refunded before the receipt was sent",
    )


def test_voided_entry_gets_no_thank_you(app, drive, smtp):
    donation = give(drive)
    void_donation(donation.id, reason="entered twice", actor="admin")

    send_due_emails()

    assert smtp.messages == []
    assert outbox_row(donation.id).status == "canceled"


def test_payment_refunded_after_its_receipt_went_out_gets_no_second_one(app, drive, smtp):
    donation = pay_by_card(drive, "pi_refunded_late", amount=2_500)
    send_due_emails()
    apply_provider_refund("stripe", "pi_refunded_late", refunded_total=2_500, actor="webhook")

    report = send_due_emails(now=later(days=1))

    assert report.processed == 0
    assert len(smtp.messages) == 1
    assert [row.status for row in rows_of(donation.id)] == ["sent"]


def test_resend_is_its_own_row_to_a_corrected_address(app, drive, smtp):
    donation = give(drive, email="ada@old.example.org")
    send_due_emails()

    copy = resend_receipt(
        donation.id, to_address="ada@new.example.org", requested_by="admin@example.org"
    )
    send_due_emails()

    first, second = rows_of(donation.id)
    assert (first.dedupe_key, first.status) == (f"receipt:{donation.id}", "sent")
    assert (second.id, second.dedupe_key) == (copy.id, f"resend:{donation.id}:1")
    assert (second.status, second.requested_by) == ("sent", "admin@example.org")
    assert second.to_address == "ada@new.example.org"
    original, resent = smtp.messages
    assert resent["To"].addresses[0].addr_spec == "ada@new.example.org"
    assert resent["Subject"].startswith("Copy of your receipt " + donation.receipt_number)
    assert resent["Message-ID"] != original["Message-ID"]
    text, _ = text_and_html(resent)
    assert "copy of your receipt" in text and donation.receipt_number in text
    assert donation.donor_email == "ada@old.example.org"  # the ledger's record is unchanged


def test_each_resend_gets_the_next_number(app, drive, smtp):
    donation = give(drive)
    keys = [
        resend_receipt(donation.id, to_address=None, requested_by="cli").dedupe_key
        for _ in range(3)
    ]

    assert keys == [f"resend:{donation.id}:{n}" for n in (1, 2, 3)]
    assert send_due_emails().sent == 4
    assert {m["To"].addresses[0].addr_spec for m in smtp.messages} == {"ada@example.org"}


def test_resend_works_for_an_entry_made_without_a_receipt(app, drive, smtp):
    donation = give(drive, send_receipt=False)

    resend_receipt(donation.id, to_address=None, requested_by="admin@example.org")

    assert send_due_emails().sent == 1


def test_resend_is_refused_for_a_refunded_payment(app, drive, smtp):
    donation = give(drive, amount=5_000)
    refund_offline_donation(donation.id, amount=5_000, reason="returned", actor="admin")

    with pytest.raises(Conflict) as error:
        resend_receipt(donation.id, to_address=None, requested_by="admin@example.org")

    assert error.value.field == "donation"
    assert "refunded" in error.value.message


def test_resend_is_refused_without_an_address_or_with_a_bad_one(app, drive, smtp):
    donation = give(drive, email=None)

    with pytest.raises(InvalidInput) as missing:
        resend_receipt(donation.id, to_address=None, requested_by="admin@example.org")
    with pytest.raises(InvalidInput) as bad:
        resend_receipt(donation.id, to_address="not an address", requested_by="admin@x.org")

    assert missing.value.field == bad.value.field == "to_address"
    assert rows_of(donation.id) == []


def test_resend_of_an_unknown_donation_is_not_found(app):
    with pytest.raises(NotFound) as error:
        resend_receipt(999_999, to_address=None, requested_by="admin@example.org")
    assert error.value.field == "donation"


def test_cli_sends_what_is_due_and_prints_counts(app, drive, smtp, runner):
    give(drive)
    give(drive, email="bob@example.org")

    result = runner.invoke(args=["send-emails"])

    assert result.exit_code == 0, result.output
    assert "sent 2, retrying 0, failed 0, canceled 0" in result.output
    assert len(smtp.messages) == 2


def test_cli_resend_queues_a_copy_to_the_given_address(app, drive, smtp, runner):
    donation = give(drive)

    result = runner.invoke(args=["resend-receipt", str(donation.id), "--to", "ada@new.example.org"])

    assert result.exit_code == 0, result.output
    assert donation.receipt_number in result.output and "ada@new.example.org" in result.output
    copy = outbox_row(donation.id, key=f"resend:{donation.id}:1")
    assert (copy.to_address, copy.requested_by) == ("ada@new.example.org", "cli")


def test_cli_resend_names_the_field_at_fault(app, drive, runner):
    result = runner.invoke(args=["resend-receipt", "424242"])

    assert result.exit_code == 2
    assert "'donation'" in result.output and "no donation 424242" in result.output
