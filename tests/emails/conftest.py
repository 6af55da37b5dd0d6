"""The email tests' app: SMTP settings pointing at the in-process aiosmtpd server,
and the organisation details a receipt shows."""

from __future__ import annotations

import pytest

from ..peers.smtp import SmtpServer
from .factories import (
    MAIL_FROM,
    MAX_ATTEMPTS,
    ORG_ADDRESS,
    ORG_NAME,
    PUBLIC_BASE_URL,
    REPLY_TO,
    RETRY_BASE_SECONDS,
    TAX_STATEMENT,
)


@pytest.fixture
def app_overrides(smtp_server: SmtpServer) -> dict[str, object]:
    return {
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "SMTP_TIMEOUT": 5,
        "MAIL_FROM": MAIL_FROM,
        "MAIL_REPLY_TO": REPLY_TO,
        "ORG_NAME": ORG_NAME,
        "ORG_ADDRESS": ORG_ADDRESS,
        "ORG_TAX_STATEMENT": TAX_STATEMENT,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "ADMIN_TIMEZONE": "America/New_York",
        "EMAIL_MAX_ATTEMPTS": MAX_ATTEMPTS,
        "EMAIL_RETRY_BASE_SECONDS": RETRY_BASE_SECONDS,
    }
