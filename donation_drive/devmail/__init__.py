"""The development mailbox: a local SMTP sink that keeps every message the service
sends in development in a Maildir under the instance folder (``sink``), and admin
pages that show what it caught (``views``). None of it exists outside development.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def dev_mailbox_enabled(config: Mapping[str, Any]) -> bool:
    """True only under the development settings: production and testing never get the
    sink nor the pages."""
    return config.get("ENV_NAME") == "development"
