"""The progress widget: JSON for anyone, an iframe page, an SVG image and a
script-tag embed. None of these touch the database while the totals are cached."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from ..ledger import drive_progress
from .presentation import widget_view
from .rendering import Rendered, rendered

bp = Blueprint("widget", __name__)


@bp.after_request
def _open_to_every_origin(response: Response) -> Response:
    """Any page may read the widget, errors included, so an embed can tell a wrong
    slug from a network failure."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    return response


def _cacheable(body: Rendered, mimetype: str) -> Response:
    """Shared caching rules: a proxy or CDN may serve these for a few seconds and
    serve stale copies while it revalidates; a matching If-None-Match gets a 304."""
    config = current_app.config
    response = Response(body.body, mimetype=mimetype)
    response.set_etag(body.etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={config['WIDGET_MAX_AGE']}, "
        f"stale-while-revalidate={config['WIDGET_STALE_WHILE_REVALIDATE']}"
    )
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


@bp.get("/api/v1/drives/<slug>")
def progress_json(slug: str) -> Response:
    progress = drive_progress(slug)
    body = rendered(
        "json",
        progress,
        lambda: current_app.json.dumps(progress.as_json(), separators=(",", ":")),
    )
    return _cacheable(body, "application/json")


@bp.get("/widget/<slug>")
def widget_page(slug: str) -> Response:
    progress = drive_progress(slug)
    donate_url = f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/donate/{slug}"
    body = rendered(
        f"html {donate_url}",
        progress,
        lambda: render_template(
            "widget/widget.html", view=widget_view(progress), donate_url=donate_url
        ),
    )
    return _cacheable(body, "text/html")


@bp.get("/widget/<slug>.svg")
def widget_svg(slug: str) -> Response:
    progress = drive_progress(slug)
    body = rendered(
        "svg", progress, lambda: render_template("widget/widget.svg", view=widget_view(progress))
    )
    return _cacheable(body, "image/svg+xml")


@bp.get("/widget/embed.js")
def embed_js() -> Response:
    response = current_app.send_static_file("widget/embed.js")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
