"""CSV import: upload a file, preview every row (each bad one with its line number),
confirm to record the good ones.

Between the preview and the confirmation the rows as previewed wait in the database
(``import_staging``), under a random token only the admin who uploaded the file can
use: any instance can take the confirmation, and what is imported is what was
previewed, with nothing the browser could alter on the way.
"""

from __future__ import annotations

import os

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from ...errors import InvalidInput, UnknownDrive
from ...extensions import db
from ...ledger import drive_progress, list_drives
from ...models import Drive
from ..blueprint import bp
from ..display import admin_timezone
from ..drive_choice import default_drive
from ..forms import FieldErrors, choices, one_of
from .csv_import import ImportPlan, RowStatus, apply_import, plan_import
from .forms import ImportConfirmForm, ImportUploadForm
from .staging import PreviewUnavailable, stage_preview, take_preview

FORMATS = ("auto", "generic", "paypal")
DATE_ORDERS = ("auto", "mdy", "dmy")


def _read_upload(upload: FileStorage | None, limit: int) -> bytes:
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload", "file")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"the file is larger than {limit // 1024} KB; split it", "file")
    if not data.strip():
        raise InvalidInput("the file is empty", "file")
    return data


def _plan(content: bytes, drive: Drive, format: str, date_order: str):
    return plan_import(
        content,
        drive,
        format=format,
        date_order=date_order,
        zone=admin_timezone(),
        max_rows=current_app.config["IMPORT_MAX_ROWS"],
    )


@bp.route("/import", methods=["GET", "POST"])
def import_csv():
    drives = list_drives()
    if not drives:
        flash("Create a drive before importing donations.", "error")
        return redirect(url_for("admin.drives"))
    form = ImportUploadForm()
    form.drive.choices = choices([(d.slug, d.title) for d in drives])
    if not form.is_submitted():
        form.drive.data = default_drive(drives).slug
        return render_template("admin/import_upload.html", form=form)
    if form.validate():
        errors = FieldErrors(form)
        drive = next((d for d in drives if d.slug == form.drive.data), None)
        if drive is None:
            errors.add(UnknownDrive("choose one of the drives", "drive"))
        fmt = errors.check(one_of, form.format.data, FORMATS, "format")
        order = errors.check(one_of, form.date_order.data, DATE_ORDERS, "date_order")
        limit = current_app.config["IMPORT_MAX_BYTES"]
        content = errors.check(_read_upload, form.file.data, limit)
        if not errors:
            plan = _plan(content, drive, fmt, order)
            for problem in plan.problems:
                errors.add(InvalidInput(problem, "file"))
            if not errors:
                return _preview(form, drive, plan)
    return render_template("admin/import_upload.html", form=form), 400


def _preview(form: ImportUploadForm, drive: Drive, plan: ImportPlan):
    filename = os.path.basename(form.file.data.filename or "upload.csv")[:200]
    send_receipts = bool(form.send_receipts.data)
    token = None
    if plan.new_rows:
        token = stage_preview(
            plan,
            drive=drive,
            admin_id=current_user.id,
            filename=filename,
            send_receipts=send_receipts,
        )
    return render_template(
        "admin/import_preview.html",
        drive=drive,
        plan=plan,
        filename=filename,
        statuses=RowStatus,
        send_receipts=send_receipts,
        confirm_form=ImportConfirmForm(formdata=None, token=token) if token else None,
    )


@bp.post("/import/confirm")
def confirm_import():
    form = ImportConfirmForm()  # its CSRF token is checked before any view runs
    try:
        staged = take_preview(form.token.data or "", current_user.id)
    except PreviewUnavailable as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.import_csv"))
    drive = db.session.get_one(Drive, staged.drive_id)
    # The rows as previewed: any recorded since (by another import, or at this very
    # moment) are caught by the ledger's keys and reported as already imported.
    outcome = apply_import(
        staged.plan, drive, actor=current_user.email, send_receipts=staged.send_receipts
    )
    return render_template(
        "admin/import_result.html",
        drive=drive,
        plan=staged.plan,
        outcome=outcome,
        filename=staged.filename,
        progress=drive_progress(drive.slug),
    )
