"""``/admin/monthly``: monthly gifts by status, the monthly recurring amount, new and
lost this month, installments the counting rule put outside a running drive, and one
gift's installments and audit trail, with cancel and refund buttons. The overview's
monthly recurring card reads ``monthly_recurring_total`` (a template global)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from ...errors import DonationDriveError
from ...extensions import db
from ...formatting import format_money
from ...ledger import apply_provider_refund
from ...models import Donation, GiftStatus, MonthlyGift, Status, utcnow
from ...monthly import changes
from ...monthly.figures import installments_outside_drives, monthly_figures
from ...monthly.installments import installments_of
from ...monthly.records import gift_events
from ...providers.stripe import refund_payment
from ..blueprint import bp

SHOWN_PER_STATUS = 200


@bp.app_template_global("monthly_recurring_total")
def monthly_recurring_total(currency: str, locale: str = "en_US") -> str | None:
    """The monthly recurring amount in ``currency``, formatted; None with no gifts."""
    amount = monthly_figures(utcnow()).recurring.get(currency)
    return format_money(amount, currency, locale) if amount else None


def _gifts(status: str) -> list[MonthlyGift]:
    return list(
        db.session.scalars(
            select(MonthlyGift)
            .where(MonthlyGift.status == status)
            .order_by(MonthlyGift.created_at.desc())
            .limit(SHOWN_PER_STATUS)
        )
    )


@bp.get("/monthly")
def monthly():
    figures = monthly_figures(utcnow())
    return render_template(
        "admin/monthly.html",
        figures=figures,
        recurring=[
            format_money(amount, currency) for currency, amount in sorted(figures.recurring.items())
        ],
        groups=[
            ("Past due", _gifts(GiftStatus.PAST_DUE)),
            ("Active", _gifts(GiftStatus.ACTIVE)),
            ("Paused", _gifts(GiftStatus.PAUSED)),
            ("Waiting for the first payment", _gifts(GiftStatus.INCOMPLETE)),
            ("Canceled", _gifts(GiftStatus.CANCELED)),
        ],
        outside=installments_outside_drives(),
    )


def _gift(gift_id: int) -> MonthlyGift:
    gift = db.session.get(MonthlyGift, gift_id)
    if gift is None:
        abort(404, "no such monthly gift")
    return gift


@bp.get("/monthly/<int:gift_id>")
def monthly_gift(gift_id: int):
    gift = _gift(gift_id)
    return render_template(
        "admin/monthly_gift.html",
        gift=gift,
        installments=installments_of(gift),
        events=gift_events(gift.id),
    )


@bp.post("/monthly/<int:gift_id>/cancel")
def cancel_monthly_gift(gift_id: int):
    gift = _gift(gift_id)
    try:
        changes.cancel(gift, actor=current_user.email)
    except DonationDriveError as exc:
        flash(f"Not canceled: {exc.message}", "error")
    else:
        flash("Canceled at Stripe; the donor gets a confirmation.", "success")
    return redirect(url_for("admin.monthly_gift", gift_id=gift_id), code=303)


@bp.post("/monthly/<int:gift_id>/installments/<int:donation_id>/refund")
def refund_installment(gift_id: int, donation_id: int):
    """Refund what is left of one installment at Stripe; the ledger follows at once
    (and the ``charge.refunded`` webhook later changes nothing twice)."""
    gift = _gift(gift_id)
    donation = db.session.get(Donation, donation_id)
    if donation is None or donation.reference != gift.provider_ref or not donation.provider_ref:
        abort(404, "no such installment of this gift")
    if donation.status != Status.SUCCEEDED or donation.refunded_amount >= donation.amount:
        flash("Nothing left to refund on that installment.", "error")
        return redirect(url_for("admin.monthly_gift", gift_id=gift_id), code=303)
    try:
        refund = refund_payment(
            donation.provider_ref,
            None,
            reason="requested_by_customer",
            idempotency_key=f"admin-refund:{donation.id}:{donation.refunded_amount}:all",
        )
        if refund.status == "succeeded":
            apply_provider_refund(
                donation.provider or "stripe",
                refund.payment_intent_id,
                refunded_total=refund.charge_refunded_total,
                actor=current_user.email,
            )
    except DonationDriveError as exc:
        flash(f"Not refunded: {exc.message}", "error")
    else:
        flash(f"Refunded {format_money(refund.amount, donation.currency)}.", "success")
    return redirect(url_for("admin.monthly_gift", gift_id=gift_id), code=303)
