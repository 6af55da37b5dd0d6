"""The PayPal page: is PayPal flowing (last webhook event, last IPN, last PayPal
reconcile run), and the payments that need a drive (docs/paypal.md, "Which drive"):
an admin picks the drive and the stored message is applied again toward it, through
the same intake, so it still counts once."""

from __future__ import annotations

from functools import partial

from flask import abort, flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import SelectField

from ..extensions import db
from ..ledger import get_drive_key
from ..models import Drive, ReconcileFinding, ReconcileRun, WebhookEvent
from ..providers import paypal
from ..providers.paypal import ipn as paypal_ipn
from ..providers.paypal.events import PayPalEvent
from ..webhooks import paypal as paypal_intake
from ..webhooks.intake import FAILED, receive_event
from .blueprint import bp

PAYPAL_EVENT_PROVIDERS = (paypal.PROVIDER, paypal.IPN_PROVIDER)
PAYPAL_RUN_KINDS = ("paypal",)


class AssignDriveForm(FlaskForm):
    drive = SelectField("Drive", validate_choice=False)


def _needs_drive() -> list[WebhookEvent]:
    return list(
        db.session.scalars(
            select(WebhookEvent)
            .where(
                WebhookEvent.provider.in_(PAYPAL_EVENT_PROVIDERS),
                WebhookEvent.status == FAILED,
                WebhookEvent.last_error.startswith(paypal_intake.NEEDS_DRIVE_PREFIX),
            )
            .order_by(WebhookEvent.received_at.desc())
            .limit(200)
        )
    )


def _last(provider: str) -> WebhookEvent | None:
    return db.session.scalars(
        select(WebhookEvent)
        .where(WebhookEvent.provider == provider)
        .order_by(WebhookEvent.received_at.desc())
        .limit(1)
    ).first()


def last_paypal_run() -> ReconcileRun | None:
    """The latest reconcile run that read PayPal (it left a ``paypal_checked`` note)."""
    run_id = db.session.scalar(
        select(func.max(ReconcileFinding.run_id)).where(ReconcileFinding.kind == "paypal_checked")
    )
    return db.session.get(ReconcileRun, run_id) if run_id is not None else None


@bp.get("/paypal")
def paypal_status():
    drives = list(db.session.scalars(select(Drive).order_by(Drive.starts_at.desc())))
    form = AssignDriveForm()
    form.drive.choices = [(d.slug, f"{d.title} ({d.currency})") for d in drives]
    return render_template(
        "admin/paypal.html",
        enabled=paypal.is_enabled(),
        last_event=_last(paypal.PROVIDER),
        last_ipn=_last(paypal.IPN_PROVIDER),
        last_run=last_paypal_run(),
        needs_drive=_needs_drive(),
        form=form,
    )


@bp.post("/paypal/events/<int:event_row>/assign")
def paypal_assign_drive(event_row: int):
    form = AssignDriveForm()
    form.drive.choices = [(slug, slug) for slug in db.session.scalars(select(Drive.slug))]
    if not form.validate() or form.drive.data not in dict(form.drive.choices):
        flash("Pick one of the drives.", "error")
        return redirect(url_for("admin.paypal_status"))
    stored = db.session.get(WebhookEvent, event_row)
    if stored is None or stored.provider not in PAYPAL_EVENT_PROVIDERS:
        abort(404)
    drive = get_drive_key(form.drive.data)
    if stored.provider == paypal.IPN_PROVIDER:
        message = paypal_ipn.message_from_payload(stored.payload)
        result = receive_event(
            paypal_intake.ipn_event(message),
            provider=paypal.IPN_PROVIDER,
            handle=partial(paypal_intake.handle_ipn, drive=drive),
        )
    else:
        payload = stored.payload
        event = PayPalEvent(
            id=stored.event_id,
            type=stored.type,
            created=stored.provider_created or 0,
            resource=dict(payload.get("resource") or {}),
            payload=payload,
        )
        result = receive_event(
            event,
            provider=paypal.PROVIDER,
            handle=partial(paypal_intake.handle_event, drive=drive),
        )
    if result.status == "processed":
        flash(f"Counted toward {drive.slug}: {result.detail}", "success")
    else:
        flash(f"Not counted: {result.detail or result.status}", "error")
    return redirect(request.referrer or url_for("admin.paypal_status"))
