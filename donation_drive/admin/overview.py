"""The dashboard's first page."""

from __future__ import annotations

from flask import render_template

from ..ledger import drive_progress, list_drives
from .blueprint import bp


@bp.get("/")
def overview():
    drives = list_drives()
    progress = [drive_progress(d.slug, fresh=True) for d in drives]
    return render_template("admin/overview.html", progress=progress)
