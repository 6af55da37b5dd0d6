"""Marking views whose callers read JSON: their errors are JSON too, whatever the
request sent (a text/plain body, no body, a forged CSRF token), so a page's
script or an API client always gets ``{"error", "field"}`` and never an HTML page."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import current_app, request

View = TypeVar("View", bound=Callable[..., object])


def json_api(view: View) -> View:
    view.json_errors = True  # type: ignore[attr-defined]
    return view


def in_json_api() -> bool:
    """Whether the current request was routed to a ``json_api`` view."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "json_errors", False))
