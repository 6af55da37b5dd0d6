"""The admin menu. A link appears only once its view exists, so pages can land one
at a time without a broken link or a ``BuildError`` in between."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for
from werkzeug.routing import BuildError

from .blueprint import bp


@dataclass(frozen=True, slots=True)
class NavLink:
    endpoint: str
    label: str
    # Other pages that belong under this entry (marked as the current section).
    also: tuple[str, ...] = ()


NAV_LINKS = (
    NavLink("admin.overview", "Overview"),
    NavLink("admin.donations", "Donations", ("admin.donation_detail",)),
    NavLink("admin.new_donation", "Record donation"),
    NavLink("admin.import_csv", "Import"),
    NavLink("admin.drives", "Drives"),
    NavLink("admin.operations", "Operations"),
    NavLink("dev_mailbox.index", "Dev mailbox", ("dev_mailbox.message",)),  # development only
)


@dataclass(frozen=True, slots=True)
class NavItem:
    url: str
    label: str
    current: bool


def has_endpoint(endpoint: str) -> bool:
    return endpoint in current_app.view_functions


def nav_items() -> list[NavItem]:
    """The menu entries whose views exist, the current section marked."""
    items = []
    for link in NAV_LINKS:
        if not has_endpoint(link.endpoint):
            continue
        try:
            url = url_for(link.endpoint)
        except BuildError:  # a view that needs arguments is no menu entry
            continue
        current = request.endpoint == link.endpoint or request.endpoint in link.also
        items.append(NavItem(url, link.label, current))
    return items


@bp.context_processor
def _navigation() -> dict[str, object]:
    return {"admin_nav": nav_items, "has_endpoint": has_endpoint}
