"""Goals beyond the goal, per drive: a stretch goal, and a match pledge (its cap, its
sponsor, and whether the widget adds the matched money to its total or shows it
beside, the default). The widget's JSON, page, image and script embed all show
them (``widget/presentation.py``)."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField

from ...amount_text import format_amount_input, parse_amount
from ...errors import InvalidInput
from ...ledger import drive_progress, get_drive
from ..blueprint import bp
from ..forms import FieldErrors
from .forms import save_drive


class DriveGoalsForm(FlaskForm):
    stretch_goal = StringField(
        "Stretch goal",
        render_kw={"inputmode": "decimal"},
        description="Once the goal is reached the bar continues toward this. Empty: none.",
    )
    match = StringField(
        "Match pledge: every gift matched up to",
        render_kw={"inputmode": "decimal"},
        description="Empty: no match.",
    )
    match_sponsor = StringField("Matched by", description="Who pledged it, as readers see it.")
    match_added_to_total = BooleanField(
        "Add the matched money to the total the widget shows",
        description="Without it (the default) the widget shows it beside the total.",
    )
    recent_donors_shown = StringField(
        "Recent gifts the widget lists",
        render_kw={"inputmode": "numeric"},
        description="0 to 20; 0 (the default) lists none. Names are the donors' public "
        "display names (or Anonymous); messages show once approved on the messages page.",
    )
    # Errors the ledger names by its own field names land on these inputs.
    domain_fields = {"stretch_goal": "stretch_goal", "match": "match"}


def _optional_amount(errors: FieldErrors, text: str | None, drive, field: str) -> int | None:
    if not (text or "").strip():
        return None
    return errors.check(parse_amount, text, drive.currency, locale=drive.locale, field=field)


@bp.route("/drives/<slug>/goals", methods=["GET", "POST"])
def drive_goals(slug: str):
    drive = get_drive(slug)
    form = DriveGoalsForm()
    status = 200
    if not form.is_submitted():

        def shown(amount: int | None) -> str:
            if amount is None:
                return ""
            return format_amount_input(amount, drive.currency, drive.locale)

        form.process(
            data={
                "stretch_goal": shown(drive.stretch_goal_amount),
                "match": shown(drive.match_cap_amount),
                "match_sponsor": drive.match_sponsor or "",
                "match_added_to_total": drive.match_added_to_total,
                "recent_donors_shown": str(drive.recent_donors_shown),
            }
        )
    elif form.validate():
        errors = FieldErrors(form)
        changes = {
            "stretch_goal_amount": _optional_amount(
                errors, form.stretch_goal.data, drive, "stretch_goal"
            ),
            "match_cap_amount": _optional_amount(errors, form.match.data, drive, "match"),
            "match_sponsor": form.match_sponsor.data or "",
            "match_added_to_total": bool(form.match_added_to_total.data),
        }
        shown = (form.recent_donors_shown.data or "0").strip()
        if shown.isdigit():
            changes["recent_donors_shown"] = int(shown)
        else:
            errors.add(InvalidInput("a whole number from 0 to 20", "recent_donors_shown"))
        if save_drive(drive, changes, errors, f"Saved the goals of {drive.title}."):
            return redirect(url_for("admin.drive_goals", slug=drive.slug))
        status = 400
    else:
        status = 400
    return render_template(
        "admin/drive_goals.html",
        drive=get_drive(slug),
        form=form,
        progress=drive_progress(slug),
    ), status
