from .fixtures import (  # noqa: F401 - fixtures
    app_overrides,
    emulator,
    emulator_webhooks,
    webhook_secret,
)
