"""The SMTP security settings against a real aiosmtpd with a certificate: STARTTLS
with a login, implicit TLS (SMTP_SSL), and a refused login that is retried, not lost.

The certificate is a throwaway self-signed one made with the ``openssl`` command;
``SSL_CERT_FILE`` makes the sender's default (verifying) TLS context trust it, the
way an operator would point it at a private CA.
"""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from donation_drive.emails import send_due_emails

from ..peers.ports import free_port
from ..peers.smtp import RecordingHandler
from .factories import give, outbox_row

USERNAME, PASSWORD = "drive-mailer", "s3cret-Passw0rd"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def trust_certificate(certificate, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


def _check_login(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USERNAME.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535


@pytest.fixture
def starttls_server(certificate) -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=_check_login,
        auth_required=True,
    )
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def implicit_tls_server(certificate) -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = RecordingHandler()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        ssl_context=_server_context(certificate),
        authenticator=_check_login,
        auth_required=True,
        auth_require_tls=False,  # the whole connection is TLS already
    )
    controller.start()
    yield controller, handler
    controller.stop()


def test_starttls_and_login_deliver_the_receipt(app, drive, starttls_server, trust_certificate):
    controller, handler = starttls_server
    app.config.update(
        SMTP_PORT=controller.port,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USERNAME,
        SMTP_PASSWORD=PASSWORD,
    )
    donation = give(drive)

    report = send_due_emails()

    assert report.sent == 1
    [message] = handler.messages
    assert donation.receipt_number in message["Subject"]


# aiosmtpd warns about AUTH without STARTTLS; with implicit TLS there is nothing to start.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
def test_implicit_tls_delivers_the_receipt(app, drive, implicit_tls_server, trust_certificate):
    controller, handler = implicit_tls_server
    app.config.update(
        SMTP_PORT=controller.port, SMTP_SSL=True, SMTP_USERNAME=USERNAME, SMTP_PASSWORD=PASSWORD
    )
    give(drive)

    assert send_due_emails().sent == 1
    assert len(handler.messages) == 1


def test_a_refused_login_is_retried_with_the_reason_kept(
    app, drive, starttls_server, trust_certificate
):
    controller, handler = starttls_server
    app.config.update(
        SMTP_PORT=controller.port, SMTP_STARTTLS=True, SMTP_USERNAME=USERNAME, SMTP_PASSWORD="wrong"
    )
    donation = give(drive)

    report = send_due_emails()

    row = outbox_row(donation.id)
    assert (report.retrying, report.stopped_early, row.status) == (1, True, "pending")
    assert "login to 127.0.0.1" in row.last_error and "535" in row.last_error
    assert handler.messages == []


def test_an_untrusted_certificate_is_not_accepted(app, drive, starttls_server):
    controller, handler = starttls_server
    app.config.update(
        SMTP_PORT=controller.port,
        SMTP_STARTTLS=True,
        SMTP_USERNAME=USERNAME,
        SMTP_PASSWORD=PASSWORD,
    )
    donation = give(drive)

    send_due_emails()

    row = outbox_row(donation.id)
    assert row.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in row.last_error
    assert handler.messages == []
