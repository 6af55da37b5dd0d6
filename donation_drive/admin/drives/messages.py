"""Donors' messages for a drive's widget: every gift with a message, and a button
to approve one for the public. Until approved, a message never reaches the widget
(``ledger.recent_gifts``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ...extensions import db
from ...ledger import approve_message, get_drive
from ...models import Donation
from ..blueprint import bp


class ApproveForm(FlaskForm):
    pass


@bp.get("/drives/<slug>/messages")
def donor_messages(slug: str):
    drive = get_drive(slug)
    gifts = db.session.scalars(
        select(Donation)
        .where(Donation.drive_id == drive.id, Donation.message.is_not(None), Donation.message != "")
        .order_by(Donation.received_at.desc(), Donation.id.desc())
        .limit(200)
    ).all()
    return render_template(
        "admin/donor_messages.html", drive=drive, gifts=gifts, form=ApproveForm()
    )


@bp.post("/drives/<slug>/messages/<int:donation_id>/approve")
def approve_donor_message(slug: str, donation_id: int):
    drive = get_drive(slug)
    form = ApproveForm()
    if not form.validate_on_submit():
        return render_template(
            "error.html", status=400, message="The form expired; reload the page.", field=None
        ), 400
    donation = db.session.get(Donation, donation_id)
    if donation is None or donation.drive_id != drive.id:
        return render_template(
            "error.html", status=404, message="No such gift in this drive.", field="donation"
        ), 404
    approve_message(donation_id, actor=current_user.email)
    flash("Approved: the message may show on the widget.", "success")
    return redirect(url_for("admin.donor_messages", slug=slug))
