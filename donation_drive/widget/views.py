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

from ..extensions import limiter
from ..ledger import Progress, drive_progress
from .caching import cache_headers
from .oembed import discovery_links
from .presentation import widget_view

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


def _representation(slug: str, mimetype: str, render: Callable[[Progress], str]) -> Response:
    """One representation of a drive's figures with the shared caching rules; a
    matching If-None-Match gets a 304."""
    progress = drive_progress(slug)
    body = render(progress).encode("utf-8")
    response = Response(body, mimetype=mimetype)
    response.set_etag(hashlib.sha256(body).hexdigest()[:24])
    cache_headers(response)
    return response.make_conditional(request)


def _json(progress: Progress) -> str:
    return current_app.json.dumps(progress.as_json(), separators=(",", ":"))


def _page(progress: Progress) -> str:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return render_template(
        "widget/widget.html",
        view=widget_view(progress),
        donate_url=f"{base}/donate/{progress.slug}",
        oembed_links=discovery_links(f"{base}/widget/{progress.slug}", progress.title),
    )


def _image(progress: Progress) -> str:
    return render_template("widget/widget.svg", view=widget_view(progress))


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
