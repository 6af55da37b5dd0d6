"""Changes to a running monthly gift, by the donor (manage link) or an admin: the
provider is changed first, then the stored gift, its audit row and the donor's
confirmation email commit together. A change the provider refused changes nothing
here."""

from __future__ import annotations

import logging

from flask import current_app

from ..errors import DonationDriveError, InvalidInput
from ..extensions import db
from ..models import GiftStatus, MonthlyGift, utcnow
from ..providers.stripe.subscriptions import (
    cancel_subscription,
    pay_open_invoice,
    retrieve_invoice,
    retrieve_setup_intent,
    retrieve_subscription,
    set_paused,
    use_card_from,
)
from ..providers.stripe.subscriptions import (
    change_amount as change_amount_at_stripe,
)
from ..providers.stripe.subscriptions import create_setup_intent as _create_setup_intent
from .records import record_change
from .signals import gift_changed

log = logging.getLogger(__name__)


def _commit_change(gift: MonthlyGift, actor: str, action: str, details: dict, **columns) -> int:
    gift_id = gift.id
    db.session.rollback()
    event_id = record_change(gift_id, actor=actor, action=action, details=details, **columns)
    fresh = db.session.get(MonthlyGift, gift_id, populate_existing=True)
    assert fresh is not None
    gift_changed.send(current_app._get_current_object(), gift=fresh, audit_event_id=event_id)
    db.session.commit()
    return event_id


def _refuse_if_canceled(gift: MonthlyGift) -> None:
    if gift.status == GiftStatus.CANCELED:
        raise InvalidInput("this monthly gift is canceled; start a new one from the drive page")


def change_amount(gift: MonthlyGift, amount: int, *, actor: str) -> None:
    _refuse_if_canceled(gift)
    if amount == gift.amount:
        raise InvalidInput("that is already the monthly amount", "amount")
    change_amount_at_stripe(retrieve_subscription(gift.provider_ref), amount)
    _commit_change(
        gift, actor, "amount_changed", {"from": gift.amount, "to": amount}, amount=amount
    )


def pause(gift: MonthlyGift, *, actor: str) -> None:
    _refuse_if_canceled(gift)
    if gift.status == GiftStatus.PAUSED:
        raise InvalidInput("this monthly gift is already paused")
    set_paused(gift.provider_ref, True)
    _commit_change(gift, actor, "paused", {"from": gift.status}, status=GiftStatus.PAUSED)


def resume(gift: MonthlyGift, *, actor: str) -> None:
    if gift.status != GiftStatus.PAUSED:
        raise InvalidInput("this monthly gift is not paused")
    set_paused(gift.provider_ref, False)
    _commit_change(gift, actor, "resumed", {}, status=GiftStatus.ACTIVE)


def cancel(gift: MonthlyGift, *, actor: str) -> None:
    _refuse_if_canceled(gift)
    cancel_subscription(gift.provider_ref)
    _commit_change(
        gift,
        actor,
        "canceled",
        {"from": gift.status},
        status=GiftStatus.CANCELED,
        canceled_at=utcnow(),
    )


def start_card_update(gift: MonthlyGift) -> str:
    """A SetupIntent's client secret, for the manage page's Stripe.js card form."""
    _refuse_if_canceled(gift)
    if not gift.customer_ref:
        raise InvalidInput("this monthly gift has no card on file to replace", "card")
    setup = _create_setup_intent(gift.customer_ref)
    if not setup.client_secret:
        raise InvalidInput("the card form could not be prepared; try again", "card")
    return setup.client_secret


def finish_card_update(gift: MonthlyGift, setup_intent_id: str, *, actor: str) -> None:
    """Make the card the donor just confirmed the one charged from now on, and try a
    past-due installment again with it."""
    _refuse_if_canceled(gift)
    if not isinstance(setup_intent_id, str) or not setup_intent_id.startswith("seti_"):
        raise InvalidInput("the new card was not confirmed", "card")
    setup = retrieve_setup_intent(setup_intent_id)
    if setup.customer_id != gift.customer_ref:
        raise InvalidInput("the new card was not confirmed", "card")
    payment_method = use_card_from(setup, gift.customer_ref, gift.provider_ref)
    _commit_change(gift, actor, "card_updated", {"payment_method": payment_method})
    if gift.status == GiftStatus.PAST_DUE:
        subscription = retrieve_subscription(gift.provider_ref)
        if subscription.latest_invoice_id:
            invoice = retrieve_invoice(subscription.latest_invoice_id)
            if invoice.status == "open":
                try:
                    pay_open_invoice(invoice.id)  # the invoice.paid webhook counts it
                except DonationDriveError as exc:  # Stripe retries on its schedule
                    log.warning("retrying invoice %s with the new card: %s", invoice.id, exc)
