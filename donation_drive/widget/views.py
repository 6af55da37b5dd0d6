"""The progress widget: JSON for anyone, an iframe page, an SVG image and a
script-tag embed.

Each answer Flask writes reads the drive's running totals (one indexed row) and
renders. It says how long a copy may be kept (``WIDGET_MAX_AGE``, and
``X-Accel-Expires`` so nginx's copy expires at a whole-second boundary rather than
up to a second later) and how long a stale one may be served while a proxy
refreshes it (``WIDGET_STALE_WHILE_REVALIDATE``), so a ledger commit shows through
the proxy within their sum. The process replays that answer, as written, until the
same boundary (``response_cache``), so the app's copy adds nothing to the proxy's.
The ETag is a hash of the body, the same on every instance for the same figures.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template, request

from ..extensions import limiter
from ..i18n import html_lang, lang_query, request_locale, speaking
from ..ledger import Progress, drive_progress
from ..security import content_security_policy
from .caching import cache_headers
from .image import image_layout
from .oembed import discovery_links
from .presentation import widget_text, widget_view
from .response_cache import keep_this_answer
from .themes import (
    Theme,
    accent_from_digits,
    accent_stylesheet,
    drive_theme,
    palette,
    theme_from_query,
)

bp = Blueprint("widget", __name__)


@limiter.request_filter
def _never_rate_limited() -> bool:
    """No rate limit, even an application-wide one, applies to the widget: readers
    behind one NAT or office proxy share an address, and the proxy's cache is what
    absorbs a flood of readers. Flask-Limiter stops at a filter before resolving any
    limit (which it otherwise does for every request, exempt or not)."""
    return request.blueprint == bp.name


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """Any page may read the widget, errors included, so an embed can tell a wrong
    slug from a network failure."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _representation(
    slug: str,
    mimetype: str,
    render: Callable[[Progress, str], str],
    headers: Callable[[bytes], dict[str, str]] | None = None,
) -> Response:
    """One representation of a drive's figures with the shared caching rules, in the
    drive's language or the one ``?lang=`` asks for; a matching If-None-Match gets a
    304 (with the same ``headers(body)``: a 304's headers replace the cached copy's)."""
    progress = drive_progress(slug)
    locale = request_locale(progress.locale)
    with speaking(locale):
        body = render(progress, locale).encode("utf-8")
    response = Response(body, mimetype=mimetype)
    if headers is not None:
        response.headers.update(headers(body))
    response.set_etag(hashlib.sha256(body).hexdigest()[:24])
    cache_headers(response)
    keep_this_answer()
    return response.make_conditional(request)


def _json(progress: Progress, locale: str) -> str:
    view = widget_view(progress, locale)
    body = {**progress.as_json(), "text": widget_text(view, locale)}
    if body["counting"] is not None:
        # The line in words too, so the script embed says what the page and image say.
        body["counting"]["line"] = view.counting_line
    return current_app.json.dumps(body, separators=(",", ":"))


def _theme(progress: Progress) -> Theme:
    """The drive's look with what this request's query string asks for (a 400 naming
    the parameter for a value the widget does not know). The query string is part of
    nginx's cache key ($request_uri), so each look is cached on its own."""
    return theme_from_query(request.args, drive_theme(progress))


def _page(progress: Progress, locale: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return render_template(
        "widget/widget.html",
        view=widget_view(progress, locale),
        theme=_theme(progress),
        lang=html_lang(locale),
        donate_url=f"{base}/donate/{progress.slug}{lang_query(locale, progress.locale)}",
        oembed_links=discovery_links(f"{base}/widget/{progress.slug}", progress.title),
    )


def _image(progress: Progress, locale: str) -> str:
    theme = _theme(progress)
    return render_template(
        "widget/widget.svg",
        view=widget_view(progress, locale),
        lang=html_lang(locale),
        g=image_layout(theme.layout),
        c=palette(theme, dark=theme.scheme == "dark"),
        dark=palette(theme, dark=True) if theme.scheme == "auto" else None,
    )


@bp.get("/api/v1/drives/<slug>")
def progress_json(slug: str) -> Response:
    return _representation(slug, "application/json", _json)


@bp.get("/widget/<slug>")
def widget_page(slug: str) -> Response:
    return _representation(slug, "text/html", _page)


_SVG_STYLE = re.compile(rb"<style>(.*?)</style>", re.S)


def _image_policy(body: bytes) -> dict[str, str]:
    """An auto image's dark palette is an inline style sheet: the CSP allows exactly
    it, by its hash (opened on its own, the image is a document the CSP governs)."""
    match = _SVG_STYLE.search(body)
    if match is None:
        return {}
    digest = base64.b64encode(hashlib.sha256(match.group(1)).digest()).decode()
    return {"Content-Security-Policy": content_security_policy((f"'sha256-{digest}'",))}


@bp.get("/widget/<slug>.svg")
def widget_svg(slug: str) -> Response:
    return _representation(slug, "image/svg+xml", _image, _image_policy)


@bp.get("/widget/accent/<digits>.css")
def accent_css(digits: str) -> Response:
    """An accent's colours for the iframe page and the script embed: the same for
    everyone for ever, so any cache may keep it a year."""
    body = accent_stylesheet(accent_from_digits(digits))
    response = Response(body, mimetype="text/css")
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@bp.get("/widget/embed.js")
def embed_js() -> Response:
    response = current_app.send_static_file("widget/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
