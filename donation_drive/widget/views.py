"""The progress widget: JSON for anyone, an iframe page, an SVG image and a
script-tag embed. None of these touch the database while the totals are cached."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from ..ledger import Progress, drive_progress
from .presentation import widget_view

bp = Blueprint("widget", __name__)


def _cacheable(response: Response, progress: Progress) -> Response:
    """Shared caching rules: a proxy or CDN may serve these for a few seconds and
    serve stale copies while it revalidates."""
    config = current_app.config
    response.set_etag(progress.etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={config['WIDGET_MAX_AGE']}, "
        f"stale-while-revalidate={config['WIDGET_STALE_WHILE_REVALIDATE']}"
    )
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "ETag"
    response.vary.add("Accept-Encoding")
    return response.make_conditional(request)


@bp.get("/api/v1/drives/<slug>")
def progress_json(slug: str) -> Response:
    progress = drive_progress(slug)
    return _cacheable(current_app.json.response(progress.as_json()), progress)


@bp.get("/widget/<slug>")
def widget_page(slug: str) -> Response:
    progress = drive_progress(slug)
    html = render_template(
        "widget/widget.html",
        view=widget_view(progress),
        donate_url=f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/donate/{slug}",
    )
    return _cacheable(Response(html, mimetype="text/html"), progress)


@bp.get("/widget/<slug>.svg")
def widget_svg(slug: str) -> Response:
    progress = drive_progress(slug)
    svg = render_template("widget/widget.svg", view=widget_view(progress))
    return _cacheable(Response(svg, mimetype="image/svg+xml"), progress)


@bp.get("/widget/embed.js")
def embed_js() -> Response:
    response = current_app.send_static_file("widget/embed.js")
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
