"""The donation form as the checkout page's script sends it (JSON), checked before
anything is written or Stripe is called. Every refusal names the form field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app

from ..amount_text import parse_amount
from ..errors import InvalidAmount, InvalidInput
from ..formatting import format_money
from ..ledger import DonorDetails
from ..ledger.validation import MAX_MINOR_UNITS, check_drive_currency
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
    return check_drive_currency(drive, value)


def _check_gift(value: object, drive: Drive) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidAmount("choose or enter an amount", "amount")
    gift = parse_amount(value, drive.currency, locale=drive.locale)
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


@dataclass(frozen=True, slots=True)
class ChargeQuote:
    """What a card would be charged for the amount as typed, before it is charged."""

    gift: int
    fee: int
    currency: str
    locale: str

    @property
    def total(self) -> int:
        return self.gift + self.fee

    def as_json(self) -> dict[str, object]:
        return {
            "gift": self.gift,
            "fee": self.fee,
            "total": self.total,
            "currency": self.currency,
            "total_label": format_money(self.total, self.currency, self.locale),
        }


def quote_charge(data: Mapping[str, object], drive: Drive) -> ChargeQuote:
    """Read ``amount`` (text in the drive's locale, or a number) and ``cover_fee`` the
    way the payment API will: the checkout page shows this quote before charging."""
    gift = _check_gift(data.get("amount"), drive)
    fee = processing_fee(gift) if _flag(data.get("cover_fee")) else 0
    if gift + fee > MAX_MINOR_UNITS:
        raise InvalidAmount("the amount is too large", "amount")
    return ChargeQuote(gift=gift, fee=fee, currency=drive.currency, locale=drive.locale)


def _check_expected_total(value: object, quote: ChargeQuote) -> None:
    """The page sends the total it showed the donor; charging anything else is refused."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidAmount("expected_total must be a whole number of minor units", "amount")
    if value != quote.total:
        shown = format_money(value, quote.currency, quote.locale)
        actual = format_money(quote.total, quote.currency, quote.locale)
        raise InvalidAmount(
            f"the page showed {shown} but the amount reads as {actual}: check it and try again",
            "amount",
        )


def parse_donation_form(data: object, drive: Drive) -> DonationForm:
    """Check a submitted form against ``drive``. Raises ``InvalidInput`` (or its
    ``InvalidAmount``/``InvalidCurrency``) naming the field: ``amount``,
    ``currency``, ``card``, ``name``, ``email`` or ``message``."""
    if not isinstance(data, dict):
        raise InvalidInput("send the donation form as a JSON object", "payload")
    currency = _check_currency(data.get("currency"), drive)
    quote = quote_charge(data, drive)
    _check_expected_total(data.get("expected_total"), quote)
    gift, fee = quote.gift, quote.fee
    donor = _check_donor(data)
    token = data.get("card_token")
    if not isinstance(token, str) or not _CARD_TOKEN_RE.fullmatch(token):
        raise InvalidInput("enter your card details", "card")
    return DonationForm(gift=gift, fee=fee, currency=currency, card_token=token, donor=donor)
