"""The progress widget: JSON for anyone, an iframe page, an SVG image and a
script-tag embed. None of these touch the database while the totals are cached,
and once a representation has been served, ``fast_path`` serves it again without
entering Flask until the figures change."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, render_template, request

from ..ledger import Progress, drive_progress
from .fast_path import RENDERED_ENVIRON_KEY, install_fast_path
from .presentation import widget_view
from .rendering import rendered_cache, representation_key

bp = Blueprint("widget", __name__)
bp.record_once(lambda state: install_fast_path(state.app))


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """Any page may read the widget, errors included, so an embed can tell a wrong
    slug from a network failure."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _representation(
    kind: str, slug: str, mimetype: str, render: Callable[[Progress], str]
) -> Response:
    """The cached body of one representation, with the shared caching rules: a proxy
    or CDN may keep it a few seconds and serve stale copies while it revalidates; a
    matching If-None-Match gets a 304."""
    progress = drive_progress(slug)
    config = current_app.config
    body = rendered_cache(current_app).get_or_render(
        representation_key(kind, slug, config), progress, lambda: render(progress)
    )
    # Lets the fast path keep this response's headers to send with the next ones.
    request.environ[RENDERED_ENVIRON_KEY] = body
    response = Response(body.body, mimetype=mimetype)
    response.set_etag(body.etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={config['WIDGET_MAX_AGE']}, "
        f"stale-while-revalidate={config['WIDGET_STALE_WHILE_REVALIDATE']}"
    )
    response.vary.add("Accept-Encoding")
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
    return _representation("json", slug, "application/json", _json)


@bp.get("/widget/<slug>")
def widget_page(slug: str) -> Response:
    return _representation("html", slug, "text/html", _page)


@bp.get("/widget/<slug>.svg")
def widget_svg(slug: str) -> Response:
    return _representation("svg", slug, "image/svg+xml", _image)


@bp.get("/widget/embed.js")
def embed_js() -> Response:
    response = current_app.send_static_file("widget/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
