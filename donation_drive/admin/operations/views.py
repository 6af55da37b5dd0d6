"""The operations page: are payments, webhooks and emails flowing? Emails pending,
sent and failed (with the last error, and a resend), reconciliation runs and their
findings, webhook events received and failed, and when each last happened."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from ...emails import resend_receipt
from ...emails.outbox import RECEIPT
from ...errors import Conflict, DonationDriveError, NotFound
from ...extensions import db
from ...models import OutboxEmail
from ...reconcile.health import operations_health
from ..blueprint import bp
from .forms import EmailResendForm
from .queries import email_status, recent_runs, webhook_status


@bp.get("/operations")
def operations():
    return render_template(
        "admin/operations_overview.html",
        health=operations_health(),
        emails=email_status(),
        webhooks=webhook_status(),
        runs=recent_runs(),
        resend_form=EmailResendForm(),
        receipt_kind=RECEIPT,
    )


@bp.post("/operations/emails/<int:email_id>/resend")
def resend_email(email_id: int):
    """Queue a fresh copy of an email that could not be delivered, to the same address
    (a corrected address is given on the donation's page)."""
    form = EmailResendForm()
    if form.validate():
        email = db.session.get(OutboxEmail, email_id)
        try:
            if email is None:
                raise NotFound(f"no email {email_id}", "email")
            if email.kind != RECEIPT or email.donation_id is None:
                raise Conflict(f"{email.kind} emails are not resent from here", "email")
            copy = resend_receipt(
                email.donation_id, to_address=email.to_address, requested_by=current_user.email
            )
        except DonationDriveError as exc:
            flash(f"Not resent: {exc.message}", "error")
        else:
            flash(f"A copy of the receipt is queued for {copy.to_address}.", "success")
    return redirect(url_for("admin.operations"))
