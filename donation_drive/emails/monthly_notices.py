"""Emails about a monthly gift besides its receipts: a failed installment (with the
link to give a new card) and the confirmation of every change the donor or an admin
made (amount, pause, resume, cancel, card). Rows go into the outbox like receipts,
in the same transaction as the fact they report, and are delivered by the same
sender; the dedupe key names what they are about, so each is queued once:

- ``monthly:failed:<gift id>:<invoice id>:<attempt>``
- ``monthly:changed:<gift id>:<audit row id>``
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage

from flask import current_app, render_template

from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..formatting import format_money
from ..i18n import html_lang
from ..models import MonthlyGift, MonthlyGiftEvent, OutboxEmail, utcnow
from ..monthly.tokens import manage_url
from .headers import one_line, outgoing_message

FAILED = "monthly_failed"
CHANGED = "monthly_changed"
NOTICE_KINDS = (FAILED, CHANGED)


def _queue(kind: str, key: str, gift: MonthlyGift) -> bool:
    if not gift.donor_email:
        return False
    return insert_ignoring_duplicates(
        OutboxEmail.__table__,
        {
            "dedupe_key": key,
            "kind": kind,
            "donation_id": None,
            "to_address": gift.donor_email,
            "status": "pending",
            "next_attempt_at": utcnow(),
        },
        ["dedupe_key"],
    )


def queue_failed_installment(gift: MonthlyGift, invoice_id: str, attempt: int) -> bool:
    """In the caller's transaction; True when a row was added (once per attempt)."""
    return _queue(FAILED, f"monthly:failed:{gift.id}:{invoice_id}:{attempt}", gift)


def queue_change_confirmation(gift: MonthlyGift, audit_event_id: int) -> bool:
    return _queue(CHANGED, f"monthly:changed:{gift.id}:{audit_event_id}", gift)


def _parts(email: OutboxEmail) -> tuple[MonthlyGift, list[str]]:
    _, _, gift_id, *rest = email.dedupe_key.split(":")
    gift = db.session.get(MonthlyGift, int(gift_id))
    if gift is None:
        raise LookupError(f"monthly gift {gift_id} is gone")
    return gift, rest


_CHANGE_TEXT = {
    "amount_changed": "Your monthly gift is now {amount} every month.",
    "paused": (
        "Your monthly gift of {amount} is paused: no installment will be taken until you resume it."
    ),
    "resumed": "Your monthly gift of {amount} runs again.",
    "canceled": "Your monthly gift of {amount} is canceled. No further installment will be taken.",
    "card_updated": "Your monthly gift of {amount} will be charged to your new card from now on.",
}


def compose_notice(email: OutboxEmail, *, now: datetime) -> EmailMessage:
    config = current_app.config
    gift, rest = _parts(email)
    locale = gift.drive.locale or "en_US"
    amount = format_money(gift.amount, gift.currency, locale)
    org = config.get("ORG_NAME") or ""
    if email.kind == FAILED:
        subject = f"{org}: your monthly gift could not be charged".strip(": ")
        lines = [
            f"We could not charge your card for your monthly gift of {amount}.",
            "Your bank will be asked again over the next days. To give with another card,",
            "use this link:",
        ]
    else:
        event = db.session.get(MonthlyGiftEvent, int(rest[0]))
        action = event.action if event is not None else "changed"
        subject = f"{org}: your monthly gift was changed".strip(": ")
        text = _CHANGE_TEXT.get(action, "Your monthly gift was changed.")
        lines = [text.format(amount=amount), "To see or change it:"]
    context = {
        "lang": html_lang(locale),
        "subject": one_line(subject),
        "donor_name": one_line(gift.donor_name) or "Friend",
        "lines": lines,
        "link": manage_url(gift),
        "org_name": org,
    }
    message = outgoing_message(
        email,
        subject=context["subject"],
        to_name=gift.donor_name,
        now=now,
        mail_from=config["MAIL_FROM"],
        reply_to=config.get("MAIL_REPLY_TO"),
    )
    message.set_content(render_template("emails/monthly_notice.txt", **context))
    message.add_alternative(
        render_template("emails/monthly_notice.html", **context), subtype="html"
    )
    return message


# -- receivers of monthly gifts' signals (see donation_drive.subscriptions) -----------


def on_gift_changed(_app, *, gift: MonthlyGift, audit_event_id: int, **_: object) -> None:
    queue_change_confirmation(gift, audit_event_id)


def on_installment_failed(
    _app, *, gift: MonthlyGift, invoice_id: str, attempt: int, **_: object
) -> None:
    queue_failed_installment(gift, invoice_id, attempt)


def monthly_receipt_context(reference: str | None, provider: str | None) -> dict | None:
    """For a receipt: the monthly gift an installment belongs to, with a fresh manage
    link, or None for a one-time gift."""
    if not reference or not reference.startswith("sub_") or not provider:
        return None
    gift = (
        db.session.query(MonthlyGift).filter_by(provider=provider, provider_ref=reference).first()
    )
    if gift is None:
        return None
    locale = gift.drive.locale or "en_US"
    return {
        "amount": format_money(gift.amount, gift.currency, locale) + " every month",
        "manage_url": manage_url(gift),
    }
