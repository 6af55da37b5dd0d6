"""Bodies of the widget's representations, rendered once per set of figures.

While a drive's totals are cached, every request for its JSON, page or image would
produce the same bytes. They are rendered (and hashed for the ETag) the first time
and reused until the figures change, so a cached request costs a dictionary lookup.
The ETag is a hash of the body itself: a new template or a new public address after
a deploy changes it too, so no client keeps a stale copy on a 304.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping
from typing import Any

from flask import Flask

from ..ledger import Progress

# Figures change rarely and drives are few; this only bounds memory if a process
# lives through very many changes.
MAX_ENTRIES = 512
_KEY = "donation_drive.widget_rendered"

Headers = tuple[tuple[str, str], ...]


class Rendered:
    """One representation's body and ETag, plus the response headers Flask sent with
    it the first time (filled in by ``fast_path`` so it can send the same again)."""

    __slots__ = ("body", "etag", "headers_200", "headers_304")

    def __init__(self, body: bytes) -> None:
        self.body = body
        self.etag = hashlib.sha256(body).hexdigest()[:24]
        self.headers_200: Headers | None = None
        self.headers_304: Headers | None = None


def representation_key(kind: str, slug: str, config: Mapping[str, Any]) -> str:
    """Which representation of a drive: the page also depends on the public address
    its Donate link points at."""
    if kind == "html":
        return f"html {config['PUBLIC_BASE_URL']} {slug}"
    return f"{kind} {slug}"


class RenderedCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, Progress], Rendered] = {}

    def get(self, key: str, progress: Progress) -> Rendered | None:
        return self._entries.get((key, progress))

    def get_or_render(self, key: str, progress: Progress, render: Callable[[], str]) -> Rendered:
        found = self._entries.get((key, progress))
        if found is not None:
            return found
        rendered = Rendered(render().encode("utf-8"))
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            return self._entries.setdefault((key, progress), rendered)


def rendered_cache(app: Flask) -> RenderedCache:
    cache = app.extensions.get(_KEY)
    if cache is None:
        cache = app.extensions.setdefault(_KEY, RenderedCache())
    return cache
