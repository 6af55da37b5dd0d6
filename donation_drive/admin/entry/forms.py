"""Forms for offline entry and corrections: a new donation, an edit, a void, a refund
(offline or through the provider) and a receipt resend."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, tzinfo
from typing import Any

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField

from ...amount_text import parse_amount
from ...errors import InvalidInput
from ...ledger.validation import clean_text, validate_email
from ...models import OFFLINE_METHODS, Drive, utcnow
from ..display import METHOD_LABELS
from ..forms import FieldErrors, choices

# The form says "Amazon gift card" where lists say "Gift card": here the admin picks.
ENTRY_METHOD_LABELS = {**METHOD_LABELS, "amazon_gift_card": "Amazon gift card"}
# Checks first: they are most of what is entered by hand.
ENTRY_METHOD_ORDER = ("check", "paypal", "amazon_gift_card", "bitcoin", "cash", "other")


def offline_method_choices() -> list[SelectChoice]:
    ordered = sorted(OFFLINE_METHODS, key=lambda m: ENTRY_METHOD_ORDER.index(m))
    return choices([(str(m), ENTRY_METHOD_LABELS[m]) for m in ordered])


def parse_received_date(value: object, tz: tzinfo, field: str = "received_at") -> datetime:
    """A day as typed ("2026-12-01") → midday of that day in the admin's time zone, in
    UTC. Midday keeps the same calendar day in every zone within eleven hours of it.
    Refuses days in the future: money cannot arrive tomorrow."""
    text = str(value or "").strip()
    if not text:
        raise InvalidInput("the date received is required", field)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{text[:40]!r} is not a date (use YYYY-MM-DD)", field) from None
    if day.year < 1970:
        raise InvalidInput("the date is out of range", field)
    if day > utcnow().astimezone(tz).date():
        raise InvalidInput("the date received cannot be in the future", field)
    return datetime.combine(day, time(12), tzinfo=tz).astimezone(UTC)


def local_day(value: datetime, tz: tzinfo) -> str:
    return value.astimezone(tz).date().isoformat()


class DonationFieldsForm(FlaskForm):
    """What an offline donation records, shared by entry and correction."""

    method = SelectField("Method", choices=offline_method_choices(), validate_choice=False)
    amount = StringField(
        "Amount",
        description="In the drive's currency and number format, as written on the check.",
        render_kw={"inputmode": "decimal", "autocomplete": "off", "required": True},
    )
    received_at = StringField("Date received", render_kw={"type": "date", "required": True})
    donor_name = StringField("Donor name", render_kw={"autocomplete": "off"})
    donor_email = StringField("Donor email", render_kw={"type": "email", "autocomplete": "off"})
    display_name = StringField(
        "Public name", description="How the donor wants to be named, if not by name."
    )
    is_anonymous = BooleanField("Anonymous: never show the donor's name publicly")
    message = TextAreaField("Donor's message", render_kw={"rows": 3})
    reference = StringField(
        "Reference", description="Check number, PayPal transaction id, bitcoin hash…"
    )
    note = TextAreaField("Private note", render_kw={"rows": 3})

    def read_values(self, drive: Drive, tz: tzinfo, errors: FieldErrors) -> dict[str, Any]:
        """The typed values, parsed and checked; problems go to ``errors``."""
        method = self.method.data
        if method not in OFFLINE_METHODS:
            errors.add(
                InvalidInput(f"method must be one of {', '.join(OFFLINE_METHODS)}", "method")
            )
        return {
            "method": method,
            "amount": errors.check(
                parse_amount, self.amount.data, drive.currency, locale=drive.locale
            ),
            "received_at": errors.check(parse_received_date, self.received_at.data, tz),
            "donor_name": errors.check(
                clean_text, self.donor_name.data, "donor_name", max_length=200
            ),
            "donor_email": errors.check(validate_email, self.donor_email.data, "donor_email"),
            "display_name": errors.check(
                clean_text, self.display_name.data, "display_name", max_length=200
            ),
            "is_anonymous": bool(self.is_anonymous.data),
            "message": errors.check(
                clean_text, self.message.data, "message", max_length=1000, multiline=True
            ),
            "reference": errors.check(clean_text, self.reference.data, "reference", max_length=200),
            "note": errors.check(
                clean_text, self.note.data, "note", max_length=2000, multiline=True
            ),
        }


class NewDonationForm(DonationFieldsForm):
    drive = SelectField("Drive", validate_choice=False)
    send_receipt = BooleanField("Email the donor a thank-you receipt", default=True)


class EditDonationForm(DonationFieldsForm):
    pass


class VoidForm(FlaskForm):
    domain_fields = {"reason": "void_reason"}
    void_reason = TextAreaField("Why is this entry withdrawn?", render_kw={"rows": 2})
    next = HiddenField()


class RefundForm(FlaskForm):
    domain_fields = {"reason": "refund_reason", "amount": "refund_amount"}
    refund_amount = StringField("Amount given back", render_kw={"inputmode": "decimal"})
    refund_reason = TextAreaField("Reason", render_kw={"rows": 2})
    next = HiddenField()


class StripeRefundForm(FlaskForm):
    domain_fields = {"amount": "stripe_refund_amount", "reason": "stripe_refund_reason"}
    stripe_refund_amount = StringField(
        "Amount", description="Leave empty to refund everything not yet refunded."
    )
    stripe_refund_reason = SelectField(
        "Reason",
        choices=choices(
            [
                ("requested_by_customer", "Requested by the donor"),
                ("duplicate", "Duplicate payment"),
                ("fraudulent", "Fraudulent"),
            ]
        ),
        validate_choice=False,
    )
    next = HiddenField()


class ResendReceiptForm(FlaskForm):
    domain_fields = {"to_address": "receipt_to", "email": "receipt_to"}
    receipt_to = StringField(
        "Send to", description="Leave empty to use the donor's address on file."
    )
    next = HiddenField()
