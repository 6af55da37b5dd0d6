"""Recent donors, opt-in per drive: the latest gifts with the donor's public display
name (or "Anonymous") and amount; a message only after an admin approved it; donor
text always escaped, in the JSON's consumers and the iframe page alike."""

from __future__ import annotations

import pytest

from donation_drive.errors import InvalidInput
from donation_drive.ledger import approve_message, update_drive

from .test_widget_page import Elements

HOSTILE_NAME = '"><img src=x onerror=alert(1)><script>steal()</script>'


def recent_json(client) -> list[dict]:
    return client.get("/api/v1/drives/eoy").get_json()["recent_donors"]


def test_off_by_default(client, drive, give):
    give(2_500, display_name="Ada", message="Keep going!")

    assert recent_json(client) == []
    assert "Ada" not in client.get("/widget/eoy").get_data(as_text=True)


def test_the_latest_gifts_with_public_names_or_anonymous(client, drive, give):
    update_drive(drive, recent_donors_shown=3)
    give(1_000, name="Private Name", display_name="Ada")
    give(2_000, name="Grace Hopper")  # no public display name
    give(3_000, display_name="Linus", is_anonymous=True)
    give(4_000, display_name="Margaret")

    gifts = recent_json(client)

    # Newest first (same received_at: by id); only three.
    assert gifts == [
        {"name": "Margaret", "amount": 4_000, "message": None},
        {"name": "Anonymous", "amount": 3_000, "message": None},
        {"name": "Anonymous", "amount": 2_000, "message": None},
    ]
    html = client.get("/widget/eoy").get_data(as_text=True)
    assert "Margaret" in html and "$40" in html
    assert "Private Name" not in html and "Grace Hopper" not in html and "Linus" not in html


def test_a_message_shows_only_after_an_admin_approved_it(client, drive, give):
    update_drive(drive, recent_donors_shown=5)
    gift = give(2_500, display_name="Ada", message="For my sister")

    assert recent_json(client)[0]["message"] is None
    assert "For my sister" not in client.get("/widget/eoy").get_data(as_text=True)

    approve_message(gift.id, actor="admin@example.org")

    assert recent_json(client)[0]["message"] == "For my sister"
    assert "For my sister" in client.get("/widget/eoy").get_data(as_text=True)


def test_hostile_names_and_messages_stay_text(client, drive, give):
    update_drive(drive, recent_donors_shown=5)
    gift = give(2_500, display_name=HOSTILE_NAME, message="<iframe src=//evil></iframe>")
    approve_message(gift.id, actor="admin@example.org")

    html = client.get("/widget/eoy").get_data(as_text=True)
    widget = Elements(html)

    assert "<img src=x" not in html and "<script>steal" not in html and "<iframe" not in html
    assert [tag for tag, _ in widget.tags if tag in ("img", "iframe")] == []
    assert HOSTILE_NAME in widget.text("recent")
    assert recent_json(client)[0]["name"] == HOSTILE_NAME  # JSON carries text as text


def test_refunded_and_voided_gifts_leave_the_list(client, drive, give):
    from donation_drive.ledger import void_donation

    update_drive(drive, recent_donors_shown=5)
    gift = give(2_500, display_name="Ada")
    void_donation(gift.id, reason="bounced", actor="test")

    assert recent_json(client) == []


def test_how_many_is_checked(drive):
    with pytest.raises(InvalidInput) as refused:
        update_drive(drive, recent_donors_shown=21)
    assert refused.value.field == "recent_donors_shown"
