"""Serving a cached widget representation again without entering Flask.

The widget is on every blog post, so it gets far more requests than anything else,
and nearly all of them ask for figures this process already has. For those, the
work Flask does per request (routing, opening the session, the CSRF and rate-limit
hooks, computing the security headers) changes nothing in the answer, yet costs
several times what sending the answer does.

So a small WSGI middleware sits in front of the Flask app. For a GET of a drive's
JSON, page or image it looks up the figures in the ledger's per-process cache
(``cached_progress``, which honours ``WIDGET_CACHE_SECONDS`` and ledger
invalidation exactly as ``drive_progress`` does) and the representation Flask
rendered for those figures. If Flask has already served that representation once,
the middleware sends the same body with the same headers Flask sent (kept from that
response), a 304 when If-None-Match matches, and does what the app's own hooks do
per request: a Date, the request id, the request metrics and the access log line.

Anything else goes to Flask untouched: a cache miss, expired figures, HEAD, a Range,
If-Match, If-Range or If-Modified-Since header, or any other path. A hook added to
the app later that should change widget responses must be mirrored here;
``tests/widget/test_fast_path.py`` compares the two paths header by header.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask
from werkzeug.http import http_date, parse_etags, remove_entity_headers

from ..ledger import cached_progress
from ..observability import REQUEST_ID_HEADER, SANE_REQUEST_ID, access_log, metrics
from .rendering import Headers, Rendered, rendered_cache, representation_key

RENDERED_ENVIRON_KEY = "donation_drive.widget_rendered"
_REQUEST_ID_ENVIRON = "HTTP_" + REQUEST_ID_HEADER.upper().replace("-", "_")
_PER_REQUEST_HEADERS = frozenset({"date", REQUEST_ID_HEADER.lower()})
# Conditions whose finer points werkzeug's make_conditional handles; rare here.
_LEFT_TO_FLASK = ("HTTP_IF_MATCH", "HTTP_RANGE", "HTTP_IF_RANGE", "HTTP_IF_MODIFIED_SINCE")

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict, StartResponse], Iterable[bytes]]


def _route(path: str) -> tuple[str, str, str] | None:
    """(kind, Flask endpoint, slug) for a widget URL, else None."""
    if path.startswith("/api/v1/drives/"):
        kind, endpoint, slug = "json", "widget.progress_json", path[15:]
    elif path.startswith("/widget/"):
        slug = path[8:]
        if slug.endswith(".svg"):
            kind, endpoint, slug = "svg", "widget.widget_svg", slug[:-4]
        else:
            kind, endpoint = "html", "widget.widget_page"
    else:
        return None
    if not slug or "/" in slug:
        return None
    return kind, endpoint, slug


class WidgetFastPath:
    def __init__(self, app: Flask, wsgi_app: WSGIApp) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        self._metrics: dict[tuple[str, int], tuple[Any, Any]] = {}
        self._date: tuple[int, str] = (0, "")

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()
        if environ.get("REQUEST_METHOD") == "GET":
            route = _route(environ.get("PATH_INFO", ""))
            if route is not None:
                sent = self._send_cached(environ, start_response, route, started)
                if sent is not None:
                    return sent
                return self._through_flask(environ, start_response)
        return self.wsgi_app(environ, start_response)

    def _send_cached(
        self,
        environ: dict,
        start_response: StartResponse,
        route: tuple[str, str, str],
        started: float,
    ) -> list[bytes] | None:
        kind, endpoint, slug = route
        for name in _LEFT_TO_FLASK:
            if name in environ:
                return None
        progress = cached_progress(self.app, slug)
        if progress is None:
            return None
        entry = rendered_cache(self.app).get(
            representation_key(kind, slug, self.app.config), progress
        )
        if entry is None or entry.headers_200 is None or entry.headers_304 is None:
            return None
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(entry.etag):
            status, code, headers, body = "304 NOT MODIFIED", 304, entry.headers_304, []
        else:
            status, code, headers, body = "200 OK", 200, entry.headers_200, [entry.body]
        incoming = environ.get(_REQUEST_ID_ENVIRON, "")
        request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        start_response(
            status, [*headers, ("Date", self._http_date()), (REQUEST_ID_HEADER, request_id)]
        )
        self._observe(environ, endpoint, code, time.perf_counter() - started, request_id)
        return body

    def _through_flask(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        """Let Flask answer, and keep the headers of a full answer it gives for a
        representation, so the next request for it can be answered here."""

        def keep_headers(status: str, headers: list[tuple[str, str]], exc_info=None):
            entry: Rendered | None = environ.get(RENDERED_ENVIRON_KEY)
            if entry is not None and entry.headers_200 is None and status.startswith("200 "):
                _keep(entry, headers)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, keep_headers)

    def _http_date(self) -> str:
        now = int(time.time())
        if self._date[0] != now:
            self._date = (now, http_date(now))
        return self._date[1]

    def _observe(
        self, environ: dict, endpoint: str, status: int, elapsed: float, request_id: str
    ) -> None:
        """What the app's request hooks record for every request (observability.py)."""
        children = self._metrics.get((endpoint, status))
        if children is None:
            recorded = metrics()
            children = (
                recorded.requests.labels(endpoint=endpoint, method="GET", status=status),
                recorded.request_seconds.labels(endpoint=endpoint),
            )
            self._metrics[(endpoint, status)] = children
        children[0].inc()
        children[1].observe(elapsed)
        if self.app.config.get("ACCESS_LOG", True):
            path = environ.get("PATH_INFO", "")
            access_log.info(
                "%s %s %s",
                "GET",
                path,
                status,
                extra={
                    "request_id": request_id,
                    "method": "GET",
                    "path": path,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                    "remote_addr": environ.get("REMOTE_ADDR"),
                },
            )


def _keep(entry: Rendered, headers: list[tuple[str, str]]) -> None:
    if any(name.lower() == "set-cookie" for name, _ in headers):
        return  # never replay a cookie meant for one visitor
    kept: Headers = tuple(
        (name, value) for name, value in headers if name.lower() not in _PER_REQUEST_HEADERS
    )
    not_modified = list(kept)
    remove_entity_headers(not_modified)  # what werkzeug leaves on a 304
    entry.headers_304 = tuple(not_modified)
    entry.headers_200 = kept


def install_fast_path(app: Flask) -> None:
    """Put the fast path in front of the app's WSGI callable (inside any proxy fix
    applied later, so it sees the client's real address)."""
    app.wsgi_app = WidgetFastPath(app, app.wsgi_app)  # type: ignore[method-assign]
