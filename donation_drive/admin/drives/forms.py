"""The drive settings forms: editing a drive, and creating one."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField, TextAreaField


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
