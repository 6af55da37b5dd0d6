"""The PayPal page: is PayPal flowing (last webhook event, last IPN, last PayPal
reconcile run), and the payments that need a drive (docs/paypal.md, "Which drive"):
an admin picks the drive and the stored message is applied again toward it, through
the same intake, so it still counts once."""

from __future__ import annotations

from functools import partial
from urllib.parse import quote

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import HiddenField, SelectField, StringField

from ...amount_text import parse_amount
from ...errors import DonationDriveError, InvalidInput
from ...extensions import db
from ...formatting import format_money
from ...ledger import get_drive_key
from ...models import Donation, Drive, ReconcileRun, WebhookEvent
from ...providers import paypal
from ...providers.paypal import ipn as paypal_ipn
from ...providers.paypal.events import PayPalEvent
from ...providers.paypal.objects import REFUND
from ...providers.paypal.payments import refund_capture
from ...reconcile.paypal import SEARCH_PROVIDER, handle_search_event, search_event_from
from ...webhooks import paypal as paypal_intake
from ...webhooks.intake import FAILED, receive_event
from ..blueprint import bp

PAYPAL_EVENT_PROVIDERS = (paypal.PROVIDER, paypal.IPN_PROVIDER, SEARCH_PROVIDER)
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
    """The latest reconcile run that read PayPal."""
    run_id = db.session.scalar(
        select(func.max(ReconcileRun.id)).where(ReconcileRun.provider == paypal.PROVIDER)
    )
    return db.session.get(ReconcileRun, run_id) if run_id is not None else None


def paypal_health() -> dict[str, object] | None:
    """PayPal's line on the operations page, or None when PayPal is off."""
    if not paypal.is_enabled():
        return None
    return {
        "last_event": _last(paypal.PROVIDER),
        "last_ipn": _last(paypal.IPN_PROVIDER),
        "last_run": last_paypal_run(),
        "needs_drive": len(_needs_drive()),
    }


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
    elif stored.provider == SEARCH_PROVIDER:
        result = receive_event(
            search_event_from(stored.payload),
            provider=SEARCH_PROVIDER,
            handle=partial(handle_search_event, drive=drive),
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


# ---------------------------------------------------------------------- one PayPal gift
CHANNELS = (
    ("checkout", "PayPal button at the checkout"),
    ("paypal-ipn:", "Donate button (IPN)"),
    ("paypal-webhook:", "PayPal webhook"),
    ("reconcile", "found by reconciliation (Transaction Search)"),
)


def paypal_gift(donation: Donation) -> dict[str, object]:
    channel = next(
        (label for prefix, label in CHANNELS if donation.entered_by.startswith(prefix)),
        "imported from PayPal's activity export" if donation.method == "paypal" else "PayPal",
    )
    api_base = str(current_app.config.get("PAYPAL_API_BASE") or "")
    site = "https://www.sandbox.paypal.com" if "sandbox" in api_base else "https://www.paypal.com"
    return {
        "channel": channel,
        "activity_url": f"{site}/activity/payment/{quote(donation.provider_ref or '')}",
        "can_refund": paypal.is_enabled(),
    }


@bp.app_context_processor
def _paypal_helpers() -> dict[str, object]:
    return {"paypal_gift": paypal_gift, "paypal_health": paypal_health}


class PayPalRefundForm(FlaskForm):
    paypal_refund_amount = StringField("Amount")
    next = HiddenField()


@bp.post("/donations/<int:donation_id>/paypal-refund")
def refund_paypal_donation(donation_id: int):
    donation = db.session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        abort(404)
    if donation.provider != paypal.PROVIDER or not donation.provider_ref:
        abort(409, "only PayPal payments are refunded through PayPal")
    form = PayPalRefundForm()
    target = form.next.data or ""
    back = target if target.startswith("/") and not target.startswith("//") else None
    back = back or url_for("admin.paypal_status")
    if not form.validate():
        flash("The form expired; try again.", "error")
        return redirect(back)
    text = (form.paypal_refund_amount.data or "").strip()
    try:
        amount = (
            parse_amount(text, donation.currency, locale=donation.drive.locale) if text else None
        )
        if amount is not None and amount > donation.amount - donation.refunded_amount:
            raise InvalidInput("the refund is larger than what is left of the gift", "amount")
        refund = refund_capture(
            donation.provider_ref,
            amount,
            donation.currency,
            request_id=f"admin-refund-{donation.id}-{donation.refunded_amount}-{amount}",
        )
        paypal.record_adjustment(
            paypal.Adjustment(
                id=refund.id,
                capture_id=donation.provider_ref,
                kind=REFUND,
                amount=refund.amount,
                currency=refund.currency,
                at=refund.created,
            ),
            source="dashboard",
        )
        paypal.sync_adjustments(donation.provider_ref, actor=current_user.email)
    except DonationDriveError as exc:
        flash(f"Not refunded: {exc.message}", "error")
        return redirect(back)
    flash(
        f"{format_money(refund.amount, refund.currency)} was refunded at PayPal and taken off "
        "the drive's total.",
        "success",
    )
    return redirect(back)
