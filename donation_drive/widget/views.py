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
import time
from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template, request

from ..ledger import Progress, drive_progress
from .presentation import widget_view

bp = Blueprint("widget", __name__)


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """Any page may read the widget, errors included, so an embed can tell a wrong
    slug from a network failure."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def cache_headers(response: Response) -> None:
    """The caching rules of every widget representation: a proxy, CDN or browser
    may keep it ``WIDGET_MAX_AGE`` seconds and serve it stale for
    ``WIDGET_STALE_WHILE_REVALIDATE`` more while it revalidates.

    nginx counts ``max-age`` from the whole second it stored the copy in, so
    ``max-age=1`` would keep it fresh for up to 2 s. ``X-Accel-Expires: @<epoch>``
    (nginx only; it never passes it on) ends its copy's freshness at the end of a
    whole second instead: at most ``WIDGET_MAX_AGE`` seconds from now. It comes
    after Cache-Control, so nginx still reads ``stale-while-revalidate`` there.
    """
    config = current_app.config
    max_age = int(config["WIDGET_MAX_AGE"])
    response.headers["Cache-Control"] = (
        f"public, max-age={max_age}, "
        f"stale-while-revalidate={int(config['WIDGET_STALE_WHILE_REVALIDATE'])}"
    )
    if max_age > 0:
        response.headers["X-Accel-Expires"] = f"@{int(time.time()) + max_age - 1}"
    # No Vary: the app never compresses, and a proxy keeps one copy per value of
    # each header named there (a browser's "gzip, br" and a client's "identity"
    # would each wait for their own refresh).


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
