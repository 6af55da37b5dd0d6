"""The CSV import's two forms: the upload (drive, file, format, date order) and the
confirmation of a staged preview."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField

from ..forms import choices


class ImportUploadForm(FlaskForm):
    drive = SelectField("Drive", validate_choice=False)
    file = FileField("CSV file")
    format = SelectField(
        "Format",
        choices=choices(
            [
                ("auto", "Detect from the header"),
                ("generic", "Generic (date, amount, method, name, email, reference, note)"),
                ("paypal", "PayPal activity export"),
            ]
        ),
        validate_choice=False,
    )
    date_order = SelectField(
        "Dates like 03/04/2026 mean",
        choices=choices(
            [
                ("auto", "Detect from the file (month first unless a day is over 12)"),
                ("mdy", "Month/day/year (US)"),
                ("dmy", "Day/month/year"),
            ]
        ),
        validate_choice=False,
    )
    send_receipts = BooleanField("Email each new donor a thank-you receipt", default=False)


class ImportConfirmForm(FlaskForm):
    token = HiddenField()
