"""Settings for Donation Drive.

Every secret and every address comes from an environment variable; this is the
only module that reads ``os.environ``. ``create_app`` picks a class by
``DONATION_DRIVE_ENV`` (development, production, testing) unless one is passed in.
It lives inside the package so an installed wheel has it; ``config.py`` at the root
of a checkout re-exports it (docs/architecture.md).
"""

from __future__ import annotations

import os

DEFAULT_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - refused in production


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_int(name: str, default: int) -> int:
    raw = _env(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise RuntimeError(f"setting {name} must be an integer, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = _env(name)
    if raw is None:
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


class Config:
    ENV_NAME = "base"
    # The instance folder (SQLite file, dev mailbox, template overrides). None means
    # Flask's default: instance/ at the root of a checkout (editable install), but
    # <venv>/var/donation_drive-instance for an installed wheel (docs/deployment.md).
    INSTANCE_PATH = _env("DONATION_DRIVE_INSTANCE_PATH")
    SECRET_KEY = _env("SECRET_KEY", DEFAULT_SECRET_KEY)
    # None means "a SQLite file under the instance folder", resolved in create_app.
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    # No pool_pre_ping: connections are pinged only after sitting idle
    # (donation_drive.database.configure_engine_events).
    SQLALCHEMY_ENGINE_OPTIONS: dict = {}

    # Stripe. STRIPE_API_BASE / STRIPE_JS_URL point at a local emulator in development.
    STRIPE_SECRET_KEY = _env("STRIPE_SECRET_KEY", "sk_test_localstripe")
    STRIPE_PUBLISHABLE_KEY = _env("STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe")
    STRIPE_WEBHOOK_SECRET = _env("STRIPE_WEBHOOK_SECRET", "whsec_localstripe")
    STRIPE_API_BASE = _env("STRIPE_API_BASE")
    STRIPE_JS_URL = _env("STRIPE_JS_URL", "https://js.stripe.com/v3/")
    STRIPE_WEBHOOK_TOLERANCE = _env_int("STRIPE_WEBHOOK_TOLERANCE", 300)
    # Ask Stripe to email its own payment receipt too (real Stripe only; docs/checkout.md).
    STRIPE_RECEIPT_EMAIL = _env_bool("STRIPE_RECEIPT_EMAIL", True)

    # PayPal (docs/paypal.md). Off while all of CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID and
    # RECEIVER_EMAIL are unset; the app refuses to start with only some of them set.
    # PAYPAL_API_BASE and PAYPAL_IPN_VERIFY_URL are PayPal's live addresses by default
    # (sandbox: https://api-m.sandbox.paypal.com, https://ipnpb.sandbox.paypal.com/cgi-bin/webscr).
    PAYPAL_CLIENT_ID = _env("PAYPAL_CLIENT_ID")
    PAYPAL_CLIENT_SECRET = _env("PAYPAL_CLIENT_SECRET")
    PAYPAL_WEBHOOK_ID = _env("PAYPAL_WEBHOOK_ID")
    PAYPAL_RECEIVER_EMAIL = _env("PAYPAL_RECEIVER_EMAIL")
    PAYPAL_API_BASE = _env("PAYPAL_API_BASE", "https://api-m.paypal.com")
    PAYPAL_JS_URL = _env("PAYPAL_JS_URL", "https://www.paypal.com/sdk/js")
    PAYPAL_IPN_VERIFY_URL = _env("PAYPAL_IPN_VERIFY_URL", "https://ipnpb.paypal.com/cgi-bin/webscr")
    PAYPAL_TIMEOUT_SECONDS = _env_int("PAYPAL_TIMEOUT_SECONDS", 20)
    # How often the worker retries IPN messages PayPal could not validate at once.
    PAYPAL_IPN_RETRY_INTERVAL = _env_int("PAYPAL_IPN_RETRY_INTERVAL", 120)

    # Checkout limits, in minor units of the drive's currency.
    DONATION_MIN_AMOUNT = _env_int("DONATION_MIN_AMOUNT", 500)
    DONATION_MAX_AMOUNT = _env_int("DONATION_MAX_AMOUNT", 2_500_000)
    DONATION_PRESET_AMOUNTS = [
        int(x) for x in (_env("DONATION_PRESET_AMOUNTS", "2500,5000,10000,25000") or "").split(",")
    ]
    CHECKOUT_RATE_LIMIT = _env("CHECKOUT_RATE_LIMIT", "10 per minute;30 per hour")
    CHECKOUT_EMAIL_RATE_LIMIT = _env("CHECKOUT_EMAIL_RATE_LIMIT", "5 per hour")
    # "Cover the fee": Stripe's card fee, percent in basis points plus a fixed part.
    CHECKOUT_FEE_BASIS_POINTS = _env_int("CHECKOUT_FEE_BASIS_POINTS", 290)
    CHECKOUT_FEE_FIXED = _env_int("CHECKOUT_FEE_FIXED", 30)
    LOGIN_RATE_LIMIT = _env("LOGIN_RATE_LIMIT", "5 per minute;30 per hour")
    RATELIMIT_STORAGE_URI = _env("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True

    # Mail.
    SMTP_HOST = _env("SMTP_HOST", "localhost")
    SMTP_PORT = _env_int("SMTP_PORT", 25)
    SMTP_USERNAME = _env("SMTP_USERNAME")
    SMTP_PASSWORD = _env("SMTP_PASSWORD")
    SMTP_STARTTLS = _env_bool("SMTP_STARTTLS", False)
    SMTP_SSL = _env_bool("SMTP_SSL", False)
    SMTP_TIMEOUT = _env_int("SMTP_TIMEOUT", 20)
    MAIL_FROM = _env("MAIL_FROM", "Donation Drive <donations@localhost>")
    MAIL_REPLY_TO = _env("MAIL_REPLY_TO")
    EMAIL_MAX_ATTEMPTS = _env_int("EMAIL_MAX_ATTEMPTS", 8)
    EMAIL_RETRY_BASE_SECONDS = _env_int("EMAIL_RETRY_BASE_SECONDS", 60)

    # The organisation, as it appears on receipts.
    ORG_NAME = _env("ORG_NAME", "Donation Drive")
    ORG_ADDRESS = _env("ORG_ADDRESS", "")
    ORG_TAX_STATEMENT = _env(
        "ORG_TAX_STATEMENT", "No goods or services were provided in exchange for this gift."
    )
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    # How long a monthly gift's manage link (in every receipt) stays good, seconds.
    MONTHLY_MANAGE_LINK_MAX_AGE = _env_int("MONTHLY_MANAGE_LINK_MAX_AGE", 60 * 24 * 3600)
    # Year-end giving statements cover the calendar year (1) or a fiscal year starting
    # in this month; fiscal year Y ends in year Y (7: July Y-1 to June Y).
    FISCAL_YEAR_START_MONTH = _env_int("FISCAL_YEAR_START_MONTH", 1)

    # Widget: how long the proxy in front (and any HTTP cache) may keep a copy, and
    # serve it stale while refreshing it. A ledger commit shows through the
    # documented nginx within their sum (docs/deployment.md §5): 2 s by default.
    WIDGET_MAX_AGE = _env_int("WIDGET_MAX_AGE", 1)
    WIDGET_STALE_WHILE_REVALIDATE = _env_int("WIDGET_STALE_WHILE_REVALIDATE", 1)
    DEFAULT_LOCALE = _env("DEFAULT_LOCALE", "en_US")
    # The organisation's time zone (IANA name): days on the dashboard chart, admin
    # date filters and the dates admins see.
    ADMIN_TIMEZONE = _env("ADMIN_TIMEZONE", "UTC")
    # The largest request body anyone may send (a CSV import is the biggest), and the
    # import's own limits on the file and its rows.
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)
    IMPORT_MAX_BYTES = _env_int("IMPORT_MAX_BYTES", 2 * 1024 * 1024)
    IMPORT_MAX_ROWS = _env_int("IMPORT_MAX_ROWS", 5000)
    IMPORT_PREVIEW_MINUTES = _env_int("IMPORT_PREVIEW_MINUTES", 30)  # to confirm a preview

    # Scheduler intervals (seconds) and job leases.
    RECONCILE_INTERVAL = _env_int("RECONCILE_INTERVAL", 300)
    SEND_EMAILS_INTERVAL = _env_int("SEND_EMAILS_INTERVAL", 60)
    RECONCILE_OVERLAP_SECONDS = _env_int("RECONCILE_OVERLAP_SECONDS", 3600)
    JOB_LEASE_SECONDS = _env_int("JOB_LEASE_SECONDS", 600)
    # A payment reconcile records is "missing webhooks" only once it is this old.
    RECONCILE_WEBHOOK_GRACE_SECONDS = _env_int("RECONCILE_WEBHOOK_GRACE_SECONDS", 300)

    # Admin sessions are rows in admin_sessions (donation_drive/admin/auth/sessions.py):
    # one ends after this many minutes without a request, and this many hours after
    # its login whatever happens. Flask's PERMANENT_SESSION_LIFETIME stays at its
    # default: it bounds every session cookie, donors' CSRF secret included.
    ADMIN_SESSION_IDLE_MINUTES = _env_int("ADMIN_SESSION_IDLE_MINUTES", 30)
    ADMIN_SESSION_LIFETIME_HOURS = _env_int("ADMIN_SESSION_LIFETIME_HOURS", 12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SECURE = True
    WTF_CSRF_TIME_LIMIT = None
    HSTS = True
    LOG_LEVEL = _env("LOG_LEVEL", "INFO")
    # Observability and deployment (docs/deployment.md).
    # "auto": text on a terminal or in development, else JSON; "json" or "text" forces one.
    LOG_FORMAT = _env("LOG_FORMAT", "auto")
    ACCESS_LOG = _env_bool("ACCESS_LOG", True)
    METRICS_TOKEN = _env("METRICS_TOKEN")  # when set, /metrics wants "Authorization: Bearer ..."
    # Set for several gunicorn workers; prometheus_client reads it at import too.
    PROMETHEUS_MULTIPROC_DIR = _env("PROMETHEUS_MULTIPROC_DIR")
    # The worker's own /metrics (it has no web server): 0 = off.
    WORKER_METRICS_PORT = _env_int("WORKER_METRICS_PORT", 0)
    WORKER_METRICS_ADDRESS = _env("WORKER_METRICS_ADDRESS", "127.0.0.1")
    # How many proxies in front to trust for each X-Forwarded-* header (0: none).
    PROXY_FIX_X_FOR = _env_int("PROXY_FIX_X_FOR", 0)
    PROXY_FIX_X_PROTO = _env_int("PROXY_FIX_X_PROTO", 0)
    PROXY_FIX_X_HOST = _env_int("PROXY_FIX_X_HOST", 0)
    PROXY_FIX_X_PORT = _env_int("PROXY_FIX_X_PORT", 0)
    PROXY_FIX_X_PREFIX = _env_int("PROXY_FIX_X_PREFIX", 0)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HSTS = False
    STRIPE_API_BASE = _env("STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_JS_URL = _env("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/")
    SMTP_PORT = _env_int("SMTP_PORT", 8025)  # the dev mailbox's sink (donation_drive/devmail)
    # Receipts reach the dev mailbox within seconds of the thank-you page.
    SEND_EMAILS_INTERVAL = _env_int("SEND_EMAILS_INTERVAL", 3)


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret"  # noqa: S105
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    HSTS = False
    WTF_CSRF_ENABLED = True
    RATELIMIT_ENABLED = True
    # Tests read log lines as JSON, whether or not a terminal runs them (pytest -s).
    LOG_FORMAT = _env("LOG_FORMAT", "json")


class ProductionConfig(Config):
    ENV_NAME = "production"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "production": ProductionConfig,
    "testing": TestingConfig,
}


def config_from_environment() -> type[Config]:
    name = _env("DONATION_DRIVE_ENV", "development") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"DONATION_DRIVE_ENV must be one of {sorted(CONFIGS)}, got {name!r}"
        ) from None
