"""oEmbed (https://oembed.com): paste a drive's widget or donate link into WordPress,
Ghost, Discourse or any consumer, and it embeds the widget.

``GET /oembed?url=…&format=json|xml[&maxwidth=…&maxheight=…]`` answers a ``rich``
response whose ``html`` is the widget's iframe, for ``<PUBLIC_BASE_URL>/widget/<slug>``
and ``<PUBLIC_BASE_URL>/donate/<slug>``. As the specification says: 404 for a URL
this service has nothing for (another site, another path, an unknown drive), 501 for
a format other than json or xml, and a frame within ``maxwidth``/``maxheight``
(404 when the widget cannot fit). The widget and donate pages carry the discovery
links (``templates/widget/_oembed_links.html``).
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit
from xml.etree import ElementTree as ET

from flask import Blueprint, Response, abort, current_app, request
from markupsafe import escape

from ..errors import UnknownDrive
from ..json_api import json_api
from ..ledger import drive_progress
from .caching import cache_headers

bp = Blueprint("oembed", __name__)

WIDTH, HEIGHT = 480, 220  # the README's iframe: up to 480 px wide, 220 px high
MIN_WIDTH, MIN_HEIGHT = 200, 200  # the narrowest the widget reads at (compact)
EMBEDDABLE = ("widget", "donate")


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"].rstrip("/")


def slug_of(url: str) -> str | None:
    """The drive slug a widget or donate URL of this service names, else None."""
    base = urlsplit(_base())
    parts = urlsplit(url.strip())
    if (parts.scheme, parts.netloc.lower()) != (base.scheme, base.netloc.lower()):
        return None
    path = parts.path[len(base.path.rstrip("/")) :] if base.path.strip("/") else parts.path
    segments = path.strip("/").split("/")
    if len(segments) != 2 or segments[0] not in EMBEDDABLE or not segments[1]:
        return None
    return segments[1]


def _dimension(name: str) -> int | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    if not value.isdigit() or int(value) == 0:
        abort(400, description=f"{name} must be a positive whole number of pixels")
    return int(value)


def oembed_url(page_url: str, fmt: str) -> str:
    return f"{_base()}/oembed?url={quote(page_url, safe='')}&format={fmt}"


def discovery_links(page_url: str, title: str) -> dict[str, str]:
    """What ``templates/widget/_oembed_links.html`` needs for the ``<link
    rel="alternate">`` tags a consumer discovers the embed by (as ``oembed_links``)."""
    return {
        "json_url": oembed_url(page_url, "json"),
        "xml_url": oembed_url(page_url, "xml"),
        "title": title,
    }


@bp.get("/oembed")
@json_api
def oembed() -> Response:
    url = request.args.get("url", "")
    fmt = request.args.get("format", "json")
    if not url:
        abort(400, description="url is required: the widget or donate page to embed")
    if fmt not in ("json", "xml"):
        abort(501, description="format must be json or xml")
    max_width, max_height = _dimension("maxwidth"), _dimension("maxheight")
    slug = slug_of(url)
    if slug is None:
        abort(404, description="no embed for this url: give a drive's widget or donate page")
    try:
        progress = drive_progress(slug)
    except UnknownDrive:
        abort(404, description="no drive at this url")
    width = min(WIDTH, max_width or WIDTH)
    height = min(HEIGHT, max_height or HEIGHT)
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        abort(404, description=f"the widget needs at least {MIN_WIDTH}x{MIN_HEIGHT} pixels")
    src = f"{_base()}/widget/{quote(slug, safe='')}"
    donate = f"{_base()}/donate/{quote(slug, safe='')}"
    # The hidden link is for consumers that drop the frame, and it is WordPress's cue
    # (its own post embeds' form): with it, WordPress loads wp-embed.js, which shows
    # the frame once the widget page speaks and follows its Donate link (live.js),
    # which WordPress's sandbox would block. frameborder: WordPress strips the style.
    html = (
        f'<blockquote hidden><a href="{escape(donate)}">Donate to {escape(progress.title)}</a>'
        f'</blockquote><iframe src="{escape(src)}" '
        f'title="{escape(progress.title)}: fundraising progress" '
        f'width="{width}" height="{height}" frameborder="0" style="border:0;max-width:100%" '
        'loading="lazy"></iframe>'
    )
    fields: dict[str, object] = {
        "version": "1.0",
        "type": "rich",
        "title": progress.title,
        "provider_name": current_app.config.get("ORG_NAME") or "Donation Drive",
        "provider_url": _base() + "/",
        "html": html,
        "width": width,
        "height": height,
        "cache_age": 86400,  # the frame, not the figures: the iframe keeps those live
    }
    if fmt == "json":
        response = Response(current_app.json.dumps(fields), mimetype="application/json")
    else:
        root = ET.Element("oembed")
        for key, value in fields.items():
            ET.SubElement(root, key).text = str(value)
        body = b'<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n' + ET.tostring(
            root, encoding="utf-8", xml_declaration=False
        )
        response = Response(body, mimetype="text/xml")
    response.headers["Access-Control-Allow-Origin"] = "*"
    cache_headers(response)
    return response
