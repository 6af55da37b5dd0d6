"""CSV import: upload a file, preview every row (each bad one with its line number),
confirm to record the good ones.

Between the preview and the confirmation the upload waits on the server, in a file
under the instance folder named by a random token and readable only by the admin who
uploaded it; the confirmation reads the file again, so what is imported is what was
previewed, and nothing the browser could alter on the way.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from ..errors import InvalidInput, UnknownDrive
from ..extensions import db
from ..ledger import drive_progress, list_drives
from ..models import Drive
from .blueprint import bp
from .csv_import import RowStatus, apply_import, plan_import
from .display import admin_timezone
from .drives import default_drive
from .forms import FieldErrors, ImportConfirmForm, ImportUploadForm, choices

STAGING_SECONDS = 3600
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{40,64}$")
FORMATS = ("auto", "generic", "paypal")
DATE_ORDERS = ("auto", "mdy", "dmy")


@dataclass(frozen=True, slots=True)
class StagedUpload:
    admin_id: int
    drive_id: int
    filename: str
    format: str
    date_order: str
    send_receipts: bool
    content: bytes


def _staging_dir() -> Path:
    folder = Path(current_app.instance_path) / "admin-imports"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _staged_path(token: str) -> Path | None:
    if not _TOKEN_RE.fullmatch(token or ""):
        return None
    return _staging_dir() / f"{token}.json"


def _discard_expired(folder: Path) -> None:
    cutoff = time.time() - STAGING_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except FileNotFoundError:  # another request tidied it first
            pass


def stage_upload(upload: StagedUpload) -> str:
    """Keep an upload until it is confirmed (or an hour passes); returns its token."""
    folder = _staging_dir()
    _discard_expired(folder)
    token = secrets.token_urlsafe(32)
    record = {
        "admin_id": upload.admin_id,
        "drive_id": upload.drive_id,
        "filename": upload.filename,
        "format": upload.format,
        "date_order": upload.date_order,
        "send_receipts": upload.send_receipts,
        "content": base64.b64encode(upload.content).decode("ascii"),
    }
    partial = folder / f"{token}.part"
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    os.replace(partial, folder / f"{token}.json")
    return token


def claim_staged(token: str, admin_id: int) -> StagedUpload | None:
    """Take a staged upload (once: a second confirmation of the same preview gets None),
    if it belongs to this admin and has not expired."""
    path = _staged_path(token)
    if path is None:
        return None
    try:
        if path.stat().st_mtime < time.time() - STAGING_SECONDS:
            path.unlink()
            return None
        record = json.loads(path.read_text())
        if record["admin_id"] != admin_id:
            return None
        path.unlink()
    except (FileNotFoundError, ValueError, KeyError):
        return None
    return StagedUpload(
        admin_id=record["admin_id"],
        drive_id=record["drive_id"],
        filename=record["filename"],
        format=record["format"],
        date_order=record["date_order"],
        send_receipts=bool(record["send_receipts"]),
        content=base64.b64decode(record["content"]),
    )


def _read_upload(upload: FileStorage | None, limit: int) -> bytes:
    if upload is None or not upload.filename:
        raise InvalidInput("choose a CSV file to upload", "file")
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"the file is larger than {limit // 1024} KB; split it", "file")
    if not data.strip():
        raise InvalidInput("the file is empty", "file")
    return data


def _choice(value: str | None, allowed: tuple[str, ...], field: str) -> str:
    if value not in allowed:
        raise InvalidInput(f"choose one of {', '.join(allowed)}", field)
    return value


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
        fmt = errors.check(_choice, form.format.data, FORMATS, "format")
        order = errors.check(_choice, form.date_order.data, DATE_ORDERS, "date_order")
        limit = current_app.config["IMPORT_MAX_BYTES"]
        content = errors.check(_read_upload, form.file.data, limit)
        if not errors:
            plan = _plan(content, drive, fmt, order)
            for problem in plan.problems:
                errors.add(InvalidInput(problem, "file"))
            if not errors:
                return _preview(form, drive, plan, content)
    return render_template("admin/import_upload.html", form=form), 400


def _preview(form: ImportUploadForm, drive: Drive, plan, content: bytes):
    filename = os.path.basename(form.file.data.filename or "upload.csv")[:200]
    token = None
    if plan.new_rows:
        token = stage_upload(
            StagedUpload(
                admin_id=current_user.id,
                drive_id=drive.id,
                filename=filename,
                format=plan.format,
                date_order=plan.date_order,
                send_receipts=bool(form.send_receipts.data),
                content=content,
            )
        )
    return render_template(
        "admin/import_preview.html",
        drive=drive,
        plan=plan,
        filename=filename,
        statuses=RowStatus,
        send_receipts=bool(form.send_receipts.data),
        confirm_form=ImportConfirmForm(formdata=None, token=token) if token else None,
    )


@bp.post("/import/confirm")
def confirm_import():
    form = ImportConfirmForm()
    staged = claim_staged(form.token.data or "", current_user.id) if form.validate() else None
    if staged is None:
        flash(
            "That preview has expired or was already imported. Upload the file again to "
            "see what is still new.",
            "error",
        )
        return redirect(url_for("admin.import_csv"))
    drive = db.session.get(Drive, staged.drive_id)
    if drive is None:
        raise UnknownDrive("the drive of this import no longer exists", "drive")
    # Planned again from the same bytes: rows recorded since the preview now show as
    # already imported, and the ledger's keys catch any recorded at this very moment.
    plan = _plan(staged.content, drive, staged.format, staged.date_order)
    outcome = apply_import(
        plan, drive, actor=current_user.email, send_receipts=staged.send_receipts
    )
    return render_template(
        "admin/import_result.html",
        drive=drive,
        plan=plan,
        outcome=outcome,
        filename=staged.filename,
        progress=drive_progress(drive.slug, fresh=True),
    )
