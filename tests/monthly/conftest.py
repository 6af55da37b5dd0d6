"""Monthly-gift tests: the app wired to the Stripe emulator (with a webhook secret
of its own per test) and to the in-process aiosmtpd server, giving to a drive that
runs today."""

import pytest

from donation_drive.models import Drive

from ..peers.smtp import SmtpServer
from ..providers.stripe.fixtures import (  # noqa: F401 - fixtures
    emulator,
    emulator_webhooks,
    webhook_secret,
)
from ..providers.stripe.support import emulator_settings

MAIL_FROM = "Patient Voices <giving@example.org>"


@pytest.fixture
def app_overrides(
    localstripe_base: str,
    webhook_secret: str,  # noqa: F811 - the imported fixture
    smtp_server: SmtpServer,
) -> dict[str, object]:
    return {
        **emulator_settings(localstripe_base, webhook_secret),
        "CHECKOUT_RATE_LIMIT": "1000 per minute",
        "CHECKOUT_EMAIL_RATE_LIMIT": "1000 per minute",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": smtp_server.port,
        "SMTP_TIMEOUT": 5,
        "MAIL_FROM": MAIL_FROM,
        "ORG_NAME": "Patient Voices",
        "PUBLIC_BASE_URL": "http://donate.example.org",
    }


@pytest.fixture
def drive(running_drive: Drive) -> Drive:
    return running_drive
