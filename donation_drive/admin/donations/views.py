"""The donation list (filters, search, sorting, pages) and each donation's page."""

from __future__ import annotations

from flask import render_template, request

from ...errors import InvalidInput
from ...models import Method, Status
from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import choose_drive
from .history import donation_history
from .query import DonationFilters, find_page, form_values, parse_filters, with_sort


@bp.get("/donations")
def donations():
    choice = choose_drive(request.args.get("drive"))
    context: dict[str, object] = {
        "drives": choice.drives,
        "drive": choice.drive,
        "methods": [m.value for m in Method],
        "statuses": [s.value for s in Status],
        "with_sort": with_sort,
        "page": None,
        "error": None,
    }
    if choice.drive is None:
        return render_template("admin/donations.html", filters=None, **context)
    try:
        filters = parse_filters(request.args, choice.drive, admin_timezone())
        context["page"] = find_page(
            filters, after=request.args.get("after"), before=request.args.get("before")
        )
    except InvalidInput as exc:
        # Show the form again with what was typed and what is wrong with it.
        filters = DonationFilters(drive=choice.drive, form=form_values(request.args))
        context["error"] = exc
        return render_template("admin/donations.html", filters=filters, **context), 400
    return render_template("admin/donations.html", filters=filters, **context)


@bp.get("/donations/<int:donation_id>")
def donation_detail(donation_id: int):
    history = donation_history(donation_id)
    return render_template("admin/donation_detail.html", history=history, donation=history.donation)
