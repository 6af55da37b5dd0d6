"""The settings file of a checkout: Donation Drive's settings classes, re-exported.

They live in ``donation_drive/settings.py`` (the only reader of ``os.environ``), so
an installed wheel carries them and puts no top-level ``config`` module into
site-packages; this file keeps ``from config import ...`` working in a checkout,
where the repo root is on ``sys.path`` (tests, scripts). docs/architecture.md.
"""

from __future__ import annotations

from pathlib import Path

from donation_drive.settings import (
    CONFIGS,
    DEFAULT_SECRET_KEY,
    Config,
    DevelopmentConfig,
    ProductionConfig,
    TestingConfig,
    config_from_environment,
)

BASE_DIR = Path(__file__).resolve().parent  # the checkout's root, which holds migrations/

__all__ = [
    "BASE_DIR",
    "CONFIGS",
    "DEFAULT_SECRET_KEY",
    "Config",
    "DevelopmentConfig",
    "ProductionConfig",
    "TestingConfig",
    "config_from_environment",
]
