"""The progress widget: JSON for anyone, an iframe page, an SVG image and a
script-tag embed.

Each request reads the drive's running totals (one indexed row) and renders the
answer; nothing is cached in the process. The widget's one cache is the HTTP cache
in front of the app (nginx, docs/deployment.md §5): the answer says how long a copy
may be kept (``WIDGET_MAX_AGE``, and ``X-Accel-Expires`` so nginx's copy expires at
a whole-second boundary rather than up to a second later) and how long a stale one
may be served while the proxy refreshes it (``WIDGET_STALE_WHILE_REVALIDATE``), so a
ledger commit shows through the proxy within their sum. Every request goes through
Flask's own hooks (security headers, CORS, request id, metrics, access log); the
ETag is a hash of the body, the same on every instance for the same figures.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template, request

from ..i18n import display_locale, html_lang, lang_query, speaking
from ..ledger import Progress, drive_progress
from .caching import cache_headers
from .oembed import discovery_links
from .presentation import widget_text, widget_view

bp = Blueprint("widget", __name__)


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """Any page may read the widget, errors included, so an embed can tell a wrong
    slug from a network failure."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _representation(slug: str, mimetype: str, render: Callable[[Progress, str], str]) -> Response:
    """One representation of a drive's figures with the shared caching rules, in the
    drive's language or the one ``?lang=`` asks for; a matching If-None-Match gets a
    304."""
    progress = drive_progress(slug)
    locale = display_locale(progress.locale, request.args.get("lang"))
    with speaking(locale):
        body = render(progress, locale).encode("utf-8")
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:24])
    cache_headers(response)
    return response.make_conditional(request)


def _json(progress: Progress, locale: str) -> str:
    text = widget_text(widget_view(progress, locale), locale)
    return current_app.json.dumps({**progress.as_json(), "text": text}, separators=(",", ":"))


def _page(progress: Progress, locale: str) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return render_template(
        "widget/widget.html",
        view=widget_view(progress, locale),
        lang=html_lang(locale),
        donate_url=f"{base}/donate/{progress.slug}{lang_query(locale, progress.locale)}",
        oembed_links=discovery_links(f"{base}/widget/{progress.slug}", progress.title),
    )


def _image(progress: Progress, locale: str) -> str:
    return render_template(
        "widget/widget.svg", view=widget_view(progress, locale), lang=html_lang(locale)
    )


@bp.get("/api/v1/drives/<slug>")
def progress_json(slug: str) -> Response:
    return _representation(slug, "application/json", _json)


@bp.get("/widget/<slug>")
def widget_page(slug: str) -> Response:
    return _representation(slug, "text/html", _page)


@bp.get("/widget/<slug>.svg")
def widget_svg(slug: str) -> Response:
    return _representation(slug, "image/svg+xml", _image)


@bp.get("/widget/embed.js")
def embed_js() -> Response:
    response = current_app.send_static_file("widget/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
