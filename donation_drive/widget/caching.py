"""The caching headers of every widget answer (JSON, page, image, oEmbed): the rules
that make the proxy in front the widget's one cache (docs/deployment.md §5)."""

from __future__ import annotations

import time

from flask import Response, current_app


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
