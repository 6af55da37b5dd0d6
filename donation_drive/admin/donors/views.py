"""Routes of the donor pages. Reads come from ``donors.records``; merge and erase
are ledger writes naming the admin in the audit trail. Every POST carries the CSRF
token (Flask-WTF checks it before the view runs)."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ...donors.records import donor_record, export_donor, get_donor, search_donors
from ...errors import DonationDriveError, InvalidInput
from ...ledger.donors import erase_donor, merge_donors, note_donor_event, update_donor_contact
from ...models import normalize_email
from ..blueprint import bp

ERASE_CONFIRMATION = "ERASE"


@bp.get("/donors/")
def donors():
    query = request.args.get("q", "")
    try:
        rows = search_donors(query)
    except InvalidInput as exc:
        return render_template("admin/donors/list.html", rows=[], query="", error=exc), 400
    return render_template("admin/donors/list.html", rows=rows, query=query, error=None)


@bp.get("/donors/<int:donor_id>")
def donor_detail(donor_id: int):
    donor = get_donor(donor_id)
    if donor.merged_into_id is not None:
        flash(f"Donor {donor.id} was merged into this donor.", "success")
        return redirect(url_for("admin.donor_detail", donor_id=donor.merged_into_id))
    return render_template("admin/donors/detail.html", record=donor_record(donor_id))


def _other_donor(text: str) -> int:
    """The donor a merge form names: an id, or an email of a live donor."""
    from ...donors.records import donor_by_email

    value = (text or "").strip()
    if not value:
        raise InvalidInput("name the donor to merge: an id or an email", "other")
    if value.isdigit():
        return get_donor(int(value)).id
    if "@" in value and normalize_email(value):
        try:
            return donor_by_email(value).id
        except DonationDriveError as exc:
            raise InvalidInput(exc.message, "other") from None
    raise InvalidInput("expected a donor id or an email", "other")


@bp.post("/donors/<int:donor_id>/merge")
def merge_donor(donor_id: int):
    try:
        other_id = _other_donor(request.form.get("other", ""))
        merge_donors(donor_id, other_id, actor=current_user.email)
    except DonationDriveError as exc:
        flash(f"Not merged: {exc.message}", "error")
        return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)
    flash(f"Merged donor {other_id} into this donor.", "success")
    return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)


@bp.post("/donors/<int:donor_id>/contact")
def update_contact(donor_id: int):
    try:
        update_donor_contact(
            donor_id,
            actor=current_user.email,
            name=request.form.get("name"),
            address=request.form.get("address"),
        )
    except DonationDriveError as exc:
        flash(f"Not saved: {exc.message}", "error")
        return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)
    flash("Saved the donor's contact details.", "success")
    return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)


@bp.post("/donors/<int:donor_id>/export")
def export_donor_data(donor_id: int):
    data = export_donor(donor_id)
    note_donor_event(
        donor_id, actor=current_user.email, action="exported", details={"gifts": len(data["gifts"])}
    )
    response = Response(json.dumps(data, indent=2, ensure_ascii=False), mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="donor-{donor_id}.json"'
    return response


@bp.post("/donors/<int:donor_id>/erase")
def erase_donor_data(donor_id: int):
    if request.form.get("confirm", "").strip() != ERASE_CONFIRMATION:
        flash(f"Not erased: type {ERASE_CONFIRMATION} to confirm.", "error")
        return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)
    try:
        done = erase_donor(donor_id, actor=current_user.email)
    except DonationDriveError as exc:
        flash(f"Not erased: {exc.message}", "error")
        return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)
    flash(
        f"Erased: {done['gifts']} gifts and {done.get('emails', 0)} emails no longer hold the "
        "donor's name, email, message or address. Amounts and totals are unchanged.",
        "success",
    )
    return redirect(url_for("admin.donor_detail", donor_id=donor_id), code=303)


@bp.post("/donors/statements")
def send_year_statements():
    """The dashboard's button: queue the year's statements (or list who would get
    one); the worker's outbox run sends them."""
    from ...statements.send import send_statements

    text = request.form.get("year", "").strip()
    if not text.isdigit():
        flash("Statements not sent: year must be a number like 2026.", "error")
        return redirect(url_for("admin.donors"), code=303)
    dry_run = request.form.get("dry_run") == "1"
    try:
        run = send_statements(int(text), dry_run=dry_run, requested_by=current_user.email)
    except DonationDriveError as exc:
        flash(f"Statements not sent: {exc.message}", "error")
        return redirect(url_for("admin.donors"), code=303)
    skipped = len(run.planned) - len(run.to_send)
    if dry_run:
        names = ", ".join(p.email or f"donor {p.donor_id}" for p in run.to_send[:20])
        more = f" and {len(run.to_send) - 20} more" if len(run.to_send) > 20 else ""
        flash(
            f"Dry run for {run.period.title}: {len(run.to_send)} would get a statement"
            f"{': ' + names + more if names else ''}; {skipped} skipped. Nothing was sent.",
            "success",
        )
    else:
        flash(
            f"Queued {run.queued} statements for {run.period.title} ({skipped} skipped: no "
            "email, or already sent). The outbox sends them within a minute.",
            "success",
        )
    return redirect(url_for("admin.donors"), code=303)
