"""The dashboard's first page: how one drive is going (the newest unless another is
chosen), with the widget's own raised figure and the breakdowns behind it."""

from __future__ import annotations

from flask import render_template, request

from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import choose_drive
from .charts import build_daily_chart
from .stats import drive_overview


@bp.get("/")
def overview():
    choice = choose_drive(request.args.get("drive"))
    if choice.drive is None:
        return render_template("admin/overview.html", drives=[], overview=None, chart=None)
    tz = admin_timezone()
    figures = drive_overview(choice.drive, tz)
    drive = choice.drive
    chart = build_daily_chart(
        figures.daily,
        starts=drive.starts_at.astimezone(tz).date(),
        ends=drive.ends_at.astimezone(tz).date(),
        today=figures.now.astimezone(tz).date(),
        goal=figures.progress.goal_amount,
        currency=drive.currency,
        locale=drive.locale,
    )
    return render_template(
        "admin/overview.html", drives=choice.drives, overview=figures, chart=chart
    )
