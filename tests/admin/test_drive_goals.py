"""The admin page for goals beyond the goal (admin/drives/goals.py): a stretch goal
and a match pledge, read in the drive's locale, shown by the widget at once; bad
input names its field and writes nothing."""

from __future__ import annotations

from donation_drive.ledger import get_drive

from .entry_support import post_form

URL = "/admin/drives/eoy/goals"


def goals_form(**overrides: str) -> dict[str, str]:
    return {
        "stretch_goal": "",
        "match": "",
        "match_sponsor": "",
        **overrides,
    }


def test_the_page_needs_an_admin(client, drive):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_setting_a_stretch_goal_and_a_match_shows_in_the_widget(admin_client, client, drive):
    assert admin_client.get(URL).status_code == 200
    response = post_form(
        admin_client,
        URL,
        goals_form(
            stretch_goal="100,000",
            match="10,000.00",
            match_sponsor="Acme Pharmacy",
        ),
    )
    assert response.status_code == 302

    saved = get_drive("eoy")
    assert (saved.stretch_goal_amount, saved.match_cap_amount) == (10_000_000, 1_000_000)
    assert (saved.match_sponsor, saved.match_added_to_total) == ("Acme Pharmacy", False)
    body = client.get("/api/v1/drives/eoy").get_json()
    assert body["stretch_goal_amount"] == 10_000_000
    assert body["match"]["sponsor"] == "Acme Pharmacy"
    page = admin_client.get(URL).get_data(as_text=True)
    assert 'value="100000.00"' in page and 'value="10000.00"' in page


def test_adding_the_match_to_the_total_and_clearing_it_again(admin_client, client, drive):
    post_form(admin_client, URL, goals_form(match="500", match_added_to_total="y"))
    assert get_drive("eoy").match_added_to_total is True

    post_form(admin_client, URL, goals_form())

    saved = get_drive("eoy")
    assert (saved.stretch_goal_amount, saved.match_cap_amount) == (None, None)
    assert client.get("/api/v1/drives/eoy").get_json()["match"] is None


def field_errors(html: str) -> dict[str, str]:
    """Each input's name and the error shown under it (entry_macros.field)."""
    import re

    found = {}
    for name in ("stretch_goal", "match", "match_sponsor"):
        block = re.search(rf'name="{name}".*?(?=name="|</form>)', html, re.S)
        error = re.search(r'class="[^"]*error[^"]*"[^>]*>(?:<p>)?([^<]*)', block.group(0))
        if error and error.group(1).strip():
            found[name] = error.group(1).strip()
    return found


def test_bad_amounts_name_their_field_and_change_nothing(admin_client, drive):
    for form, field, message in (
        (goals_form(stretch_goal="lots"), "stretch_goal", "is not a number"),
        (goals_form(stretch_goal="50,000"), "stretch_goal", "must be above the goal"),
        (goals_form(match="-5"), "match", "greater than zero"),
    ):
        response = post_form(admin_client, URL, form)
        assert response.status_code == 400
        errors = field_errors(response.get_data(as_text=True))
        assert list(errors) == [field], errors
        assert message in errors[field]
        saved = get_drive("eoy")
        assert (saved.stretch_goal_amount, saved.match_cap_amount) == (None, None)


def test_the_form_needs_its_csrf_token(admin_client, drive):
    response = admin_client.post(URL, data=goals_form(stretch_goal="100,000"))
    assert response.status_code == 400
    assert get_drive("eoy").stretch_goal_amount is None
