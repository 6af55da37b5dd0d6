import pytest

from donation_drive.models import Drive

from ..providers.stripe.fixtures import (  # noqa: F401 - fixtures
    app_overrides,
    emulator,
    emulator_webhooks,
    webhook_secret,
)


@pytest.fixture
def drive(running_drive: Drive) -> Drive:
    return running_drive
