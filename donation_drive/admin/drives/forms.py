"""The drive settings forms: editing a drive, and creating one; ``save_drive``, how
every drive form (settings, goals, widget) writes what it read."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField

from ...errors import DonationDriveError
from ...extensions import db
from ...ledger import update_drive
from ...models import Drive
from ..forms import FieldErrors


def save_drive(drive: Drive, changes: dict[str, Any], errors: FieldErrors, saved: str) -> bool:
    """Write ``changes`` through the ledger unless the form already has errors; the
    ledger's refusal goes under the field it names. True (and ``saved`` flashed) when
    written, so the view redirects; False, so it shows the form again with a 400."""
    if errors:
        return False
    try:
        update_drive(drive, **changes)
    except DonationDriveError as exc:
        db.session.rollback()
        errors.add(exc)
        return False
    flash(saved, "success")
    return True


class DriveForm(FlaskForm):
    """Editing a drive. Start and end are wall-clock times in ``timezone``."""

    title = StringField("Title", render_kw={"required": True})
    goal = StringField("Goal", render_kw={"inputmode": "decimal", "required": True})
    starts_at = StringField("Starts", render_kw={"type": "datetime-local", "required": True})
    ends_at = StringField("Ends", render_kw={"type": "datetime-local", "required": True})
    timezone = StringField("Time zone", description="An IANA name, e.g. America/New_York.")
    description = TextAreaField("Description", render_kw={"rows": 4})
    accept_gifts_after_end = BooleanField(
        "Keep taking gifts at the checkout after the drive ends",
        description="They count toward this drive. Without it, once the drive has ended its "
        "checkout says so and points to the drive running then.",
    )


class NewDriveForm(DriveForm):
    slug = StringField(
        "Slug", description="The drive's name in URLs and embeds: lowercase, digits, hyphens."
    )
    currency = StringField("Currency", render_kw={"maxlength": 3, "required": True})
    locale = StringField("Locale", description="How amounts are written, e.g. en_US.")
