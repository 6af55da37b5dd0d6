"""The thank-you receipt: whether it may still go out, and what it says.

Content comes from Jinja templates under ``templates/emails/`` (``receipt.html``,
``receipt.txt``, ``receipt_subject.txt``, ``base.html``); an organisation overrides
any of them by putting a file of the same name under ``<instance>/templates/emails/``.
"""

from __future__ import annotations

import logging
from datetime import datetime, tzinfo
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date
from flask import current_app, render_template
from flask_babel import gettext

from ..formatting import format_money, format_percent
from ..i18n import html_lang, speaking
from ..ledger.totals import drive_progress
from ..models import Donation, Method, OutboxEmail, Status
from ..widget.presentation import donors_text
from .headers import (
    envelope_sender,
    one_line,
    outgoing_message,
)
from .monthly_notices import monthly_receipt_context
from .outbox import is_resend

log = logging.getLogger(__name__)


def N_(text: str) -> str:
    """Marks ``text`` for the catalogs (``make extract``); translated where it is shown."""
    return text


FRIEND = N_("Friend")

METHOD_LABELS: dict[str, str] = {
    Method.CARD: N_("Card"),
    Method.PAYPAL: N_("PayPal"),
    Method.CHECK: N_("Check"),
    Method.AMAZON_GIFT_CARD: N_("Amazon gift card"),
    Method.BITCOIN: N_("Bitcoin"),
    Method.CASH: N_("Cash"),
    Method.OTHER: N_("Other"),
}


def method_label(method: str) -> str:
    """The method in words, in the language of the block it is called in."""
    label = METHOD_LABELS.get(method)
    return gettext(label) if label else method.replace("_", " ").capitalize()


def receipt_locale(donation: Donation) -> str:
    """A receipt speaks its drive's locale (``DEFAULT_LOCALE`` for a drive without)."""
    return donation.drive.locale or current_app.config.get("DEFAULT_LOCALE") or "en_US"


def reason_not_to_send(donation: Donation | None) -> str | None:
    """Why a receipt must not go out (None when it may): checked right before each
    send, so money refunded or voided while the email waited gets no thank-you."""
    if donation is None:
        return "the donation no longer exists"
    if donation.status == Status.VOIDED:
        return "donation voided"
    if donation.status != Status.SUCCEEDED:
        return f"payment {donation.status}: no money was received"
    if donation.refunded_amount >= donation.amount:
        return "payment refunded before the receipt was sent"
    if (
        donation.dispute_status == "lost"
        and donation.refunded_amount + donation.disputed_amount >= donation.amount
    ):
        return "payment lost to a dispute before the receipt was sent"
    return None


def _timezone() -> tzinfo:
    # ADMIN_TIMEZONE is the organisation's zone; a receipt dated in it puts a gift made
    # late on 31 December in the right tax year.
    name = current_app.config.get("ADMIN_TIMEZONE") or "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        log.warning("ADMIN_TIMEZONE %r is not a known time zone; receipts use UTC", name)
        return ZoneInfo("UTC")


def receipt_context(donation: Donation, *, is_copy: bool) -> dict[str, Any]:
    """Everything the receipt templates may show. Donor text is passed as is: the HTML
    template autoescapes it, and it never reaches a header from here."""
    config = current_app.config
    drive = donation.drive
    locale = receipt_locale(donation)
    currency = donation.currency

    def money(amount: int) -> str:
        return format_money(amount, currency, locale)

    progress = drive_progress(drive.slug)
    received = donation.received_at.astimezone(_timezone())
    net = donation.amount - donation.refunded_amount
    base_url = (config.get("PUBLIC_BASE_URL") or "").rstrip("/")
    address = (config.get("ORG_ADDRESS") or "").replace("\\n", "\n")
    return {
        "lang": html_lang(locale),
        "donor_name": one_line(donation.donor_name) or gettext(FRIEND),
        "amount": money(donation.amount),
        "refunded": money(donation.refunded_amount) if donation.refunded_amount else None,
        "net_amount": money(net) if donation.refunded_amount else None,
        "date": format_date(received.date(), format="long", locale=locale),
        "method": method_label(donation.method),
        "reference": donation.reference,
        "receipt_number": donation.receipt_number,
        "message": donation.message,
        "is_copy": is_copy,
        "org_name": config.get("ORG_NAME") or "",
        "org_address_lines": [line.strip() for line in address.splitlines() if line.strip()],
        "tax_statement": config.get("ORG_TAX_STATEMENT") or "",
        "drive_title": drive.title,
        "drive_url": f"{base_url}/donate/{drive.slug}",
        "raised": format_money(progress.raised_amount, progress.currency, locale, whole=True),
        "goal": format_money(progress.goal_amount, progress.currency, locale, whole=True),
        "percent": format_percent(progress.percent, locale),
        "donor_count": progress.donor_count,
        "donors": donors_text(progress.donor_count, locale),
        "gift_count": progress.gift_count,
        # An installment of a monthly gift: its amount and the donor's manage link.
        "monthly": monthly_receipt_context(donation.reference, donation.provider),
    }


def _subject(context: dict[str, Any]) -> str:
    # The subject sees no donor text at all: only the organisation, the drive and the
    # receipt number. one_line() also folds whatever an overriding template emits.
    allowed = ("org_name", "drive_title", "receipt_number", "amount", "date", "is_copy")
    text = render_template("emails/receipt_subject.txt", **{k: context[k] for k in allowed})
    return one_line(text) or gettext("Receipt %(number)s", number=context["receipt_number"])


def compose_receipt(email: OutboxEmail, donation: Donation, *, now: datetime) -> EmailMessage:
    """The receipt for one outbox row as a MIME message (text and HTML alternatives).

    Raises ``InvalidRecipient`` when the row's address cannot be used, and whatever
    Jinja raises when an overriding template is broken.
    """
    config = current_app.config
    with speaking(receipt_locale(donation)):
        context = receipt_context(donation, is_copy=is_resend(email))
        context["subject"] = _subject(context)
        text = render_template("emails/receipt.txt", **context)
        html = render_template("emails/receipt.html", **context)

    message = outgoing_message(
        email,
        subject=context["subject"],
        to_name=donation.donor_name,
        now=now,
        mail_from=config["MAIL_FROM"],
        reply_to=config.get("MAIL_REPLY_TO"),
    )
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def envelope_from() -> str:
    return envelope_sender(current_app.config["MAIL_FROM"])
