"""The admin menu. Every page in it exists, except the development mailbox, which is
registered only under the development settings and so is marked ``dev_only``: its
link appears only where its view is registered."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, request, url_for

from .blueprint import bp


@dataclass(frozen=True, slots=True)
class NavLink:
    endpoint: str
    label: str
    # Other pages that belong under this entry (marked as the current section).
    also: tuple[str, ...] = ()
    # Registered only in development (devmail.register_dev_mailbox).
    dev_only: bool = False


NAV_LINKS = (
    NavLink("admin.overview", "Overview"),
    NavLink("admin.donations", "Donations", ("admin.donation_detail",)),
    NavLink("admin.donors", "Donors", ("admin.donor_detail",)),
    NavLink("admin.new_donation", "Record donation"),
    NavLink("admin.import_csv", "Import"),
    NavLink("admin.drives", "Drives"),
    NavLink("admin.monthly", "Monthly gifts", ("admin.monthly_gift",)),
    NavLink("admin.operations", "Operations"),
    NavLink("admin.paypal_status", "PayPal"),
    NavLink("dev_mailbox.index", "Dev mailbox", ("dev_mailbox.message",), dev_only=True),
)


@dataclass(frozen=True, slots=True)
class NavItem:
    url: str
    label: str
    current: bool


def nav_items() -> list[NavItem]:
    """The menu entries, the current section marked."""
    items = []
    for link in NAV_LINKS:
        if link.dev_only and link.endpoint not in current_app.view_functions:
            continue
        current = request.endpoint == link.endpoint or request.endpoint in link.also
        items.append(NavItem(url_for(link.endpoint), link.label, current))
    return items


def navigation_context() -> dict[str, object]:
    """The menu for every page drawn on ``admin/base.html`` (also the dev mailbox's)."""
    return {"admin_nav": nav_items}


bp.context_processor(navigation_context)
