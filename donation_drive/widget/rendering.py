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
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app

from ..ledger import Progress

# Figures change rarely and drives are few; this only bounds memory if a process
# lives through very many changes.
MAX_ENTRIES = 512


@dataclass(frozen=True, slots=True)
class Rendered:
    body: bytes
    etag: str


class RenderedCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, Progress], Rendered] = {}

    def get_or_render(self, kind: str, progress: Progress, render: Callable[[], str]) -> Rendered:
        key = (kind, progress)
        found = self._entries.get(key)
        if found is not None:
            return found
        body = render().encode("utf-8")
        rendered = Rendered(body=body, etag=hashlib.sha256(body).hexdigest()[:24])
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = rendered
        return rendered


_KEY = "donation_drive.widget_rendered"


def rendered(kind: str, progress: Progress, render: Callable[[], str]) -> Rendered:
    """The body of representation ``kind`` of ``progress``, rendering it only once."""
    extensions = current_app.extensions
    cache = extensions.get(_KEY)
    if cache is None:
        cache = extensions.setdefault(_KEY, RenderedCache())
    return cache.get_or_render(kind, progress, render)
