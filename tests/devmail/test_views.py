"""The dev mailbox pages: the list, one message with its parts (the HTML one only
inside a sandboxed frame), login, and no such pages outside development."""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser

import pytest
from markupsafe import escape

from donation_drive import create_app
from donation_drive.admin.auth.accounts import create_admin
from donation_drive.devmail.store import caught_messages

from .. import conftest
from .conftest import other_settings
from .messages import HTML, PDF, SUBJECT, TEXT, send_to_sink

MAILBOX = "/admin/dev/mailbox/"


class Iframes(HTMLParser):
    """The attributes of every iframe in a page, as a browser would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.frames: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "iframe":
            self.frames.append(dict(attrs))


def iframes(page: str) -> list[dict[str, str | None]]:
    parser = Iframes()
    parser.feed(page)
    return parser.frames


@pytest.fixture
def caught(app, sink):
    send_to_sink(app.config["SMTP_PORT"])
    [message] = caught_messages(app.instance_path)
    return message


def test_the_list_shows_date_recipient_and_subject(admin_client, caught):
    page = admin_client.get(MAILBOX).get_data(as_text=True)

    table = page.split('data-testid="dev-mailbox"', 1)[1].split("</table>", 1)[0]
    assert "Ada Lovelace &lt;ada@example.org&gt;" in table
    assert f'href="{MAILBOX}{caught.key}">{SUBJECT}</a>' in table
    assert str(caught.received_at.year) in table


def test_an_empty_mailbox_says_how_to_fill_it(admin_client):
    page = admin_client.get(MAILBOX).get_data(as_text=True)
    assert "No mail caught yet" in page


def test_a_message_shows_headers_text_attachments_and_html_only_in_a_sandbox(admin_client, caught):
    response = admin_client.get(f"{MAILBOX}{caught.key}")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    headers = page.split('data-testid="mail-headers"', 1)[1].split("</table>", 1)[0]
    assert f'<th scope="row">Subject</th><td>{SUBJECT}</td>' in headers
    assert '<th scope="row">X-RcptTo</th>' in headers
    assert "ada@example.org, treasurer@example.org" in headers
    assert f'<pre class="mail-text" data-testid="mail-text">{escape(TEXT)}</pre>' in page
    attachments = page.split('data-testid="mail-attachments"', 1)[1].split("</table>", 1)[0]
    assert f'<td>receipt.pdf</td><td>application/pdf</td><td class="num">{len(PDF)}</td>' in (
        attachments
    )

    # The HTML is one attribute value of one sandboxed frame, and nothing else.
    [frame] = iframes(page)
    assert frame["srcdoc"].rstrip("\n") == HTML
    assert "sandbox" in frame and not frame["sandbox"]  # all restrictions: no scripts at all
    assert set(frame) == {"class", "title", "sandbox", "srcdoc", "data-testid"}
    assert "<script>" not in page
    assert "&lt;script&gt;document.body.dataset.ran" in page


def test_the_message_page_lets_the_frame_keep_inline_styles_but_no_scripts(admin_client, caught):
    policy = admin_client.get(f"{MAILBOX}{caught.key}").headers["Content-Security-Policy"]

    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["style-src"] == "'self' 'unsafe-inline'"
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"


def test_an_unknown_message_is_404(admin_client, caught):
    assert admin_client.get(f"{MAILBOX}{caught.key}x").status_code == 404
    assert admin_client.get(f"{MAILBOX}..").status_code == 404


def test_the_mailbox_needs_a_login(client, caught):
    for url in (MAILBOX, f"{MAILBOX}{caught.key}"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/admin/login")


def test_the_admin_menu_links_the_mailbox_in_development(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    nav = page.split('<nav aria-label="Admin">', 1)[1].split("</nav>", 1)[0]
    assert f'href="{MAILBOX}">Dev mailbox</a>' in nav
    # ...and marks it on its own page, which keeps the menu.
    page = admin_client.get(MAILBOX).get_data(as_text=True)
    assert f'href="{MAILBOX}" aria-current="page">Dev mailbox</a>' in page


@pytest.mark.parametrize("settings", ["production", "testing"])
def test_the_mailbox_does_not_exist_outside_development(settings, database_url, tmp_path):
    app = create_app(other_settings(settings, database_url), instance_path=str(tmp_path / "i"))
    with app.app_context():
        create_admin(conftest.ADMIN_EMAIL, conftest.ADMIN_PASSWORD)
    client = app.test_client()
    # Production's cookies are Secure: log in over (test) HTTPS so the session sticks,
    # with the Referer Flask-WTF wants on HTTPS.
    https = {"base_url": "https://localhost", "headers": {"Referer": "https://localhost/admin/"}}
    token = conftest.csrf_token_from(client.get("/admin/login", **https).get_data(as_text=True))
    login = {"email": conftest.ADMIN_EMAIL, "password": conftest.ADMIN_PASSWORD}
    logged_in = client.post("/admin/login", data={**login, "csrf_token": token}, **https)
    assert logged_in.status_code == 302
    assert client.get("/admin/", **https).status_code == 200

    for url in (MAILBOX, f"{MAILBOX}1700000000.M1P1Q1.host"):
        assert client.get(url, **https).status_code == 404
    assert not any(rule.rule.startswith("/admin/dev") for rule in app.url_map.iter_rules())
    assert "Dev mailbox" not in client.get("/admin/", **https).get_data(as_text=True)


def test_a_plain_text_message_shows_its_text_and_no_frame(app, sink, admin_client):
    plain = EmailMessage()
    plain["From"] = "someone@example.org"
    plain["To"] = "Zoë <zoe@example.org>"
    plain["Subject"] = "Reçu für Zoë ✓"
    plain.set_content("Danke <3\n")
    send_to_sink(app.config["SMTP_PORT"], plain)
    [caught] = caught_messages(app.instance_path)

    page = admin_client.get(f"{MAILBOX}{caught.key}").get_data(as_text=True)

    assert "<h1>Reçu für Zoë ✓</h1>" in page  # the encoded header, decoded
    assert ">Danke &lt;3\n</pre>" in page
    assert iframes(page) == []
    assert page.count('<p class="muted">None.</p>') == 2  # no HTML part, no attachments
