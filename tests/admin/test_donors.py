"""The admin's donor pages: list and search, a donor's page, merge, privacy export and
erasure (CSRF-protected, audited, totals unchanged)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from donation_drive.extensions import db
from donation_drive.ledger import (
    DonorDetails,
    ProviderPayment,
    check_drive_figures,
    drive_progress,
    record_offline_donation,
    record_provider_payment,
)
from donation_drive.ledger.donors import find_donor
from donation_drive.models import Donation, Donor, DonorEvent, OutboxEmail

from ..conftest import ADMIN_EMAIL, csrf_token_from


@pytest.fixture
def gifts(drive):
    def check(amount, email, name=None, when=datetime(2026, 12, 1, 12, tzinfo=UTC)):
        return record_offline_donation(
            drive,
            amount=amount,
            method="check",
            received_at=when,
            entered_by="admin",
            donor=DonorDetails(name=name, email=email),
        )

    ada = check(1_000, "ada@example.org", "Ada <b>Lovelace</b>")
    check(2_500, "ADA@example.org ", when=datetime(2025, 12, 30, tzinfo=UTC))
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_ada",
            drive=drive,
            amount=4_000,
            currency="USD",
            received_at=datetime(2026, 12, 2, tzinfo=UTC),
            donor=DonorDetails(email="Ada@Example.org"),
        ),
        actor="webhook",
    )
    grace = check(700, "grace@example.org", "Grace Hopper")
    return {"ada": ada.donor_id, "grace": grace.donor_id}


def page_of(admin_client, url: str) -> str:
    response = admin_client.get(url)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_donor_pages_need_a_login(client, gifts):
    assert client.get("/admin/donors/").status_code == 302
    assert client.get(f"/admin/donors/{gifts['ada']}").status_code == 302


def test_search_by_email_and_by_name(admin_client, gifts):
    everyone = page_of(admin_client, "/admin/donors/")
    assert "Grace Hopper" in everyone and "ada@example.org" in everyone

    by_email = page_of(admin_client, "/admin/donors/?q=%20ADA@exa")
    assert "ada@example.org" in by_email and "Grace" not in by_email
    assert "$75.00" in by_email  # lifetime: 10 + 25 + 40

    by_name = page_of(admin_client, "/admin/donors/?q=hopper")
    assert "Grace Hopper" in by_name and "ada@example.org" not in by_name

    nobody = page_of(admin_client, "/admin/donors/?q=nobody@nowhere")
    assert "No donor matches." in nobody


def test_the_donor_page_shows_giving_per_year_per_drive_and_every_gift(admin_client, gifts):
    html = page_of(admin_client, f"/admin/donors/{gifts['ada']}")

    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html  # donor text escaped
    assert "<b>Lovelace</b>" not in html
    assert "$75.00" in html  # lifetime
    assert '<td>2026</td><td class="num">$50.00</td>' in html
    assert '<td>2025</td><td class="num">$25.00</td>' in html
    for number in db.session.scalars(
        select(Donation.id).where(Donation.donor_id == gifts["ada"])
    ).all():
        assert f"DD-{number:08d}" in html
    assert "Card" in html and "Check" in html
    assert "receipt" in html  # the receipts queued for the gifts


def test_merge_moves_gifts_keeps_totals_and_is_audited(admin_client, drive, gifts):
    before = drive_progress(drive.slug)
    assert (before.donor_count, before.gift_count) == (2, 4)
    page = page_of(admin_client, f"/admin/donors/{gifts['ada']}")

    refused = admin_client.post(
        f"/admin/donors/{gifts['ada']}/merge", data={"other": "grace@example.org"}
    )
    assert refused.status_code == 400  # no CSRF token
    assert db.session.get(Donor, gifts["grace"]).merged_into_id is None

    response = admin_client.post(
        f"/admin/donors/{gifts['ada']}/merge",
        data={"other": "Grace@example.org", "csrf_token": csrf_token_from(page)},
    )
    assert response.status_code == 303

    after = drive_progress(drive.slug)
    assert (after.raised_amount, after.donor_count, after.gift_count) == (
        before.raised_amount,
        1,
        4,
    )
    assert check_drive_figures(drive.id) == {}
    db.session.expire_all()
    assert db.session.get(Donor, gifts["grace"]).merged_into_id == gifts["ada"]
    event = db.session.scalar(select(DonorEvent).where(DonorEvent.action == "merged"))
    assert event.actor == ADMIN_EMAIL
    # The merged donor's page leads to the kept one.
    assert admin_client.get(f"/admin/donors/{gifts['grace']}").status_code == 302


def test_a_merge_naming_nobody_writes_nothing(admin_client, drive, gifts):
    page = page_of(admin_client, f"/admin/donors/{gifts['ada']}")
    response = admin_client.post(
        f"/admin/donors/{gifts['ada']}/merge",
        data={"other": "nobody@example.org", "csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )
    assert "Not merged: no donor with the email" in response.get_data(as_text=True)
    assert db.session.scalar(select(DonorEvent)) is None


def test_privacy_export_and_erasure_from_the_admin(admin_client, drive, gifts):
    before = drive_progress(drive.slug)
    page = page_of(admin_client, f"/admin/donors/{gifts['ada']}")
    token = csrf_token_from(page)

    exported = admin_client.post(f"/admin/donors/{gifts['ada']}/export", data={"csrf_token": token})
    assert exported.status_code == 200
    data = json.loads(exported.get_data(as_text=True))
    assert data["donor"]["email"] == "ada@example.org"
    assert len(data["gifts"]) == 3
    assert sum(g["counted_amount"] for g in data["gifts"]) == 7_500

    not_confirmed = admin_client.post(
        f"/admin/donors/{gifts['ada']}/erase", data={"csrf_token": token, "confirm": "yes"}
    )
    assert not_confirmed.status_code == 303
    assert find_donor("ada@example.org") is not None

    erased = admin_client.post(
        f"/admin/donors/{gifts['ada']}/erase",
        data={"csrf_token": token, "confirm": "ERASE"},
        follow_redirects=True,
    )
    assert "Erased: 3 gifts" in erased.get_data(as_text=True)
    assert find_donor("ada@example.org") is None
    after = drive_progress(drive.slug)
    assert (after.raised_amount, after.donor_count, after.gift_count) == (
        before.raised_amount,
        before.donor_count,
        before.gift_count,
    )
    actions = db.session.scalars(
        select(DonorEvent.action).where(DonorEvent.donor_id == gifts["ada"]).order_by(DonorEvent.id)
    ).all()
    assert actions == ["exported", "erased"]
    html = page_of(admin_client, f"/admin/donors/{gifts['ada']}")
    assert "ada@example.org" not in html.casefold() and "Lovelace" not in html


def test_the_statements_button_dry_run_then_queue(admin_client, gifts):
    overview = page_of(admin_client, "/admin/")
    assert 'data-testid="statements-form"' in overview
    token = csrf_token_from(overview)

    assert admin_client.post("/admin/donors/statements", data={"year": "2026"}).status_code == 400
    dry = admin_client.post(
        "/admin/donors/statements",
        data={"year": "2026", "dry_run": "1", "csrf_token": token},
        follow_redirects=True,
    )
    text = dry.get_data(as_text=True)
    assert "Dry run for calendar year 2026: 2 would get a statement" in text
    assert "ada@example.org" in text
    statements = select(OutboxEmail).where(OutboxEmail.kind == "statement")
    assert db.session.scalars(statements).all() == []

    sent = admin_client.post(
        "/admin/donors/statements",
        data={"year": "2026", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Queued 2 statements for calendar year 2026" in sent.get_data(as_text=True)
    rows = db.session.scalars(statements).all()
    assert sorted(r.to_address for r in rows) == ["ada@example.org", "grace@example.org"]
    assert all(r.attachment.startswith(b"%PDF-") for r in rows)
    again = admin_client.post(
        "/admin/donors/statements",
        data={"year": "2026", "csrf_token": token},
        follow_redirects=True,
    )
    assert "Queued 0 statements" in again.get_data(as_text=True)
    page = page_of(admin_client, f"/admin/donors/{gifts['ada']}")
    assert "statement" in page and "2026" in page

    bad = admin_client.post(
        "/admin/donors/statements",
        data={"year": "next", "csrf_token": token},
        follow_redirects=True,
    )
    assert "year must be a number" in bad.get_data(as_text=True)


def test_contact_details_are_saved_escaped_and_audited(admin_client, gifts):
    page = page_of(admin_client, f"/admin/donors/{gifts['grace']}")
    response = admin_client.post(
        f"/admin/donors/{gifts['grace']}/contact",
        data={
            "name": "Grace <i>Hopper</i>",
            "address": "1 Navy Way\nArlington, VA",
            "csrf_token": csrf_token_from(page),
        },
    )
    assert response.status_code == 303
    donor = db.session.get(Donor, gifts["grace"])
    db.session.refresh(donor)
    assert (donor.name, donor.address) == ("Grace <i>Hopper</i>", "1 Navy Way\nArlington, VA")
    html = page_of(admin_client, f"/admin/donors/{gifts['grace']}")
    assert "Grace &lt;i&gt;Hopper&lt;/i&gt;" in html and "<i>Hopper</i>" not in html
    event = db.session.scalar(select(DonorEvent).where(DonorEvent.action == "contact_updated"))
    assert event.actor == ADMIN_EMAIL and event.details == {"fields": ["name", "address"]}

    too_long = admin_client.post(
        f"/admin/donors/{gifts['grace']}/contact",
        data={"name": "x" * 201, "csrf_token": csrf_token_from(page)},
        follow_redirects=True,
    )
    assert "Not saved:" in too_long.get_data(as_text=True)
    db.session.refresh(donor)
    assert donor.name == "Grace <i>Hopper</i>"
