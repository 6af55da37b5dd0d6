"""Offline entry and corrections: record a check (or PayPal, gift card, bitcoin, cash,
other), correct it, void it, give money back; refund a card payment through Stripe and
resend a receipt.

Each view parses the form and calls one ledger (or gateway, or emails) function; the
ledger writes the audit row naming ``current_user.email``. A rejected form comes back
with status 400 and the message next to the field the domain error names.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from ...amount_text import format_amount_input, parse_amount
from ...emails import resend_receipt
from ...errors import DonationDriveError, InvalidInput, NotFound, UnknownDrive
from ...extensions import db
from ...formatting import format_money
from ...ledger import (
    DonorDetails,
    apply_provider_refund,
    drive_progress,
    list_drives,
    record_offline_donation,
    refund_offline_donation,
    update_offline_donation,
    void_donation,
)
from ...models import Donation, DonationEvent, Drive, Method, Status, utcnow
from ...providers.stripe import PROVIDER, refund_payment
from ..blueprint import bp
from ..display import admin_timezone, method_label
from ..drive_choice import default_drive
from ..forms import FieldErrors, choice_values, choices
from ..redirects import same_site_path
from .forms import (
    EditDonationForm,
    NewDonationForm,
    RefundForm,
    ResendReceiptForm,
    StripeRefundForm,
    VoidForm,
    local_day,
)


def _load_donation(donation_id: int) -> Donation:
    donation = db.session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", "donation")
    return donation


def donation_page(donation_id: int) -> str:
    """The donation's detail page (the dashboard's)."""
    return url_for("admin.donation_detail", donation_id=donation_id)


@bp.context_processor
def _entry_helpers() -> dict[str, object]:
    return {"donation_url": donation_page}


def _return_to(target: str | None, donation_id: int) -> str:
    """Back where the action was taken from: same-site paths only, no open redirect."""
    return same_site_path(target) or donation_page(donation_id)


def _is_editable(donation: Donation) -> bool:
    return donation.method != Method.CARD and donation.status != Status.VOIDED


@bp.route("/donations/new", methods=["GET", "POST"])
def new_donation():
    drives = list_drives()
    if not drives:
        flash("Create a drive before recording donations.", "error")
        return redirect(url_for("admin.drives"))
    form = NewDonationForm()
    form.drive.choices = choices([(d.slug, d.title) for d in drives])
    tz = admin_timezone()
    if not form.is_submitted():
        slugs = {d.slug for d in drives}
        wanted = request.args.get("drive")
        form.drive.data = wanted if wanted in slugs else default_drive(drives).slug
        form.method.data = request.args.get("method", Method.CHECK)
        form.received_at.data = utcnow().astimezone(tz).date().isoformat()
        return render_template("admin/entry_new.html", form=form)
    if form.validate():
        donation = _record_from(form, drives)
        if donation is not None:
            progress = drive_progress(donation.drive.slug)
            flash(
                f"Recorded {format_money(donation.amount, donation.currency)} "
                f"({method_label(donation.method)}) from "
                f"{donation.donor_name or 'an anonymous donor'}. "
                f"{progress.title} has now raised "
                f"{format_money(progress.raised_amount, progress.currency, progress.locale)}.",
                "success",
            )
            return redirect(donation_page(donation.id))
    return render_template("admin/entry_new.html", form=form), 400


def _record_from(form: NewDonationForm, drives: list[Drive]) -> Donation | None:
    errors = FieldErrors(form)
    drive = next((d for d in drives if d.slug == form.drive.data), None)
    if drive is None:
        errors.add(UnknownDrive("choose one of the drives", "drive"))
    values = form.read_values(drive or drives[0], admin_timezone(), errors)
    if errors or drive is None:
        return None
    donor = DonorDetails(
        name=values["donor_name"],
        email=values["donor_email"],
        display_name=values["display_name"],
        is_anonymous=values["is_anonymous"],
        message=values["message"],
    )
    try:
        return record_offline_donation(
            drive,
            amount=values["amount"],
            method=values["method"],
            received_at=values["received_at"],
            entered_by=current_user.email,
            donor=donor,
            reference=values["reference"],
            note=values["note"],
            send_receipt=bool(form.send_receipt.data),
        )
    except DonationDriveError as exc:
        errors.add(exc)
        return None


def _initial_values(donation: Donation) -> dict[str, object]:
    return {
        "method": donation.method,
        "amount": format_amount_input(donation.amount, donation.currency, donation.drive.locale),
        "received_at": local_day(donation.received_at, admin_timezone()),
        "donor_name": donation.donor_name,
        "donor_email": donation.donor_email,
        "display_name": donation.display_name,
        "is_anonymous": donation.is_anonymous,
        "message": donation.message,
        "reference": donation.reference,
        "note": donation.note,
    }


def _history(donation: Donation) -> list[DonationEvent]:
    return list(
        db.session.scalars(
            select(DonationEvent)
            .where(DonationEvent.donation_id == donation.id)
            .order_by(DonationEvent.id)
        )
    )


def render_manage_page(
    donation: Donation,
    *,
    form: EditDonationForm | None = None,
    action_form: FlaskForm | None = None,
    status: int = 200,
):
    """The correction page: the edit form, the actions and the audit trail. A failed
    action comes back here with its errors and what was typed."""
    if form is None and _is_editable(donation):
        form = EditDonationForm(formdata=None, data=_initial_values(donation))
    action_errors: dict[str, list[str]] = {}
    action_values: dict[str, object] = {}
    if action_form is not None:
        for name, field in action_form._fields.items():
            action_errors[name] = list(field.errors)
            action_values[name] = field.data
        action_errors["form"] = list(action_form.form_errors)
    page = render_template(
        "admin/entry_edit.html",
        donation=donation,
        form=form if _is_editable(donation) else None,
        history=_history(donation),
        action_errors=action_errors,
        action_values=action_values,
    )
    return page, status


@bp.route("/donations/<int:donation_id>/edit", methods=["GET", "POST"])
def edit_donation(donation_id: int):
    donation = _load_donation(donation_id)
    if request.method == "GET":
        return render_manage_page(donation)
    if not _is_editable(donation):
        flash("This donation cannot be edited.", "error")
        return render_manage_page(donation, status=409)
    form = EditDonationForm()
    if form.validate():
        errors = FieldErrors(form)
        tz = admin_timezone()
        values = form.read_values(donation.drive, tz, errors)
        if not errors:
            # The form shows a day; the same day typed back keeps the recorded time.
            if local_day(values["received_at"], tz) == local_day(donation.received_at, tz):
                del values["received_at"]
            try:
                update_offline_donation(donation_id, actor=current_user.email, **values)
            except DonationDriveError as exc:
                errors.add(exc)
            else:
                flash("Saved the correction.", "success")
                return redirect(donation_page(donation_id))
    return render_manage_page(_load_donation(donation_id), form=form, status=400)


@bp.post("/donations/<int:donation_id>/void", endpoint="void_donation")
def void_donation_view(donation_id: int):
    donation = _load_donation(donation_id)
    form = VoidForm()
    errors = FieldErrors(form)
    if form.validate():
        try:
            void_donation(donation_id, reason=form.void_reason.data, actor=current_user.email)
        except DonationDriveError as exc:
            errors.add(exc)
        else:
            flash(
                f"Voided {format_money(donation.amount, donation.currency)}: it no longer "
                "counts toward the drive.",
                "success",
            )
            return redirect(_return_to(form.next.data, donation_id))
    return render_manage_page(_load_donation(donation_id), action_form=form, status=400)


@bp.post("/donations/<int:donation_id>/refund", endpoint="refund_donation")
def refund_donation_view(donation_id: int):
    donation = _load_donation(donation_id)
    form = RefundForm()
    errors = FieldErrors(form)
    if form.validate():
        amount = errors.check(
            parse_amount,
            form.refund_amount.data,
            donation.currency,
            locale=donation.drive.locale,
        )
        if not errors:
            try:
                refund_offline_donation(
                    donation_id,
                    amount=amount,
                    reason=form.refund_reason.data,
                    actor=current_user.email,
                )
            except DonationDriveError as exc:
                errors.add(exc)
            else:
                flash(
                    f"Recorded a refund of {format_money(amount, donation.currency)}.",
                    "success",
                )
                return redirect(_return_to(form.next.data, donation_id))
    return render_manage_page(_load_donation(donation_id), action_form=form, status=400)


def _refund_at_stripe(
    donation: Donation, amount: int | None, reason: str | None, admin_email: str
) -> bool:
    """Refund a card payment at Stripe; True when Stripe settled it at once and the
    ledger has it. The ledger call is the webhook's own (idempotent on the payment),
    so the refund event arriving later changes nothing twice."""
    refund = refund_payment(
        donation.provider_ref,
        amount,
        reason=reason,
        # A double-clicked button refunds once: same donation, state and amount.
        idempotency_key=f"admin-refund:{donation.id}:{donation.refunded_amount}:{amount}",
    )
    if refund.status != "succeeded":
        return False
    apply_provider_refund(
        PROVIDER,  # refunded through Stripe above
        refund.payment_intent_id,
        refunded_total=refund.charge_refunded_total,
        actor=admin_email,
    )
    return True


@bp.post("/donations/<int:donation_id>/stripe-refund", endpoint="refund_card_donation")
def refund_card_donation(donation_id: int):
    donation = _load_donation(donation_id)
    if donation.method != Method.CARD or not donation.provider_ref:
        abort(409, "only card payments are refunded through Stripe")
    form = StripeRefundForm()
    errors = FieldErrors(form)
    if form.validate():
        if form.stripe_refund_reason.data not in choice_values(form.stripe_refund_reason):
            errors.add(InvalidInput("choose one of the reasons", "reason"))
        text = (form.stripe_refund_amount.data or "").strip()
        amount = (
            errors.check(parse_amount, text, donation.currency, locale=donation.drive.locale)
            if text
            else None
        )
        if not errors:
            try:
                settled = _refund_at_stripe(
                    donation, amount, form.stripe_refund_reason.data, current_user.email
                )
            except DonationDriveError as exc:
                errors.add(exc)
            else:
                shown = format_money(amount, donation.currency) if amount else "The rest"
                if settled:
                    flash(
                        f"{shown} was refunded at Stripe and taken off the drive's total. "
                        "Stripe's refund event will confirm it (it is counted once).",
                        "success",
                    )
                else:
                    flash(
                        f"Stripe accepted the refund of {shown.lower()} and is processing it. "
                        "The drive total changes when Stripe's refund event arrives (or at "
                        "the next reconciliation run).",
                        "success",
                    )
                return redirect(_return_to(form.next.data, donation_id))
    return render_manage_page(_load_donation(donation_id), action_form=form, status=400)


@bp.post("/donations/<int:donation_id>/resend-receipt", endpoint="resend_receipt")
def resend_receipt_view(donation_id: int):
    _load_donation(donation_id)
    form = ResendReceiptForm()
    errors = FieldErrors(form)
    if form.validate():
        to_address = (form.receipt_to.data or "").strip() or None
        try:
            email = resend_receipt(
                donation_id, to_address=to_address, requested_by=current_user.email
            )
        except DonationDriveError as exc:
            errors.add(exc)
        else:
            flash(f"A copy of the receipt is queued for {email.to_address}.", "success")
            return redirect(_return_to(form.next.data, donation_id))
    return render_manage_page(_load_donation(donation_id), action_form=form, status=400)
