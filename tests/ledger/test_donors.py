"""Donors: every gift the ledger writes belongs to one, found by normalized email;
the drive counts distinct donors whose gifts still count, and gifts; merging and
erasing keep totals exact and are audited."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from donation_drive.errors import Conflict, InvalidInput
from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    apply_provider_refund,
    check_drive_figures,
    create_drive,
    create_pending_card_donation,
    drive_progress,
    record_offline_donation,
    record_provider_payment,
    recount_drive_figures,
    refund_offline_donation,
    update_offline_donation,
    void_donation,
)
from donation_drive.ledger.donors import erase_donor, find_donor, merge_donors
from donation_drive.models import (
    Donation,
    DonationEvent,
    Donor,
    DonorEvent,
    Drive,
    DriveDonor,
    OutboxEmail,
    PaymentAttempt,
    WebhookEvent,
    normalize_email,
)

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def figures(drive: Drive) -> tuple[int, int, int]:
    progress = drive_progress(drive.slug)
    kept = (progress.raised_amount, progress.donor_count, progress.gift_count)
    assert kept == tuple(recount_drive_figures(drive.id))
    assert check_drive_figures(drive.id) == {}
    return kept


def check(drive: Drive, amount: int, email: str | None = None, name: str | None = None):
    return record_offline_donation(
        drive,
        amount=amount,
        method="check",
        received_at=NOW,
        entered_by="admin",
        donor=DonorDetails(name=name, email=email),
    )


def card(drive: Drive, ref: str, amount: int, email: str | None = None) -> int:
    return record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref=ref,
            drive=drive,
            amount=amount,
            currency="USD",
            received_at=NOW,
            donor=DonorDetails(email=email),
        ),
        actor="webhook",
    ).donation_id


def test_normalized_email_is_nfkc_stripped_and_casefolded():
    assert normalize_email("  Ada@Example.ORG ") == "ada@example.org"
    fullwidth = "\uff21\uff24\uff21@example.org"
    assert normalize_email(fullwidth) == "ada@example.org"
    assert normalize_email("STRASSE@example.org") == normalize_email("straße@example.org")
    assert normalize_email(None) is None
    assert normalize_email("   ") is None


def test_the_same_email_in_other_case_and_spacing_is_one_donor(drive):
    a = check(drive, 1_000, "Ada@Example.org", "Ada")
    b = check(drive, 2_000, "ada@example.org")
    c = card(drive, "pi_1", 3_000, "\uff21\uff24\uff21@example.org")

    donor_ids = {a.donor_id, b.donor_id, db.session.get(Donation, c).donor_id}
    assert len(donor_ids) == 1 and None not in donor_ids
    donor = find_donor(" ADA@EXAMPLE.ORG")
    assert donor is not None and donor.id in donor_ids and donor.name == "Ada"
    assert figures(drive) == (6_000, 1, 3)


def test_gifts_without_an_email_are_each_their_own_donor(drive):
    a = check(drive, 1_000)
    b = check(drive, 1_000, name="Ada")
    c = card(drive, "pi_anon", 1_000)

    donor_ids = {a.donor_id, b.donor_id, db.session.get(Donation, c).donor_id}
    assert len(donor_ids) == 3 and None not in donor_ids
    assert figures(drive) == (3_000, 3, 3)


def test_a_replayed_payment_without_email_makes_no_second_donor(drive):
    card(drive, "pi_replay", 1_000)
    before = db.session.query(Donor).count()
    card(drive, "pi_replay", 1_000)
    assert db.session.query(Donor).count() == before
    assert figures(drive) == (1_000, 1, 1)


def test_two_gifts_from_one_donor_raise_donors_by_one_and_gifts_by_two(drive):
    check(drive, 500, "first@example.org")
    assert figures(drive) == (500, 1, 1)

    check(drive, 1_000, "grace@example.org")
    card(drive, "pi_grace", 2_000, "Grace@example.org ")

    assert figures(drive) == (3_500, 2, 3)


def test_a_full_refund_of_a_donors_only_gift_lowers_the_donor_count(drive):
    card(drive, "pi_only", 2_500, "once@example.org")
    check(drive, 1_000, "twice@example.org")
    card(drive, "pi_twice", 1_000, "twice@example.org")
    assert figures(drive) == (4_500, 2, 3)

    apply_provider_refund("stripe", "pi_only", refunded_total=1_000, actor="webhook")
    assert figures(drive) == (3_500, 2, 3)  # part of it still counts
    apply_provider_refund("stripe", "pi_only", refunded_total=2_500, actor="webhook")
    assert figures(drive) == (2_000, 1, 2)

    # A donor with another gift still counting stays counted.
    apply_provider_refund("stripe", "pi_twice", refunded_total=1_000, actor="webhook")
    assert figures(drive) == (1_000, 1, 1)


def test_voids_and_offline_refunds_move_donors_and_gifts(drive):
    gift = check(drive, 1_000, "v@example.org")
    other = check(drive, 3_000, "w@example.org")
    void_donation(gift.id, reason="bounced", actor="admin")
    assert figures(drive) == (3_000, 1, 1)
    refund_offline_donation(other.id, amount=3_000, reason="asked", actor="admin")
    assert figures(drive) == (0, 0, 0)


def test_editing_a_gifts_email_moves_it_to_that_donor(drive):
    gift = check(drive, 1_000, "typo@example.org")
    check(drive, 2_000, "right@example.org")
    assert figures(drive) == (3_000, 2, 2)

    update_offline_donation(gift.id, actor="admin", donor_email="Right@example.org")

    right = find_donor("right@example.org")
    typo = find_donor("typo@example.org")
    assert db.session.get(Donation, gift.id).donor_id == right.id
    assert figures(drive) == (3_000, 1, 2)
    sums = dict(db.session.execute(select(DriveDonor.donor_id, DriveDonor.counted_amount)).all())
    assert sums[right.id] == 3_000 and sums[typo.id] == 0


def test_a_pending_checkout_row_has_its_donor_and_counts_once_paid(drive):
    pending = create_pending_card_donation(
        drive, amount=2_000, donor=DonorDetails(email="pay@example.org"), provider="stripe"
    )
    assert pending.donor_id is not None
    assert figures(drive) == (0, 0, 0)
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_pending",
            drive=drive,
            amount=2_000,
            currency="USD",
            received_at=NOW,
            pending_donation_id=pending.id,
        ),
        actor="checkout",
    )
    assert db.session.get(Donation, pending.id).donor_id == pending.donor_id
    assert figures(drive) == (2_000, 1, 1)


def test_donor_counts_are_per_drive(drive):
    other = create_drive(
        slug="spring",
        title="Spring",
        goal_amount=100_000,
        currency="USD",
        starts_at=datetime(2026, 1, 1, tzinfo=UTC),
        ends_at=datetime(2027, 6, 1, tzinfo=UTC),
    )
    check(drive, 1_000, "both@example.org")
    check(other, 2_000, "both@example.org")
    assert figures(drive) == (1_000, 1, 1)
    assert figures(other) == (2_000, 1, 1)


def test_first_gifts_from_one_new_email_at_once_make_one_donor(app, drive):
    barrier = threading.Barrier(6)
    drive_id = drive.id
    errors: list[BaseException] = []

    def record(n: int) -> None:
        with app.app_context():
            try:
                own_drive = db.session.get(Drive, drive_id)
                barrier.wait()
                card(own_drive, f"pi_race_{n}", 1_000, "Race@example.org")
            except BaseException as exc:
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=record, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert db.session.query(Donor).filter_by(email_key="race@example.org").count() == 1
    assert figures(drive) == (6_000, 1, 6)


def test_merging_two_donors_keeps_totals_and_is_audited(drive):
    a = check(drive, 1_000, "ada@example.org", "Ada Lovelace")
    b = check(drive, 2_000, "ada.l@example.net")
    c = card(drive, "pi_b", 500, "ada.l@example.net")
    check(drive, 4_000, "someone@example.org")
    assert figures(drive) == (7_500, 3, 4)

    other_id = b.donor_id
    kept = merge_donors(a.donor_id, other_id, actor="admin@example.org")

    assert kept.id == a.donor_id
    gifts = db.session.scalars(select(Donation).where(Donation.donor_id == kept.id)).all()
    assert sorted(g.id for g in gifts) == sorted([a.id, b.id, c])
    assert figures(drive) == (7_500, 2, 4)
    merged = db.session.get(Donor, other_id)
    assert merged.merged_into_id == kept.id and merged.email_key is None
    # The merged email now finds the kept donor's gifts through their rows; a new
    # gift from it makes a new donor only if no live donor has that key.
    actions = db.session.scalars(select(DonorEvent.action).order_by(DonorEvent.id)).all()
    assert actions == ["merged", "merged_into"]
    event = db.session.scalar(select(DonorEvent).where(DonorEvent.action == "merged"))
    assert event.actor == "admin@example.org" and event.details["gifts_moved"] == 2
    moved = db.session.scalars(
        select(DonationEvent.donation_id).where(DonationEvent.action == "donor_merged")
    ).all()
    assert sorted(moved) == sorted([b.id, c])


def test_a_donor_cannot_be_merged_twice_or_into_itself(drive):
    a = check(drive, 1_000, "a@example.org")
    b = check(drive, 1_000, "b@example.org")
    with pytest.raises(InvalidInput):
        merge_donors(a.donor_id, a.donor_id, actor="admin")
    other_id = b.donor_id
    merge_donors(a.donor_id, other_id, actor="admin")
    with pytest.raises(Conflict):
        merge_donors(a.donor_id, other_id, actor="admin")
    assert figures(drive) == (2_000, 1, 2)


def test_erasing_a_donor_removes_personal_data_and_keeps_totals(app, drive):
    gift = check(drive, 1_000, "erase.me@example.org", "Erin Example")
    update_offline_donation(gift.id, actor="admin", message="For my mother Erin")
    card(drive, "pi_erase", 2_500, "Erase.Me@example.org")
    check(drive, 4_000, "keep@example.org", "Kept")
    assert db.session.query(OutboxEmail).filter_by(to_address="erase.me@example.org").count()
    db.session.add(
        WebhookEvent(
            provider="stripe",
            event_id="evt_erase",
            type="payment_intent.succeeded",
            payload={
                "data": {
                    "object": {
                        "id": "pi_erase",
                        "amount": 2_500,
                        "receipt_email": "Erase.Me@example.org",
                        "metadata": {"donor_name": "Erin Example", "drive": "eoy"},
                    }
                }
            },
        )
    )
    db.session.add(PaymentAttempt(ip="127.0.0.1", email="erase.me@example.org", outcome="x"))
    db.session.commit()
    before = figures(drive)
    donor_id = gift.donor_id

    done = erase_donor(donor_id, actor="admin@example.org")

    assert done["gifts"] == 2 and done["emails"] == 2
    assert done["webhook_events"] == 1 and done["checkout_attempts"] == 1
    stored = db.session.scalar(select(WebhookEvent)).payload["data"]["object"]
    assert stored["receipt_email"] == "[erased]" and stored["amount"] == 2_500
    assert stored["metadata"] == {"donor_name": "[erased]", "drive": "eoy"}
    assert db.session.scalar(select(PaymentAttempt.email)) is None
    assert figures(drive) == before
    donor = db.session.get(Donor, donor_id)
    assert (donor.name, donor.email, donor.email_key, donor.address) == (None,) * 4
    assert donor.erased_at is not None
    for row in db.session.scalars(select(Donation).where(Donation.donor_id == donor_id)):
        assert (row.donor_name, row.donor_email, row.message) == (None, None, None)
        assert row.amount in (1_000, 2_500)
    text = " ".join(
        str(e.details) for e in db.session.scalars(select(DonationEvent)).all()
    ) + " ".join(o.to_address for o in db.session.scalars(select(OutboxEmail)).all())
    assert "erase.me" not in text.casefold() and "Erin" not in text
    assert find_donor("erase.me@example.org") is None
    event = db.session.scalar(select(DonorEvent).where(DonorEvent.action == "erased"))
    assert event.donor_id == donor_id and event.details == done
    kept = db.session.scalar(select(Donation).where(Donation.donor_email == "keep@example.org"))
    assert kept.donor_name == "Kept"


def test_drive_check_command_compares_running_figures_with_a_recount(runner, drive):
    check(drive, 1_000, "a@example.org")
    check(drive, 2_000, "A@example.org")

    good = runner.invoke(args=["drive", "check", "eoy"])
    assert good.exit_code == 0, good.output
    assert "raised 3000, 1 donors, 2 gifts" in good.output and "agree" in good.output

    db.session.execute(Drive.__table__.update().where(Drive.id == drive.id).values(donor_count=2))
    db.session.commit()
    bad = runner.invoke(args=["drive", "check", "eoy"])
    assert bad.exit_code == 1
    assert "differs: donor_count kept 2, recounted 1" in bad.output


def test_erasing_a_donor_clears_the_notes_on_their_gifts_and_their_email_in_others(app, drive):
    gift = check(drive, 1_000, "erase.me@example.org", "Erin Example")
    update_offline_donation(gift.id, actor="admin", note="Erin phoned: wants no more mail")
    other = check(drive, 4_000, "keep@example.org", "Kept")
    update_offline_donation(
        other.id, actor="admin", note="Duplicate of ERASE.ME@example.org's check; Erin knows"
    )
    unrelated = check(drive, 500, "third@example.org", "Third")
    update_offline_donation(unrelated.id, actor="admin", note="nothing about anyone")
    before = figures(drive)

    done = erase_donor(gift.donor_id, actor="dpo@example.org")

    assert done["notes"] == 2
    notes = dict(db.session.execute(select(Donation.id, Donation.note)).all())
    assert notes[gift.id] is None
    # Another gift's note loses the email; a name there may be a namesake's, so it stays.
    assert notes[other.id] == "Duplicate of [erased]'s check; Erin knows"
    assert notes[unrelated.id] == "nothing about anyone"
    assert figures(drive) == before
    edits = db.session.scalars(
        select(DonationEvent).where(DonationEvent.donation_id == gift.id)
    ).all()
    assert "phoned" not in " ".join(str(e.details) for e in edits)
    redacted = db.session.scalars(
        select(DonationEvent).where(
            DonationEvent.donation_id == other.id, DonationEvent.action == "note_redacted"
        )
    ).one()
    assert redacted.actor == "dpo@example.org" and redacted.amount_delta == 0
