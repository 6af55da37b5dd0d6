"""The development SMTP sink: what it catches, where it keeps it, and when it does not
start at all."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest

from donation_drive import create_app
from donation_drive.devmail import sink as sink_module
from donation_drive.devmail.sink import SinkUnavailable, start_dev_mailbox, start_mail_sink
from donation_drive.devmail.store import caught_messages, maildir_path
from donation_drive.emails import send_due_emails

from ..emails.factories import give
from ..peers.ports import free_port
from .conftest import development_settings, other_settings
from .messages import BCC, HTML, PDF, SUBJECT, TEXT, TO, send_to_sink


def nothing_listens(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def test_a_message_sent_with_smtplib_is_kept_in_the_instance_maildir(app, sink):
    send_to_sink(app.config["SMTP_PORT"])

    [caught] = caught_messages(app.instance_path)
    assert caught.subject == SUBJECT
    assert caught.to == TO
    assert caught.text_part() == TEXT
    assert caught.html_part().rstrip("\n") == HTML
    [attachment] = caught.attachments()
    assert (attachment.filename, attachment.content_type, attachment.size) == (
        "receipt.pdf",
        "application/pdf",
        len(PDF),
    )
    # The envelope, which a Bcc recipient appears in only, is kept as headers.
    headers = dict(caught.headers())
    assert headers["X-MailFrom"] == "donations@localhost"
    assert headers["X-RcptTo"] == f"ada@example.org, {BCC}"
    # A Maildir any process can read: one file under new/.
    assert len(list((maildir_path(app.instance_path) / "new").iterdir())) == 1


def test_a_receipt_the_service_sends_is_caught(app, sink, drive):
    donation = give(drive, amount=2_500, email="grace@example.org", name="Grace Hopper")

    report = send_due_emails()

    assert report.sent == 1
    [caught] = caught_messages(app.instance_path)
    assert caught.to == "Grace Hopper <grace@example.org>"
    assert donation.receipt_number in caught.subject
    assert "$25.00" in caught.text_part()
    assert "$25.00" in caught.html_part()


@pytest.mark.parametrize("settings", ["production", "testing"])
def test_the_sink_never_starts_outside_development(settings, database_url, tmp_path):
    port = free_port()
    config = other_settings(settings, database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    app = create_app(config, instance_path=str(tmp_path / "instance"))

    assert start_mail_sink(app) is None
    assert nothing_listens(port)
    assert not maildir_path(app.instance_path).exists()


def test_the_sink_leaves_a_real_mail_server_alone(database_url, tmp_path):
    settings = development_settings(database_url, SMTP_HOST="smtp.example.org")
    app = create_app(settings, instance_path=str(tmp_path / "instance"))

    assert start_mail_sink(app) is None


def test_a_taken_port_is_reported_plainly(app):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", app.config["SMTP_PORT"]))
        taken.listen()
        with pytest.raises(SinkUnavailable, match=r"127\.0\.0\.1:\d+ is taken"):
            start_mail_sink(app)


def test_a_missing_aiosmtpd_is_reported_plainly(app, monkeypatch):
    monkeypatch.setitem(sys.modules, "aiosmtpd.controller", None)  # as if not installed

    with pytest.raises(SinkUnavailable, match=r"aiosmtpd is not installed.*'\.\[dev\]'"):
        start_mail_sink(app)


@pytest.fixture
def at_exit(monkeypatch) -> Iterator[list[Callable[[], None]]]:
    """What the dev command leaves for the end of the process; run after the test."""
    callbacks: list[Callable[[], None]] = []
    monkeypatch.setattr(sink_module, "atexit", SimpleNamespace(register=callbacks.append))
    yield callbacks
    for callback in callbacks:
        callback()


def test_the_dev_command_prints_the_mailbox_link_and_catches_mail(app, at_exit, capsys):
    start_dev_mailbox(app, "http://127.0.0.1:5000")

    out = capsys.readouterr().out
    assert "Mailbox:   http://127.0.0.1:5000/admin/dev/mailbox/" in out
    send_to_sink(app.config["SMTP_PORT"])
    assert len(caught_messages(app.instance_path)) == 1
    assert len(at_exit) == 1  # the sink stops with the process


def test_the_dev_command_under_production_settings_starts_no_sink(
    database_url, tmp_path, at_exit, capsys
):
    port = free_port()
    config = other_settings("production", database_url, SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    app = create_app(config, instance_path=str(tmp_path / "instance"))

    start_dev_mailbox(app, "http://127.0.0.1:5000")

    assert capsys.readouterr().out == f"Mail:      sent to 127.0.0.1:{port}\n"
    assert nothing_listens(port)
    assert at_exit == []


def test_the_dev_command_says_why_nothing_catches_mail(app, at_exit, capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", app.config["SMTP_PORT"]))
        taken.listen()
        start_dev_mailbox(app, "http://127.0.0.1:5000")

    captured = capsys.readouterr()
    assert "is taken (another mail server?)" in captured.err
    assert "Mailbox:" not in captured.out
