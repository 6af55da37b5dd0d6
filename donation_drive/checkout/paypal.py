"""PayPal's button on the checkout page, beside the card (when PayPal is configured).

The page's script (``static/checkout/paypal.js``) renders PayPal's JS SDK buttons.
``createOrder`` calls ``POST /donate/<slug>/paypal/orders`` with the same form the card
sends (read by the same parser and quote, in the drive's locale): the server makes a
pending donation (method paypal), then an Orders v2 order (intent CAPTURE, the quoted
total in the drive's currency, ``custom_id`` = ``<slug>:<pending donation id>``).
``onApprove`` calls ``POST /donate/<slug>/paypal/orders/<order id>/capture``: the server
captures it, and the capture (whose id is the payment's key, the same the webhook, the
IPN, reconciliation and the CSV import use) is recorded through the ledger's one path,
which settles the pending donation and queues the receipt in the outbox. The donor
lands on the same thank-you page as a card donor.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ..errors import DonationDriveError, InvalidInput
from ..extensions import limiter
from ..json_api import json_api
from ..ledger import create_pending_card_donation, get_drive, schedule_of
from ..models import Drive, Method
from ..providers import paypal
from ..providers.paypal.payments import capture_order, create_order
from .attempts import logged_attempt
from .drive_status import refuse_unless_accepting
from .form import _check_currency, _check_donor, _check_expected_total, quote_charge
from .links import thank_you_url
from .rate_limits import email_key, email_limit, ip_limit, log_limited_attempt, no_email_given

bp = Blueprint("checkout_paypal", __name__)
ACTOR = "checkout"


class PayPalDeclined(DonationDriveError):
    status_code = 402


@bp.app_context_processor
def _paypal_button() -> dict[str, Any]:
    return {"paypal_checkout": paypal_checkout}


def paypal_checkout(drive: Drive) -> dict[str, str] | None:
    """What the checkout page needs for PayPal's button, or None when PayPal is off."""
    if not paypal.is_enabled():
        return None
    config = current_app.config
    query = urlencode(
        {
            "client-id": config["PAYPAL_CLIENT_ID"],
            "currency": drive.currency,
            "intent": "capture",
            "components": "buttons",
        }
    )
    return {
        "sdk_url": f"{config['PAYPAL_JS_URL']}?{query}",
        "create_url": url_for("checkout_paypal.create_paypal_order", slug=drive.slug),
        "capture_url": url_for(
            "checkout_paypal.capture_paypal_order", slug=drive.slug, order_id="ORDER_ID"
        ),
    }


@bp.post("/donate/<slug>/paypal/orders")
@json_api
@limiter.limit(ip_limit, on_breach=log_limited_attempt)
@limiter.limit(
    email_limit, key_func=email_key, exempt_when=no_email_given, on_breach=log_limited_attempt
)
def create_paypal_order(slug: str) -> Response:
    """The donation form as JSON (as the card sends it, without a card) in; the
    PayPal order id out, for the SDK's ``createOrder``."""
    data = request.get_json(silent=True)
    with logged_attempt(data.get("email") if isinstance(data, dict) else None) as attempt:
        if not paypal.is_enabled():
            raise paypal.PayPalNotConfigured("PayPal is not offered here", "provider")
        drive = attempt.drive = get_drive(slug)
        refuse_unless_accepting(drive, schedule_of(drive))
        if not isinstance(data, dict):
            raise InvalidInput("send the donation form as a JSON object", "payload")
        currency = _check_currency(data.get("currency"), drive)
        quote = quote_charge(data, drive)
        _check_expected_total(data.get("expected_total"), quote)
        donor = _check_donor(data)
        attempt.amount = quote.total
        donation = create_pending_card_donation(
            drive,
            amount=quote.total,
            donor=donor,
            fee_covered_amount=quote.fee,
            provider=paypal.PROVIDER,
            method=Method.PAYPAL,
        )
        order = create_order(
            amount=quote.total,
            currency=currency,
            custom_id=paypal.custom_id_for(drive.slug, donation.id),
            description=drive.title,
            request_id=f"donation-{donation.id}-order",
        )
        attempt.outcome = "order_created"
    return jsonify({"id": order.id, "status": order.status})


@bp.post("/donate/<slug>/paypal/orders/<order_id>/capture")
@json_api
@limiter.limit(ip_limit, on_breach=log_limited_attempt)
def capture_paypal_order(slug: str, order_id: str) -> Response:
    """Capture the order the donor approved and count it; where to go next out."""
    with logged_attempt() as attempt:
        if not paypal.is_enabled():
            raise paypal.PayPalNotConfigured("PayPal is not offered here", "provider")
        drive = attempt.drive = get_drive(slug)
        order = capture_order(order_id, request_id=f"order-{order_id}-capture"[:108])
        capture = order.capture
        if capture is None:
            raise paypal.PayPalUnavailable("PayPal's answer has no capture; check PayPal")
        named = paypal.read_custom(capture.custom_id)
        if named.drive_slug != drive.slug or named.donation_id is None:
            raise InvalidInput("this PayPal order was not started on this page", "order")
        if capture.status == "DECLINED":
            raise PayPalDeclined("PayPal declined the payment. No money was taken.", "paypal")
        attempt.email, attempt.amount = capture.payer_email, capture.amount
        status = "pending"
        if capture.is_paid:
            try:
                paypal.record_payment(
                    paypal.PayPalPayment(
                        capture_id=capture.id,
                        amount=capture.amount,
                        currency=capture.currency,
                        paid_at=capture.created,
                        named=named,
                        donor=paypal.donor_of(capture.payer_email, capture.payer_name),
                    ),
                    actor=ACTOR,
                    drive=drive,
                )
            except paypal.Refused as exc:
                raise InvalidInput(str(exc), "paypal") from None
            status = "succeeded"
        attempt.outcome = status
    return jsonify(
        {
            "status": status,
            "capture_id": capture.id,
            "redirect": thank_you_url(drive.slug, named.donation_id),
        }
    )
