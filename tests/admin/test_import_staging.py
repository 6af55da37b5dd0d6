"""The preview of a CSV import waits in the database until it is confirmed: it
expires, it is taken once, any app instance on the database can take it, and what
it imports is what the admin saw."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from threading import Barrier

import pytest
from sqlalchemy import select, update

from donation_drive.admin.imports.staging import PreviewUnavailable, take_preview
from donation_drive.extensions import db
from donation_drive.ledger import update_drive
from donation_drive.models import StagedImport, utcnow

from ..conftest import make_app
from .entry_support import confirm_import, confirm_token, donations, raised, upload_csv

SHEET = "date,amount,method\n2026-11-20,100.00,check\n2026-11-22,25,cash\n"


def staged_rows() -> list[StagedImport]:
    return list(
        db.session.scalars(
            select(StagedImport)
            .order_by(StagedImport.created_at)
            .execution_options(populate_existing=True)
        )
    )


def move_expiry(token: str, expires_at) -> None:
    """What the clock moving on would do to the preview ``token`` names."""
    digest = hashlib.sha256(token.encode()).hexdigest()
    db.session.execute(
        update(StagedImport).where(StagedImport.token_hash == digest).values(expires_at=expires_at)
    )
    db.session.commit()


def flashed(client) -> str:
    return client.get("/admin/import").get_data(as_text=True)


def test_a_preview_is_kept_under_the_hash_of_its_token_for_the_configured_minutes(
    app, admin_client, drive, admin_user
):
    app.config["IMPORT_PREVIEW_MINUTES"] = 5
    page = upload_csv(admin_client, SHEET).get_data(as_text=True)
    [staged] = staged_rows()
    assert staged.token_hash == hashlib.sha256(confirm_token(page).encode()).hexdigest()
    assert (staged.drive_id, staged.admin_id, staged.filename) == (
        drive.id,
        admin_user.id,
        "donations.csv",
    )
    assert staged.expires_at - staged.created_at == timedelta(minutes=5)
    assert staged.consumed_at is None
    assert "Confirm within 5 minutes" in page


def test_an_expired_preview_is_refused_and_imports_nothing(admin_client, drive):
    page = upload_csv(admin_client, SHEET).get_data(as_text=True)
    move_expiry(confirm_token(page), utcnow() - timedelta(seconds=1))

    response = confirm_import(admin_client, page)

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/import")
    assert "This preview expired; upload the file again." in flashed(admin_client)
    assert donations() == []
    assert staged_rows()[0].consumed_at is None


def test_confirming_twice_imports_once_and_says_why_the_second_did_nothing(admin_client, drive):
    page = upload_csv(admin_client, SHEET).get_data(as_text=True)

    first = confirm_import(admin_client, page)
    second = confirm_import(admin_client, page)

    assert first.status_code == 200
    assert second.status_code == 302
    assert "This preview was already imported." in flashed(admin_client)
    assert len(donations()) == 2
    assert raised() == 12_500
    assert staged_rows()[0].consumed_at is not None


def test_two_confirmations_at_the_same_moment_take_the_preview_once(
    app, admin_client, drive, admin_user
):
    token = confirm_token(upload_csv(admin_client, SHEET).get_data(as_text=True))
    start = Barrier(2)

    def confirm() -> str:
        with app.app_context():
            start.wait()
            try:
                take_preview(token, admin_user.id)
            except PreviewUnavailable:
                return "refused"
            finally:
                db.session.remove()
            return "taken"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: confirm(), range(2)))

    assert outcomes == ["refused", "taken"]


def test_a_preview_made_on_one_instance_is_confirmed_on_another(
    admin_client, drive, database_url, tmp_path
):
    """Two app instances with their own instance folders on one database, and one
    browser (its session cookie) going to the first, then the second."""
    page = upload_csv(admin_client, SHEET).get_data(as_text=True)
    second = make_app(database_url, tmp_path / "second-instance")
    other_instance = second.test_client()
    other_instance.set_cookie("session", admin_client.get_cookie("session").value)

    response = confirm_import(other_instance, page)
    again = confirm_import(admin_client, page)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert "Imported 2 donations ($125.00)" in response.get_data(as_text=True)
    assert again.status_code == 302
    assert len(donations()) == 2
    assert raised() == 12_500
    with second.app_context():
        db.engine.dispose()


def test_what_is_imported_is_what_was_previewed_even_if_the_drive_changed_since(
    admin_client, drive
):
    page = upload_csv(admin_client, 'date,amount,method\n2026-11-20,"1,250.00",check\n')
    assert "$1,250.00" in page.get_data(as_text=True)
    # Read again as German, "1,250.00" would no longer be one thousand two hundred fifty.
    update_drive(drive, locale="de_DE")

    confirm_import(admin_client, page.get_data(as_text=True))

    [donation] = donations()
    assert donation.amount == 125_000


@pytest.mark.parametrize(
    ("expired_ago", "kept"),
    [(timedelta(days=1, minutes=1), False), (timedelta(hours=23), True)],
)
def test_a_preview_expired_over_a_day_ago_is_deleted_at_the_next_preview(
    admin_client, drive, expired_ago, kept
):
    old = confirm_token(upload_csv(admin_client, SHEET).get_data(as_text=True))
    move_expiry(old, utcnow() - expired_ago)

    upload_csv(admin_client, "date,amount,method\n2026-11-23,10,cash\n")

    digests = [row.token_hash for row in staged_rows()]
    assert (hashlib.sha256(old.encode()).hexdigest() in digests) is kept
    assert len(digests) == (2 if kept else 1)


def test_erasing_a_donor_clears_their_rows_in_a_waiting_preview(admin_client, drive):
    from donation_drive.ledger import DonorDetails, record_offline_donation
    from donation_drive.ledger.donors import erase_donor
    from donation_drive.models import Donation

    from .dashboard_data import received

    given = record_offline_donation(
        drive,
        amount=1_000,
        method="check",
        received_at=received("2026-11-19"),
        entered_by="admin@example.org",
        donor=DonorDetails(name="Erin Erased", email="erin@example.org"),
    )
    sheet = (
        "date,amount,method,name,email,note\n"
        "2026-11-20,100.00,check,Erin Erased,ERIN@example.org,called Erin about the check\n"
        "2026-11-21,30.00,cash,Erin Erased,,no email this time\n"
        "2026-11-22,25,cash,Erin Erased,erin.namesake@example.org,another Erin\n"
        "2026-11-23,40,cash,Kay Kept,kay@example.org,kept\n"
    )
    page = upload_csv(admin_client, sheet).get_data(as_text=True)

    done = erase_donor(given.donor_id, actor="dpo@example.org")

    assert done["import_rows"] == 2
    [staged] = staged_rows()
    donors = [
        (row["donor"]["name"], row["donor"]["email"], row["note"]) for row in staged.plan["rows"]
    ]
    assert donors == [
        (None, None, None),
        (None, None, None),
        ("Erin Erased", "erin.namesake@example.org", "another Erin"),
        ("Kay Kept", "kay@example.org", "kept"),
    ]
    assert "erin@example.org" not in str(staged.plan).casefold()
    # Confirming it still records the money, without the erased donor's details.
    confirmed = confirm_import(admin_client, page)
    assert "Imported 4 donations" in confirmed.get_data(as_text=True)
    imported = db.session.scalars(
        select(Donation).where(Donation.id != given.id).order_by(Donation.received_at)
    ).all()
    assert [(d.amount, d.donor_email, d.note) for d in imported[:2]] == [
        (10_000, None, None),
        (3_000, None, None),
    ]
    assert imported[0].is_anonymous
