"""Creating and editing drives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from babel import Locale, UnknownLocaleError
from flask import current_app
from sqlalchemy import bindparam, select

from ..errors import Conflict, InvalidInput, UnknownDrive
from ..extensions import db
from ..models import WIDGET_LAYOUTS, WIDGET_THEMES, Drive
from .recent import MAX_SHOWN
from .signals import totals_changed
from .validation import (
    check_minor_units,
    clean_text,
    validate_choice,
    validate_currency,
    validate_hex_colour,
    validate_slug,
)


def get_drive(slug: str) -> Drive:
    drive = db.session.scalar(select(Drive).where(Drive.slug == slug))
    if drive is None:
        raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")
    return drive


@dataclass(frozen=True, slots=True)
class DriveKey:
    """What recording a payment needs of its drive: which row, and its currency."""

    id: int
    slug: str
    currency: str


_KEY_BY_SLUG = select(Drive.id, Drive.slug, Drive.currency).where(Drive.slug == bindparam("slug"))


def get_drive_key(slug: str) -> DriveKey:
    """``get_drive`` for the webhook's hot path: three columns instead of an ORM
    object with every setting of the drive."""
    row = db.session.execute(_KEY_BY_SLUG, {"slug": slug}).first()
    if row is None:
        raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")
    return DriveKey(*row)


def list_drives() -> list[Drive]:
    return list(db.session.scalars(select(Drive).order_by(Drive.starts_at.desc())))


def _validate_locale(value: str) -> str:
    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError, TypeError):
        raise InvalidInput(f"unknown locale {value!r}", "locale") from None
    return value


def create_drive(
    *,
    slug: str,
    title: str,
    goal_amount: int,
    currency: str,
    starts_at: datetime,
    ends_at: datetime,
    description: str = "",
    locale: str = "en_US",
    accept_gifts_after_end: bool = False,
) -> Drive:
    """Create a drive; the goal is in minor units of ``currency``. Its checkout takes
    gifts while it runs, and after its end only with ``accept_gifts_after_end``
    (``schedule``)."""
    drive = Drive(
        slug=validate_slug(slug),
        title=clean_text(title, "title", max_length=200, required=True),
        description=clean_text(description, "description", max_length=5000, multiline=True) or "",
        currency=validate_currency(currency),
        goal_amount=check_minor_units(goal_amount, "goal"),
        locale=_validate_locale(locale),
        starts_at=starts_at,
        ends_at=ends_at,
        accept_gifts_after_end=bool(accept_gifts_after_end),
        raised_amount=0,
        donor_count=0,
        gift_count=0,
    )
    if ends_at <= starts_at:
        raise InvalidInput("the drive must end after it starts", "ends_at")
    if db.session.scalar(select(Drive.id).where(Drive.slug == drive.slug)) is not None:
        raise Conflict(f"a drive called {drive.slug!r} already exists", "slug")
    db.session.add(drive)
    db.session.commit()
    return drive


def update_drive(drive: Drive, **changes: object) -> Drive:
    """Edit a drive's title, description, goal, dates, locale, whether its checkout
    takes gifts after the end, its stretch goal and match pledge (not its currency
    once money is recorded, because the ledger's amounts are in that currency), and
    its widget's look (``widget_theme``, ``widget_layout``, ``widget_accent``,
    ``counting_line_shown``). ``stretch_goal_amount``, ``match_cap_amount`` and
    ``widget_accent`` take None to remove them."""
    if "title" in changes:
        drive.title = clean_text(changes["title"], "title", max_length=200, required=True)
    if "description" in changes:
        drive.description = (
            clean_text(changes["description"], "description", max_length=5000, multiline=True) or ""
        )
    if "goal_amount" in changes:
        drive.goal_amount = check_minor_units(changes["goal_amount"], "goal")
    if "locale" in changes:
        drive.locale = _validate_locale(str(changes["locale"]))
    if "accept_gifts_after_end" in changes:
        drive.accept_gifts_after_end = bool(changes["accept_gifts_after_end"])
    for key, field in (("stretch_goal_amount", "stretch_goal"), ("match_cap_amount", "match")):
        if key in changes:
            value = changes[key]
            setattr(drive, key, None if value is None else check_minor_units(value, field))
    if "match_sponsor" in changes:
        drive.match_sponsor = clean_text(changes["match_sponsor"], "match_sponsor", max_length=200)
    if "match_added_to_total" in changes:
        drive.match_added_to_total = bool(changes["match_added_to_total"])
    if "recent_donors_shown" in changes:
        shown = changes["recent_donors_shown"]
        if isinstance(shown, bool) or not isinstance(shown, int) or not 0 <= shown <= MAX_SHOWN:
            db.session.rollback()
            raise InvalidInput(f"show from 0 to {MAX_SHOWN} recent donors", "recent_donors_shown")
        drive.recent_donors_shown = shown
    try:
        _update_widget_look(drive, changes)
    except InvalidInput:
        db.session.rollback()
        raise
    if drive.stretch_goal_amount is not None and drive.stretch_goal_amount <= drive.goal_amount:
        db.session.rollback()
        raise InvalidInput("the stretch goal must be above the goal", "stretch_goal")
    for key in ("starts_at", "ends_at"):
        if key in changes:
            setattr(drive, key, changes[key])
    if drive.ends_at <= drive.starts_at:
        db.session.rollback()
        raise InvalidInput("the drive must end after it starts", "ends_at")
    db.session.commit()
    totals_changed.send(current_app._get_current_object(), drive_id=drive.id, counted_methods=())
    return drive


def _update_widget_look(drive: Drive, changes: dict[str, object]) -> None:
    if "widget_theme" in changes:
        drive.widget_theme = validate_choice(changes["widget_theme"], WIDGET_THEMES, "theme")
    if "widget_layout" in changes:
        drive.widget_layout = validate_choice(changes["widget_layout"], WIDGET_LAYOUTS, "layout")
    if "widget_accent" in changes:
        accent = changes["widget_accent"]
        drive.widget_accent = None if accent in (None, "") else validate_hex_colour(accent)
    if "counting_line_shown" in changes:
        drive.counting_line_shown = bool(changes["counting_line_shown"])
