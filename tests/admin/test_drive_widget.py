"""The drive's widget page (admin/drives/widget_look.py): the default theme, layout
and accent, and the counting rule line, saved on the drive and shown by every embed
at once; bad input names its field and writes nothing; the snippets embed the saved
look, and the preview frames the widget."""

from __future__ import annotations

import pytest

from donation_drive.ledger import get_drive

from .entry_support import post_form, record_check

URL = "/admin/drives/eoy/widget"


@pytest.fixture
def app_overrides():
    return {"PUBLIC_BASE_URL": "https://donate.example.org"}


def look(**overrides: str) -> dict[str, str]:
    return {"theme": "light", "layout": "standard", "accent": "", **overrides}


def test_the_page_needs_an_admin(client, drive):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/admin/login" in response.headers["Location"]


def test_the_settings_page_links_the_widget_page(admin_client, drive):
    page = admin_client.get("/admin/drives/eoy/edit").get_data(as_text=True)
    assert 'href="/admin/drives/eoy/widget"' in page


def test_saving_a_look_changes_every_embed_default(admin_client, client, drive):
    response = post_form(
        admin_client,
        URL,
        look(theme="dark", layout="compact", accent="#C33", counting_line_shown="y"),
    )
    assert response.status_code == 302

    saved = get_drive("eoy")
    assert (saved.widget_theme, saved.widget_layout, saved.widget_accent) == (
        "dark",
        "compact",
        "#cc3333",
    )
    assert saved.counting_line_shown is True
    body = client.get("/api/v1/drives/eoy").get_json()
    assert body["widget"] == {"theme": "dark", "layout": "compact", "accent": "#cc3333"}
    page = client.get("/widget/eoy").get_data(as_text=True)
    assert 'class="dd-widget dd-theme-dark dd-layout-compact dd-accent"' in page
    assert 'href="/widget/accent/cc3333.css"' in page
    image = client.get("/widget/eoy.svg").get_data(as_text=True)
    assert 'width="240"' in image  # the compact image
    assert 'fill="#cc3333"' in image  # the bar in the accent
    # The form shows what was saved.
    form = admin_client.get(URL).get_data(as_text=True)
    assert 'value="#cc3333"' in form
    assert '<option selected value="dark">' in form


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("theme", "sepia"),
        ("layout", "huge"),
        ("accent", "red"),
        ("accent", "#12345"),
        ("accent", "#c0392b;}body{x"),
    ],
)
def test_a_bad_look_is_refused_next_to_its_field(admin_client, drive, field, value):
    response = post_form(admin_client, URL, look(**{field: value}))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'data-testid="error-{field}"' in page
    assert "}body{x" not in page.split('data-testid="error-accent"', 1)[-1].split("</div>")[0]
    saved = get_drive("eoy")
    assert (saved.widget_theme, saved.widget_layout, saved.widget_accent) == (
        "light",
        "standard",
        None,
    )


def test_every_bad_field_is_named_at_once(admin_client, drive):
    response = post_form(admin_client, URL, look(theme="x", layout="y", accent="z"))

    page = response.get_data(as_text=True)
    for field in ("theme", "layout", "accent"):
        assert f'data-testid="error-{field}"' in page


def test_an_empty_accent_goes_back_to_the_default_green(admin_client, client, drive):
    post_form(admin_client, URL, look(accent="#c0392b"))
    post_form(admin_client, URL, look(accent=""))

    assert get_drive("eoy").widget_accent is None
    assert "dd-accent" not in client.get("/widget/eoy").get_data(as_text=True)


def test_the_snippets_embed_the_drive_four_ways(admin_client, drive):
    record_check(drive, amount=195_000)
    post_form(admin_client, URL, look(layout="compact", counting_line_shown="y"))

    page = admin_client.get(URL).get_data(as_text=True)

    assert (
        "&lt;script src=&#34;https://donate.example.org/widget/embed.js&#34; "
        "data-drive=&#34;eoy&#34; async&gt;&lt;/script&gt;" in page
    )
    # The compact frame is a sidebar's width, one line taller for the counting line.
    assert (
        "&lt;iframe src=&#34;https://donate.example.org/widget/eoy&#34; "
        "title=&#34;Donation drive progress&#34;\n        width=&#34;300&#34; "
        "height=&#34;266&#34;" in page
    )
    assert "https://donate.example.org/widget/eoy.svg&#34; width=&#34;240&#34;" in page
    assert 'data-testid="snippet-link">https://donate.example.org/widget/eoy</textarea>' in page
    assert 'data-testid="embed-options"' in page


def test_the_preview_frames_the_widget_and_its_image(admin_client, drive):
    response = admin_client.get(URL)
    page = response.get_data(as_text=True)

    assert '<iframe class="widget-preview" src="/widget/eoy"' in page
    assert '<img class="widget-preview" src="/widget/eoy.svg"' in page
    assert "/static/admin/widget_preview.js" in page
    assert " style=" not in page.split("<main>", 1)[1].replace("style=&#34;", "")


def test_the_form_needs_a_csrf_token(admin_client, drive):
    response = admin_client.post(URL, data=look(theme="dark"))

    assert response.status_code == 400
    assert get_drive("eoy").widget_theme == "light"
