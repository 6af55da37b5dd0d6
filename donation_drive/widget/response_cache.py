"""The widget's one cache in the app: each process keeps the widget's answers (the
JSON, the iframe page, the image) exactly as Flask wrote them, and replays them
until the whole second their ``X-Accel-Expires`` names is over.

Why it exists: a widget request answered through Flask costs several times a bare
Flask endpoint's CPU (the drive row, the localized texts, every request hook), and
a deployment without the documented nginx, or nginx's own refreshes, pay that on
every request. A replayed answer costs less than the bare endpoint.

What stays true:

- Only what Flask wrote is replayed: the widget views mark an answer as one to
  keep (``keep_this_answer``), and only a 200 to a GET without ``Set-Cookie`` or
  ``Vary`` is kept. The security headers, CORS, ETag and caching headers are the
  ones Flask's hooks wrote; a conditional request is answered by Werkzeug's own
  ``make_conditional`` on the kept answer.
- Every replayed answer gets its own request id, metrics and access log line, by
  the same functions as Flask's hooks (``observability.request_id_of``,
  ``record_request``).
- Fresh: an answer is kept no longer than the proxy in front may keep it (its
  ``X-Accel-Expires``, ``WIDGET_MAX_AGE`` seconds at most), so the two caches
  together are no staler than one; a ledger change committed in this process
  (``totals_changed``) forgets every kept answer at once, and an answer rendered
  while a change committed is not kept. ``WIDGET_MAX_AGE = 0`` keeps nothing.
- Bounded: at most ``MAX_KEPT`` answers per process (a query string is part of the
  key, and anyone can invent query strings).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from flask import Flask, request
from werkzeug.wrappers import Response

from ..observability import REQUEST_ID_HEADER, record_request, request_id_of, start_timing

MAX_KEPT = 512
_KEEP = "donation_drive.widget.keep"  # environ key: (endpoint, path) of an answer to keep
_CONDITIONAL = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_RANGE")
# Written per answer, never replayed: the request id is this request's, and the
# WSGI server writes a Date of its own.
_PER_ANSWER = frozenset({REQUEST_ID_HEADER.lower(), "date"})

StartResponse = Callable[..., object]
WsgiApp = Callable[[dict, StartResponse], Iterable[bytes]]


def keep_this_answer() -> None:
    """Called by a widget view: its answer to this request may be kept and replayed."""
    request.environ[_KEEP] = (request.endpoint, request.path)


@dataclass(frozen=True, slots=True)
class _Kept:
    status: str
    headers: list[tuple[str, str]]  # as Flask wrote them, without _PER_ANSWER
    body: bytes
    endpoint: str
    path: str
    until: float  # epoch seconds: the end of the whole second X-Accel-Expires names


class WidgetResponseCache:
    """WSGI middleware around the Flask app (inside any proxy fix, so the environ it
    sees is the one Flask sees)."""

    def __init__(self, app: Flask, wsgi_app: WsgiApp) -> None:
        self._app = app
        self._wsgi_app = wsgi_app
        self._kept: dict[tuple[str, str], _Kept] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop every kept answer, and any being rendered right now."""
        with self._lock:
            self._generation += 1
            self._kept = {}

    def __call__(self, environ: dict, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET":
            return self._wsgi_app(environ, start_response)
        key = (environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""))
        kept = self._kept.get(key)
        if kept is not None and time.time() < kept.until:
            return self._replay(kept, environ, start_response)
        return self._render(key, environ, start_response)

    def _replay(self, kept: _Kept, environ: dict, start_response: StartResponse):
        start_timing(environ)
        request_id = request_id_of(environ)
        if any(name in environ for name in _CONDITIONAL):
            # Werkzeug's own answer to If-None-Match and the rest, as Flask's was.
            response = Response(kept.body, status=kept.status, headers=kept.headers)
            body, status, written = response.make_conditional(environ).get_wsgi_response(environ)
            headers = [(name, value) for name, value in written if name.lower() != "date"]
        else:
            status, headers, body = kept.status, list(kept.headers), [kept.body]
        headers.append((REQUEST_ID_HEADER, request_id))
        record_request(
            environ,
            endpoint=kept.endpoint,
            path=kept.path,
            status=int(status[:3]),
            access_log_on=self._app.config.get("ACCESS_LOG", True),
        )
        start_response(status, headers)
        return body

    def _render(self, key: tuple[str, str], environ: dict, start_response: StartResponse):
        generation = self._generation
        written: list[tuple[str, list[tuple[str, str]]]] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info=None):
            written.append((status, headers))
            return start_response(status, headers, exc_info)

        answer = self._wsgi_app(environ, capture)
        marked = environ.get(_KEEP)
        if marked is None or not written or not written[-1][0].startswith("200 "):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        status, headers = written[-1]
        kept = _kept_from(status, headers, body, *marked)
        if kept is not None:
            with self._lock:
                if generation == self._generation and (
                    len(self._kept) < MAX_KEPT or key in self._kept or self._drop_expired()
                ):
                    self._kept[key] = kept
        return [body]

    def _drop_expired(self) -> bool:
        """Under the lock: forget the expired answers; True if there is room now."""
        now = time.time()
        self._kept = {key: kept for key, kept in self._kept.items() if now < kept.until}
        return len(self._kept) < MAX_KEPT


def _kept_from(
    status: str, headers: list[tuple[str, str]], body: bytes, endpoint: str, path: str
) -> _Kept | None:
    names = {name.lower(): value for name, value in headers}
    expires = names.get("x-accel-expires", "")
    if "set-cookie" in names or "vary" in names or not expires.startswith("@"):
        return None
    return _Kept(
        status=status,
        headers=[(name, value) for name, value in headers if name.lower() not in _PER_ANSWER],
        body=body,
        endpoint=endpoint,
        path=path,
        until=int(expires[1:]) + 1,
    )


def install(app: Flask) -> None:
    """Put the cache in front of ``app``'s WSGI callable; ``totals_changed`` (connected
    in ``subscriptions``) reaches it through ``forget_kept_answers``."""
    cache = WidgetResponseCache(app, app.wsgi_app)
    app.extensions["widget_response_cache"] = cache
    app.wsgi_app = cache  # type: ignore[method-assign]


def forget_kept_answers(app: Flask, **_: object) -> None:
    """Receiver of the ledger's ``totals_changed`` (after its commit): what a drive
    shows changed, so no kept answer may be replayed."""
    cache = app.extensions.get("widget_response_cache")
    if cache is not None:
        cache.forget()
