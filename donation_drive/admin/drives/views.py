"""Drive settings: the list of drives, editing one, creating next year's from this
year's, and the widget's copy-paste embed snippets with a live preview."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, flash, redirect, render_template, request, url_for

from ...amount_text import format_amount_input, parse_amount
from ...errors import DonationDriveError, InvalidInput
from ...extensions import db
from ...ledger import create_drive, drive_progress, get_drive, list_drives
from ...ledger.validation import (
    clean_text,
    parse_datetime,
    validate_currency,
    validate_slug,
)
from ...models import Drive
from ...widget.presentation import schedule_status
from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import default_drive
from ..forms import FieldErrors
from .forms import DriveForm, NewDriveForm, save_drive

_YEAR_RE = re.compile(r"(?<!\d)(20\d{2})(?!\d)")
_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
_LAST_MOMENT_OF_MINUTE = timedelta(seconds=59, microseconds=999_999)


def _timezone(name: object) -> tuple[str, tzinfo]:
    text = str(name or "").strip() or "UTC"
    try:
        return text, ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"unknown time zone {text[:60]!r}", "timezone") from None


def _local_input(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).strftime(_LOCAL_FORMAT)


def _parse_moment(
    text: object, field: str, tz_name: str, *, original: datetime | None, is_end: bool
) -> datetime:
    """A wall-clock time typed in ``tz_name``. Typed back unchanged it keeps the stored
    value (seconds included); an end means the end of the minute (or day) typed."""
    tz = ZoneInfo(tz_name)
    value = str(text or "").strip()
    if original is not None and value == _local_input(original, tz):
        return original
    parsed = parse_datetime(value, field, tz=tz_name, end_of_day=is_end)
    if is_end and len(value) == len("2026-12-31T23:59"):
        parsed += _LAST_MOMENT_OF_MINUTE
    return parsed


def _shift_year(value: datetime, tz: tzinfo) -> datetime:
    """The same wall-clock moment a year later (29 February becomes the 28th)."""
    local = value.astimezone(tz)
    try:
        return local.replace(year=local.year + 1)
    except ValueError:
        return local.replace(year=local.year + 1, day=28)


def _next_year_text(text: str, year: int, separator: str) -> str:
    if _YEAR_RE.search(text):
        return _YEAR_RE.sub(lambda m: str(int(m.group(1)) + 1), text)
    return f"{text}{separator}{year}"


def next_year_values(drive: Drive, tz_name: str) -> dict[str, object]:
    """Form values for the drive after ``drive``: years in the slug and title moved on,
    dates a year later, the same goal, currency, locale and description."""
    tz = ZoneInfo(tz_name)
    starts, ends = _shift_year(drive.starts_at, tz), _shift_year(drive.ends_at, tz)
    return {
        "slug": _next_year_text(drive.slug, starts.year, "-")[:80],
        "title": _next_year_text(drive.title, starts.year, " ")[:200],
        "goal": format_amount_input(drive.goal_amount, drive.currency, drive.locale),
        "currency": drive.currency,
        "locale": drive.locale,
        "starts_at": _local_input(starts, tz),
        "ends_at": _local_input(ends, tz),
        "timezone": tz_name,
        "description": drive.description,
        "accept_gifts_after_end": drive.accept_gifts_after_end,
    }


def _admin_tz_name() -> str:
    return str(admin_timezone())


@bp.get("/drives")
def drives():
    rows = [(d, drive_progress(d.slug)) for d in list_drives()]
    return render_template("admin/drive_list.html", rows=rows)


def _read_schedule(form: DriveForm, errors: FieldErrors, drive: Drive | None) -> dict:
    """Title, dates, description and whether the checkout takes gifts after the end,
    from the form (the goal is read by the caller, in the drive's currency)."""
    tz_name = errors.check(lambda: _timezone(form.timezone.data)[0])
    values: dict[str, object] = {
        "title": errors.check(clean_text, form.title.data, "title", max_length=200, required=True),
        "description": errors.check(
            clean_text, form.description.data, "description", max_length=5000, multiline=True
        )
        or "",
        "accept_gifts_after_end": bool(form.accept_gifts_after_end.data),
    }
    if tz_name is not None:
        for field, is_end in (("starts_at", False), ("ends_at", True)):
            values[field] = errors.check(
                _parse_moment,
                form[field].data,
                field,
                tz_name,
                original=getattr(drive, field) if drive is not None else None,
                is_end=is_end,
            )
        starts, ends = values["starts_at"], values["ends_at"]
        if starts is not None and ends is not None and ends <= starts:
            errors.add(InvalidInput("the drive must end after it starts", "ends_at"))
    return values


@bp.route("/drives/<slug>/edit", methods=["GET", "POST"])
def edit_drive(slug: str):
    drive = get_drive(slug)
    form = DriveForm()
    status = 200
    if not form.is_submitted():
        tz_name = _admin_tz_name()
        tz = ZoneInfo(tz_name)
        form.process(
            data={
                "title": drive.title,
                "goal": format_amount_input(drive.goal_amount, drive.currency, drive.locale),
                "starts_at": _local_input(drive.starts_at, tz),
                "ends_at": _local_input(drive.ends_at, tz),
                "timezone": tz_name,
                "description": drive.description,
                "accept_gifts_after_end": drive.accept_gifts_after_end,
            }
        )
    elif form.validate():
        errors = FieldErrors(form)
        values = _read_schedule(form, errors, drive)
        values["goal_amount"] = errors.check(
            parse_amount, form.goal.data, drive.currency, locale=drive.locale, field="goal"
        )
        if save_drive(drive, values, errors, f"Saved {drive.title}."):
            return redirect(url_for("admin.edit_drive", slug=drive.slug))
        status = 400
    else:
        status = 400
    progress = drive_progress(slug)
    return render_template(
        "admin/drive_edit.html",
        drive=get_drive(slug),
        form=form,
        progress=progress,
        status=schedule_status(progress.schedule),
    ), status


@bp.route("/drives/new", methods=["GET", "POST"])
def new_drive():
    existing = list_drives()
    source = None
    if request.args.get("from"):
        source = get_drive(request.args["from"])
    elif existing:
        source = default_drive(existing)
    form = NewDriveForm()
    if not form.is_submitted():
        if source is not None:
            form.process(data=next_year_values(source, _admin_tz_name()))
        else:
            form.process(
                data={
                    "currency": "USD",
                    "locale": current_app.config.get("DEFAULT_LOCALE") or "en_US",
                    "timezone": _admin_tz_name(),
                }
            )
        return render_template("admin/drive_new.html", form=form, source=source)
    if form.validate():
        errors = FieldErrors(form)
        values = _read_schedule(form, errors, None)
        slug = errors.check(validate_slug, form.slug.data)
        currency = errors.check(validate_currency, form.currency.data)
        locale = (form.locale.data or "").strip() or "en_US"
        goal = (
            errors.check(parse_amount, form.goal.data, currency, locale=locale, field="goal")
            if currency is not None
            else None
        )
        if not errors:
            try:
                created = create_drive(
                    slug=slug,
                    currency=currency,
                    goal_amount=goal,
                    locale=locale,
                    **values,
                )
            except DonationDriveError as exc:
                db.session.rollback()
                errors.add(exc)
            else:
                flash(f"Created {created.title}.", "success")
                return redirect(url_for("admin.edit_drive", slug=created.slug))
    return render_template("admin/drive_new.html", form=form, source=source), 400
