"""The operations page's form: resending an email (only the CSRF token)."""

from __future__ import annotations

from flask_wtf import FlaskForm


class EmailResendForm(FlaskForm):
    pass
