"""The donation list: filters, search, sorting and pages; and each donation's page."""

from __future__ import annotations

import html
import re
from datetime import UTC
from pathlib import Path

import pytest

from donation_drive.admin.donations.query import find_page, parse_filters
from donation_drive.extensions import db
from donation_drive.models import OutboxEmail, WebhookEvent

from .dashboard_data import card, mixed_drive, offline


def listed_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)"', page)]


def listed(admin_client, **args) -> list[int]:
    response = admin_client.get("/admin/donations", query_string=args)
    assert response.status_code == 200, response.get_data(as_text=True)
    return listed_ids(response.get_data(as_text=True))


def test_list_shows_the_newest_donations_first(admin_client, drive):
    s = mixed_drive(drive).donations
    assert listed(admin_client)[:3] == [s["other"].id, s["cash"].id, s["bitcoin"].id]


def test_filters_narrow_the_list(admin_client, drive):
    s = mixed_drive(drive).donations
    assert set(listed(admin_client, method="check")) == {s["check"].id, s["voided"].id}
    assert listed(admin_client, status="voided") == [s["voided"].id]
    assert set(listed(admin_client, method="check", status="succeeded")) == {s["check"].id}
    # Whole local days, both ends included (the gifts were received at noon in New York).
    in_range = listed(admin_client, **{"from": "2026-11-19", "to": "2026-11-21"})
    assert set(in_range) == {s["check"].id, s["gift_card"].id, s["bitcoin"].id}
    # Amounts in major units, bounds included.
    assert set(listed(admin_client, min="100", max="250.00")) == {
        s["refunded"].id,
        s["paypal"].id,
        s["gift_card"].id,
    }


def test_search_finds_names_emails_references_and_receipt_numbers_by_prefix(admin_client, drive):
    found = offline(
        drive, 2_000, name="Frances Allen", email="FRAN@example.org", reference="check #2001"
    )
    other = offline(drive, 3_000, name="Someone Else", reference="check #20011")
    paid = card(drive, 5_000, "pi_3Abc_def", name="Card Person")

    assert listed(admin_client, q="frances") == [found.id]
    assert listed(admin_client, q="fran@EXAMPLE") == [found.id]
    assert listed(admin_client, q="FRANCES A") == [found.id]
    assert set(listed(admin_client, q="Check #2001")) == {found.id, other.id}
    assert listed(admin_client, q="check #20011") == [other.id]
    assert listed(admin_client, q="pi_3abc") == [paid.id]
    assert listed(admin_client, q=found.receipt_number) == [found.id]
    # Text with an @ searches emails only; a search is a prefix (one index range).
    assert listed(admin_client, q="frances@") == []
    assert listed(admin_client, q="allen") == []
    # LIKE wildcards typed in the box are searched for literally.
    assert listed(admin_client, q="%") == []
    assert listed(admin_client, q="pi_3Abc_") == [paid.id]
    assert listed(admin_client, q="pi%") == []


@pytest.mark.parametrize(
    ("sort", "direction", "expected"),
    [
        # Equal amounts (two $100 gifts) fall back to the id, in the same direction.
        ("amount", "desc", ["check", "bitcoin", "paypal", "gift_card", "refunded", "voided"]),
        ("amount", "asc", ["cash", "disputed", "other", "voided", "refunded", "gift_card"]),
        # Unnamed first, then A-Z ignoring case: Ada, Alan, Barbara, Donald, Grace, ...
        ("name", "asc", ["bitcoin", "refunded", "gift_card", "cash", "other", "paypal"]),
        ("name", "desc", ["voided", "disputed", "check", "paypal", "other", "cash"]),
        ("date", "asc", ["refunded", "disputed", "voided", "paypal", "check", "gift_card"]),
    ],
)
def test_sorting(admin_client, drive, sort, direction, expected):
    s = mixed_drive(drive).donations
    ids = listed(admin_client, sort=sort, dir=direction)
    assert ids[: len(expected)] == [s[k].id for k in expected]


def test_pages_follow_each_other_without_gaps_or_repeats(app, drive):
    # Ties on purpose: many gifts share a day and an amount, so the id breaks them.
    for i in range(23):
        offline(drive, 1_000 * (1 + i % 3), day=f"2026-11-{16 + i % 4}")
    for sort in ("date", "amount", "name"):
        for direction in ("asc", "desc"):
            filters = parse_filters({"sort": sort, "dir": direction}, drive, UTC)
            everything = find_page(filters, size=100).donations
            seen, pages, after = [], [], None
            while True:
                page = find_page(filters, after=after, size=5)
                pages.append(page)
                seen += [d.id for d in page.donations]
                if page.next_cursor is None:
                    break
                after = page.next_cursor
            assert seen == [d.id for d in everything], (sort, direction)
            assert len(pages) == 5
            # And back again from the last page.
            back = find_page(filters, before=pages[-1].previous_cursor, size=5)
            assert [d.id for d in back.donations] == [d.id for d in pages[-2].donations]


def test_page_links_walk_forward_and_back(admin_client, drive):
    for i in range(60):
        offline(drive, 100 + i, day=f"2026-11-{16 + i % 10}")
    first = admin_client.get("/admin/donations").get_data(as_text=True)
    assert len(listed_ids(first)) == 50
    assert 'rel="prev"' not in first
    next_url = html.unescape(re.search(r'rel="next" href="([^"]+)"', first).group(1))
    second = admin_client.get(next_url).get_data(as_text=True)
    assert len(listed_ids(second)) == 10
    assert set(listed_ids(first)).isdisjoint(listed_ids(second))
    assert 'rel="next"' not in second
    prev_url = html.unescape(re.search(r'rel="prev" href="([^"]+)"', second).group(1))
    assert listed_ids(admin_client.get(prev_url).get_data(as_text=True)) == listed_ids(first)


def test_bad_filters_show_the_form_again_with_the_field_named(admin_client, drive):
    response = admin_client.get("/admin/donations?from=2026-13-01&q=kept")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'data-field="from"' in page and "is not a date" in page
    assert 'value="kept"' in page
    assert admin_client.get("/admin/donations?min=abc").status_code == 400
    assert admin_client.get("/admin/donations?method=wire").status_code == 400
    assert admin_client.get("/admin/donations?after=garbage!").status_code == 400


def test_donor_text_is_escaped_everywhere(admin_client, drive):
    evil = '<script>alert("x")</script>'
    donation = offline(drive, 5_000, name=evil, message=evil, reference=evil, note=evil)
    pages = [
        admin_client.get("/admin/").get_data(as_text=True),
        admin_client.get("/admin/donations").get_data(as_text=True),
        admin_client.get(f"/admin/donations/{donation.id}").get_data(as_text=True),
    ]
    for page in pages:
        assert "<script>" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page


def test_detail_page_shows_the_audit_trail_emails_and_provider_events(admin_client, drive):
    donation = card(drive, 10_000, "pi_123", name="Ada", email="ada@example.org")
    from donation_drive.ledger import apply_provider_refund

    apply_provider_refund("stripe", "pi_123", refunded_total=2_500, actor="webhook")
    for event_id, payload in [
        ("evt_paid", {"type": "payment_intent.succeeded", "data": {"object": {"id": "pi_123"}}}),
        ("evt_refund", {"data": {"object": {"id": "ch_9", "payment_intent": "pi_123"}}}),
        ("evt_other", {"data": {"object": {"id": "pi_1234"}}}),  # a different payment
    ]:
        db.session.add(
            WebhookEvent(provider="stripe", event_id=event_id, type="x", payload=payload)
        )
    db.session.commit()

    page = admin_client.get(f"/admin/donations/{donation.id}").get_data(as_text=True)
    history = page.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    assert "payment recorded" in history and "+$100.00" in history
    assert "refunded" in history and "\N{MINUS SIGN}$25.00" in history
    emails = page.split('data-testid="emails"', 1)[1].split("</table>", 1)[0]
    assert "ada@example.org" in emails and "pending" in emails
    assert db.session.query(OutboxEmail).filter_by(donation_id=donation.id).count() == 1
    webhooks = page.split('data-testid="webhooks"', 1)[1].split("</table>", 1)[0]
    assert "evt_paid" in webhooks and "evt_refund" in webhooks
    assert "evt_other" not in webhooks
    assert 'data-testid="counted">$75.00<' in page


def test_detail_page_renders_the_entry_actions_when_they_exist(app, admin_client, drive):
    donation = offline(drive, 5_000)
    # The instance folder overrides package templates; stand in for the entry pages' file.
    override = Path(app.instance_path) / "templates" / "admin" / "entry_actions.html"
    override.parent.mkdir(parents=True, exist_ok=True)
    override.write_text('<p id="actions-here">actions for {{ donation.receipt_number }}</p>')
    page = admin_client.get(f"/admin/donations/{donation.id}").get_data(as_text=True)
    assert f'<p id="actions-here">actions for {donation.receipt_number}</p>' in page


def test_an_unknown_donation_is_a_404(admin_client, drive):
    assert admin_client.get("/admin/donations/999999").status_code == 404
