"""The admin's messages page (admin/drives/messages.py): every gift with a message,
escaped; approving one lets the widget show it; the form needs its CSRF token."""

from __future__ import annotations

from donation_drive.ledger import update_drive

from ..widget.conftest import GIVEN_AT
from .entry_support import post_form

URL = "/admin/drives/eoy/messages"


def give(drive, **donor):
    from donation_drive.ledger import DonorDetails, record_offline_donation

    return record_offline_donation(
        drive,
        amount=2_500,
        method="check",
        received_at=GIVEN_AT,
        entered_by="t",
        donor=DonorDetails(**donor),
        send_receipt=False,
    )


def test_approving_a_message_through_the_page_shows_it_on_the_widget(admin_client, client, drive):
    update_drive(drive, recent_donors_shown=3)
    gift = give(drive, display_name="Ada", message="<b>For my sister</b>")
    page = admin_client.get(URL).get_data(as_text=True)
    assert "&lt;b&gt;For my sister&lt;/b&gt;" in page and "<b>For" not in page
    assert client.get("/api/v1/drives/eoy").get_json()["recent_donors"][0]["message"] is None

    response = post_form(admin_client, f"{URL}/{gift.id}/approve", {})

    assert response.status_code == 302
    shown = client.get("/api/v1/drives/eoy").get_json()["recent_donors"][0]
    assert shown["message"] == "<b>For my sister</b>"
    assert "Approved" in admin_client.get(URL).get_data(as_text=True)


def test_approving_needs_the_csrf_token_and_a_gift_of_this_drive(admin_client, client, drive):
    update_drive(drive, recent_donors_shown=3)
    gift = give(drive, display_name="Ada", message="hello")

    assert admin_client.post(f"{URL}/{gift.id}/approve").status_code == 400
    assert post_form(admin_client, f"{URL}/{gift.id + 99}/approve", {}).status_code == 404
    assert client.get("/api/v1/drives/eoy").get_json()["recent_donors"][0]["message"] is None


def test_the_page_needs_an_admin(client, drive):
    assert client.get(URL).status_code == 302
