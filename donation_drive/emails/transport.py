"""SMTP delivery: the one place in the service that talks to a mail server.

A ``SmtpTransport`` opens one connection lazily and reuses it for a batch. Every
failure comes out as one of two exceptions, so the sender only decides what to do
with the row:

* ``TemporaryFailure``: try again later (the server is down or slow, a 4xx reply,
  or a problem with our own settings such as a refused login, which an operator
  can fix without the message changing). ``ConnectionFailure`` is the subset where
  the connection itself is gone, so the rest of the batch should wait too.
* ``PermanentFailure``: a 5xx reply about this message or recipient; sending the
  same message again would get the same answer.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from types import TracebackType
from typing import Any

MAX_ERROR_LENGTH = 1000


class DeliveryFailure(Exception):
    """Delivery did not happen; ``str(exc)`` is what admins see as the row's error."""

    def __init__(self, message: str) -> None:
        super().__init__(message[:MAX_ERROR_LENGTH])


class TemporaryFailure(DeliveryFailure):
    pass


class ConnectionFailure(TemporaryFailure):
    """No usable connection to the server: nothing else in this batch can go either."""


class PermanentFailure(DeliveryFailure):
    pass


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    ssl: bool
    timeout: float

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> SmtpSettings:
        return cls(
            host=config["SMTP_HOST"],
            port=int(config["SMTP_PORT"]),
            username=config.get("SMTP_USERNAME"),
            password=config.get("SMTP_PASSWORD"),
            starttls=bool(config.get("SMTP_STARTTLS")),
            ssl=bool(config.get("SMTP_SSL")),
            timeout=float(config.get("SMTP_TIMEOUT") or 20),
        )


def _reply(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return f"{code} {' '.join(text.split())}"


def _reason(exc: Exception) -> str:
    """``Connection refused``, not ``[Errno 111] Connection refused``."""
    return (exc.strerror if isinstance(exc, OSError) else None) or str(exc) or type(exc).__name__


def _by_code(code: int, text: bytes | str, stage: str) -> DeliveryFailure:
    reply = _reply(code, text)
    if 500 <= code < 600:
        return PermanentFailure(f"{stage} refused: {reply}")
    return TemporaryFailure(f"{stage} deferred: {reply}")


class SmtpTransport:
    """Delivers messages over one SMTP connection, opened on first use.

    Use as a context manager so the connection is closed (QUIT) at the end.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._smtp is None:
            return
        smtp, self._smtp = self._smtp, None
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        where = f"{s.host}:{s.port}"
        smtp: smtplib.SMTP | None = None
        try:
            if s.ssl:
                smtp = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
            if s.starttls and not s.ssl:
                smtp.starttls(context=ssl.create_default_context())
            if s.username:
                smtp.login(s.username, s.password or "")
            return smtp
        except smtplib.SMTPAuthenticationError as exc:
            self._abandon(smtp)
            raise ConnectionFailure(
                f"login to {where} refused (check SMTP_USERNAME/SMTP_PASSWORD): "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            self._abandon(smtp)
            raise ConnectionFailure(
                f"{where} does not support what the settings ask: {exc}"
            ) from None
        except smtplib.SMTPResponseException as exc:
            self._abandon(smtp)
            raise ConnectionFailure(
                f"{where} refused the session: {_reply(exc.smtp_code, exc.smtp_error)}"
            ) from None
        except ssl.SSLError as exc:
            self._abandon(smtp)
            raise ConnectionFailure(f"TLS with SMTP {where} failed: {exc}") from None
        except (smtplib.SMTPException, OSError) as exc:
            self._abandon(smtp)
            raise ConnectionFailure(f"SMTP {where} unreachable ({_reason(exc)})") from None

    @staticmethod
    def _abandon(smtp: smtplib.SMTP | None) -> None:
        if smtp is not None:
            smtp.close()

    def send(self, message: EmailMessage, *, envelope_from: str, recipient: str) -> None:
        """Hand ``message`` to the server for ``recipient``; returns once accepted.

        Raises ``TemporaryFailure`` (possibly ``ConnectionFailure``) or
        ``PermanentFailure``; never anything else for an SMTP or network problem.
        """
        if self._smtp is None:
            self._smtp = self._connect()
        try:
            self._smtp.send_message(message, from_addr=envelope_from, to_addrs=[recipient])
        except smtplib.SMTPException as exc:
            if self._smtp is not None and getattr(self._smtp, "sock", None) is None:
                # smtplib hangs up itself after a 421; reconnect for the next message.
                self._smtp = None
            raise self._classify(exc) from None
        except OSError as exc:
            # Timed out or reset mid-conversation: the connection is unusable.
            self._abandon(self._smtp)
            self._smtp = None
            raise ConnectionFailure(f"connection lost: {exc or type(exc).__name__}") from None

    def _classify(self, exc: smtplib.SMTPException) -> DeliveryFailure:
        if isinstance(exc, smtplib.SMTPRecipientsRefused):
            code, text = next(iter(exc.recipients.values()))
            return _by_code(code, text, "recipient")
        if isinstance(exc, smtplib.SMTPSenderRefused):
            # The server will not take mail from MAIL_FROM: a setting to fix, not this
            # message's fault, so it is retried like a temporary failure.
            return TemporaryFailure(
                f"sender {exc.sender!r} refused (check MAIL_FROM): "
                f"{_reply(exc.smtp_code, exc.smtp_error)}"
            )
        if isinstance(exc, smtplib.SMTPHeloError):
            self._abandon(self._smtp)
            self._smtp = None
            return ConnectionFailure(
                f"server refused our greeting: {_reply(exc.smtp_code, exc.smtp_error)}"
            )
        if isinstance(exc, smtplib.SMTPNotSupportedError):
            # e.g. a non-ASCII mailbox name and a server without SMTPUTF8.
            return PermanentFailure(f"server cannot deliver to this address: {exc}")
        if isinstance(exc, smtplib.SMTPResponseException):
            return _by_code(exc.smtp_code, exc.smtp_error, "message")
        # SMTPServerDisconnected and friends: the connection is gone.
        self._abandon(self._smtp)
        self._smtp = None
        return ConnectionFailure(f"connection lost: {exc or type(exc).__name__}")
