"""Login, logout and an admin's own password change."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo

from ...extensions import limiter
from ..blueprint import bp
from ..forms import FieldErrors
from ..redirects import same_site_path
from .accounts import MIN_PASSWORD_LENGTH, authenticate, change_own_password
from .sessions import end_session, start_session


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired()])
    password = PasswordField("Password", validators=[DataRequired()])


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[DataRequired()],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        "New password",
        validators=[DataRequired()],
        description=f"At least {MIN_PASSWORD_LENGTH} characters.",
        render_kw={"autocomplete": "new-password"},
    )
    confirm_password = PasswordField(
        "New password again",
        validators=[EqualTo("new_password", message="the two new passwords differ")],
        render_kw={"autocomplete": "new-password"},
    )


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page is no open redirect."""
    return same_site_path(target) or url_for("admin.overview")


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        admin = authenticate(form.email.data, form.password.data)
        if admin is not None:
            start_session(admin)
            return redirect(_safe_next(request.args.get("next")))
        flash("Wrong email or password.", "error")
        return render_template("admin/login.html", form=form), 401
    return render_template("admin/login.html", form=form)


@bp.post("/logout")
def logout():
    # A POST with the CSRF token (checked globally by CSRFProtect), so no page can log
    # an admin out by embedding a link.
    end_session()
    return redirect(url_for("admin.login"))


# Limited like the login: the current password must not be guessable here either.
@bp.route("/account/password", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def change_password():
    form = PasswordChangeForm()
    if not form.is_submitted():
        return render_template("admin/change_password.html", form=form)
    if form.validate():
        admin = current_user._get_current_object()
        errors = FieldErrors(form)
        errors.check(change_own_password, admin, form.current_password.data, form.new_password.data)
        if not errors:
            start_session(admin)  # every session ended; this browser gets a new one
            flash("Password changed. Your other sessions have ended.", "success")
            return redirect(url_for("admin.overview"))
    return render_template("admin/change_password.html", form=form), 400
