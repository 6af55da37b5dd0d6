"""The donation form as the checkout page's script sends it (JSON), checked before
anything is written or Stripe is called. Every refusal names the form field."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app

from ..errors import InvalidAmount, InvalidCurrency, InvalidInput
from ..formatting import format_money
from ..ledger import DonorDetails
from ..ledger.validation import MAX_MINOR_UNITS, parse_amount, validate_currency
from ..models import Drive
from .fees import processing_fee

# What Stripe.js hands us: a card token, or a PaymentMethod id. Never card data.
_CARD_TOKEN_RE = re.compile(r"^(tok|pm)_[A-Za-z0-9_]{1,200}$")
# The ledger names donor fields after its columns; the form calls them this.
_FORM_FIELD = {"donor_name": "name", "display_name": "name", "donor_email": "email"}


def _flag(value: object) -> bool:
    """A checkbox: JSON true, or the strings a form would send."""
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in {"1", "true", "on", "yes"}


@dataclass(frozen=True, slots=True)
class DonationForm:
    gift: int  # minor units, what the donor chose
    fee: int  # minor units added to cover the card fee (0 unless asked)
    currency: str
    card_token: str
    donor: DonorDetails

    @property
    def total(self) -> int:
        """What the card is charged."""
        return self.gift + self.fee


def amount_limits() -> tuple[int, int]:
    config = current_app.config
    return int(config["DONATION_MIN_AMOUNT"]), int(config["DONATION_MAX_AMOUNT"])


def _check_currency(value: object, drive: Drive) -> str:
    if value is None or value == "":
        return drive.currency
    currency = validate_currency(value)
    if currency != drive.currency:
        raise InvalidCurrency(f"this drive takes {drive.currency}, not {currency}", "currency")
    return currency


def _check_gift(value: object, drive: Drive) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidAmount("choose or enter an amount", "amount")
    gift = parse_amount(value, drive.currency, "amount")
    low, high = amount_limits()
    if gift < low:
        shown = format_money(low, drive.currency, drive.locale)
        raise InvalidAmount(f"the smallest gift we can take by card is {shown}", "amount")
    if gift > high:
        shown = format_money(high, drive.currency, drive.locale)
        raise InvalidAmount(
            f"for gifts above {shown}, please contact us (there are cheaper ways than a card)",
            "amount",
        )
    return gift


def _text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidInput("expected text", key)
    return value


def _check_donor(data: dict) -> DonorDetails:
    donor = DonorDetails(
        name=_text(data, "name"),
        email=_text(data, "email"),
        is_anonymous=_flag(data.get("anonymous")),
        message=_text(data, "message"),
    )
    try:
        return donor.cleaned()
    except InvalidInput as exc:
        field = _FORM_FIELD.get(exc.field or "", exc.field)
        raise type(exc)(exc.message, field) from None


def parse_donation_form(data: object, drive: Drive) -> DonationForm:
    """Check a submitted form against ``drive``. Raises ``InvalidInput`` (or its
    ``InvalidAmount``/``InvalidCurrency``) naming the field: ``amount``,
    ``currency``, ``card``, ``name``, ``email`` or ``message``."""
    if not isinstance(data, dict):
        raise InvalidInput("send the donation form as a JSON object", "payload")
    currency = _check_currency(data.get("currency"), drive)
    gift = _check_gift(data.get("amount"), drive)
    fee = processing_fee(gift) if _flag(data.get("cover_fee")) else 0
    if gift + fee > MAX_MINOR_UNITS:
        raise InvalidAmount("the amount is too large", "amount")
    donor = _check_donor(data)
    token = data.get("card_token")
    if not isinstance(token, str) or not _CARD_TOKEN_RE.fullmatch(token):
        raise InvalidInput("enter your card details", "card")
    return DonationForm(gift=gift, fee=fee, currency=currency, card_token=token, donor=donor)
