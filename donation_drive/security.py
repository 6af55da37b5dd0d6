"""Security headers for every response, settings that must not reach production, and
trusting a reverse proxy's ``X-Forwarded-*`` headers only when told to.

Headers: the widget may be framed by anyone; nothing else may. The checkout page may
load Stripe.js and talk to Stripe, and nothing else foreign; no other page loads any
foreign script at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from .settings import DEFAULT_SECRET_KEY

# The Stripe emulator's stand-in credentials (the settings' defaults): fine on a
# laptop, and a sign of a forgotten setting anywhere real.
EMULATOR_CREDENTIALS = {
    "STRIPE_SECRET_KEY": "sk_test_localstripe",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_localstripe",
    "STRIPE_WEBHOOK_SECRET": "whsec_localstripe",
}
MIN_SECRET_KEY_LENGTH = 16
STRIPE_JS_ORIGIN = "https://js.stripe.com"


class UnsafeSettings(RuntimeError):
    """The settings would run production with a known or missing secret."""


def check_production_settings(config: Mapping[str, Any]) -> None:
    """In production (``DONATION_DRIVE_ENV=production``) refuse a default or short
    ``SECRET_KEY`` and the emulator's Stripe credentials; raise ``UnsafeSettings``
    listing every setting to fix. Other environments are not checked."""
    if config.get("ENV_NAME") != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET_KEY or len(secret) < MIN_SECRET_KEY_LENGTH:
        problems.append(
            "SECRET_KEY is the development default or shorter than "
            f"{MIN_SECRET_KEY_LENGTH} characters; set it to a long random value, e.g. "
            '`python -c "import secrets; print(secrets.token_urlsafe(48))"`'
        )
    for name, emulator_value in EMULATOR_CREDENTIALS.items():
        if config.get(name) in (None, "", emulator_value):
            problems.append(
                f"{name} is unset or the Stripe emulator's; set it from your Stripe account"
            )
    if problems:
        raise UnsafeSettings("refusing to start in production:\n  - " + "\n  - ".join(problems))


# PayPal is on when every one of these is set and off when none is (docs/paypal.md).
PAYPAL_REQUIRED_SETTINGS = (
    "PAYPAL_CLIENT_ID",
    "PAYPAL_CLIENT_SECRET",
    "PAYPAL_WEBHOOK_ID",
    "PAYPAL_RECEIVER_EMAIL",
)
PAYPAL_ADDRESS_SETTINGS = ("PAYPAL_API_BASE", "PAYPAL_JS_URL", "PAYPAL_IPN_VERIFY_URL")


def check_paypal_settings(config: Mapping[str, Any]) -> None:
    """Refuse a half-configured PayPal in every environment: with some of
    ``PAYPAL_REQUIRED_SETTINGS`` set and others not, PayPal would take payments it
    cannot verify or reconcile. Raises ``UnsafeSettings`` naming what is missing."""
    present = [name for name in PAYPAL_REQUIRED_SETTINGS if config.get(name)]
    if not present:
        return
    problems = [
        f"{name} is unset; PayPal needs it because {', '.join(present)} "
        f"{'is' if len(present) == 1 else 'are'} set (unset them all to turn PayPal off)"
        for name in PAYPAL_REQUIRED_SETTINGS
        if not config.get(name)
    ]
    for name in PAYPAL_ADDRESS_SETTINGS:
        parts = urlsplit(str(config.get(name) or ""))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            problems.append(f"{name} must be an http(s) address, got {config.get(name)!r}")
    if "@" not in str(config.get("PAYPAL_RECEIVER_EMAIL") or "@"):
        problems.append("PAYPAL_RECEIVER_EMAIL must be the PayPal account's email address")
    if problems:
        raise UnsafeSettings(
            "refusing to start with PayPal half-configured:\n  - " + "\n  - ".join(problems)
        )


def paypal_enabled(config: Mapping[str, Any]) -> bool:
    return all(config.get(name) for name in PAYPAL_REQUIRED_SETTINGS)


def trust_proxy_headers(app: Flask) -> None:
    """Behind a reverse proxy, read the client address, scheme, host, port and prefix
    from ``X-Forwarded-*``, trusting as many hops of each as ``PROXY_FIX_X_*`` says.
    All zero (the default) trusts none: a client could otherwise forge its address
    and slip past rate limits."""
    hops = {
        name: int(app.config.get(f"PROXY_FIX_X_{name.upper()}", 0) or 0)
        for name in ("for", "proto", "host", "port", "prefix")
    }
    if any(hops.values()):
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app,
            x_for=hops["for"],
            x_proto=hops["proto"],
            x_host=hops["host"],
            x_port=hops["port"],
            x_prefix=hops["prefix"],
        )


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _is(prefix: str) -> bool:
    return (request.endpoint or "").startswith(prefix)


def content_security_policy(style_sources: tuple[str, ...] = ()) -> str:
    """The page's CSP; ``style_sources`` adds to ``style-src`` (the widget image's
    own style sheet, by its hash)."""
    config = current_app.config
    stripe_js = _origin(config.get("STRIPE_JS_URL"))
    stripe_api = _origin(config.get("STRIPE_API_BASE")) or "https://api.stripe.com"
    script_src = "'self'"
    connect_src = "'self'"
    frame_src = "'self'"  # the admin's live widget preview
    # The donor pages that load Stripe.js: checkout, and the monthly gift's pages.
    if (_is("checkout.") or _is("monthly.")) and stripe_js:
        # Stripe.js itself loads helpers from its own subdomains (Stripe's CSP guide).
        stripe_scripts = stripe_js
        if stripe_js == STRIPE_JS_ORIGIN:
            stripe_scripts += " https://*.js.stripe.com"
        script_src += f" {stripe_scripts}"
        connect_src += f" {stripe_api}" + ("" if stripe_js == stripe_api else f" {stripe_js}")
        frame_src = f"{stripe_scripts} https://hooks.stripe.com"
        if paypal_enabled(config):
            # PayPal's JS SDK: its script, the calls it makes and the window it opens.
            paypal_js = _origin(config.get("PAYPAL_JS_URL"))
            paypal_api = _origin(config.get("PAYPAL_API_BASE"))
            extra = {paypal_js, paypal_api} - {""}
            if paypal_js == "https://www.paypal.com":
                extra |= {"https://*.paypal.com", "https://*.paypalobjects.com"}
            sources = " ".join(sorted(extra))
            script_src += f" {sources}"
            connect_src += f" {sources}"
            frame_src += f" {sources}"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            " ".join(("style-src 'self'", *style_sources)),
            "img-src 'self' data:",
            f"connect-src {connect_src}",
            f"frame-src {frame_src}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            # The quotes matter: a bare `none` would be read as a host called "none".
            "frame-ancestors " + ("*" if _is("widget.") else "'none'"),
        ]
    )


# A JSON answer is no document: nothing in it runs, loads, frames or navigates, so it
# gets the strictest policy and none of the document-only headers (a referrer or
# permissions policy governs nothing there). Every cached widget answer carries its
# headers, which nginx reads again on each hit (docs/benchmarks.md, widget freshness).
JSON_POLICY = "default-src 'none'; frame-ancestors 'none'"


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "application/json":
        headers.setdefault("Content-Security-Policy", JSON_POLICY)
    else:
        headers.setdefault("Content-Security-Policy", content_security_policy())
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not _is("widget."):
        headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
