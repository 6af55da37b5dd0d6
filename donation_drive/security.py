"""Security headers for every response. The widget may be framed by anyone; nothing
else may. The checkout page may load Stripe.js and talk to Stripe, and nothing else
foreign."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, request
from werkzeug.wrappers import Response


def _origin(url: str | None) -> str:
    if not url:
        return ""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy() -> str:
    config = current_app.config
    stripe_js = _origin(config.get("STRIPE_JS_URL"))
    stripe_api = _origin(config.get("STRIPE_API_BASE")) or "https://api.stripe.com"
    framable = request.endpoint is not None and request.endpoint.startswith("widget.")
    script_src = "'self'"
    connect_src = "'self'"
    frame_src = "'self'"  # the admin's live widget preview
    if request.endpoint is not None and request.endpoint.startswith("checkout."):
        script_src += f" {stripe_js}"
        connect_src += f" {stripe_api} {stripe_js}"
        frame_src = f"{stripe_js} https://hooks.stripe.com"
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src {script_src}",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect_src}",
            f"frame-src {frame_src}",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {'*' if framable else 'none'}",
        ]
    )


def apply_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if not (request.endpoint or "").startswith("widget."):
        headers.setdefault("X-Frame-Options", "DENY")
    if current_app.config.get("HSTS"):
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
