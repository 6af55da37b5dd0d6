"""The one writer of ``subscriptions`` and ``subscription_events``: a monthly gift is
stored once per provider subscription (a UNIQUE key, so the checkout, a webhook and
reconciliation may all try at once), its status follows the provider's newest word,
and every change is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.orm import lazyload

from ..database import insert_ignoring_duplicates, retry_while_busy
from ..extensions import db
from ..models import GiftStatus, Interval, MonthlyGift, MonthlyGiftEvent, utcnow

if TYPE_CHECKING:
    from ..ledger.signals import Erasure

# Stripe's subscription statuses, as ours.
_STATUS_OF = {
    "incomplete": GiftStatus.INCOMPLETE,
    "trialing": GiftStatus.ACTIVE,
    "active": GiftStatus.ACTIVE,
    "past_due": GiftStatus.PAST_DUE,
    "unpaid": GiftStatus.PAST_DUE,
    "canceled": GiftStatus.CANCELED,
    "incomplete_expired": GiftStatus.CANCELED,
    "paused": GiftStatus.PAUSED,
}


def status_from_provider(status: str, *, paused: bool = False) -> GiftStatus | None:
    ours = _STATUS_OF.get(status)
    if paused and ours in (GiftStatus.ACTIVE, GiftStatus.PAST_DUE):
        return GiftStatus.PAUSED
    return ours


@dataclass(frozen=True, slots=True)
class NewGift:
    provider: str
    provider_ref: str
    customer_ref: str | None
    donor_email: str
    donor_name: str | None
    amount: int
    currency: str
    drive_id: int
    status: GiftStatus
    created_at: datetime


def _audit(gift_id: int, actor: str, action: str, details: dict | None = None) -> int:
    event = MonthlyGiftEvent(
        subscription_id=gift_id, actor=actor, action=action, details=details or {}
    )
    db.session.add(event)
    db.session.flush()
    return event.id


def find_gift(provider: str, provider_ref: str) -> MonthlyGift | None:
    return db.session.scalar(
        select(MonthlyGift).where(
            MonthlyGift.provider == provider, MonthlyGift.provider_ref == provider_ref
        )
    )


@retry_while_busy
def ensure_gift(new: NewGift, *, actor: str) -> MonthlyGift:
    """The stored gift for ``new.provider_ref``, stored (and audited) first if it is
    not there yet. Commits."""
    db.session.rollback()
    inserted = insert_ignoring_duplicates(
        MonthlyGift.__table__,
        {
            "provider": new.provider,
            "provider_ref": new.provider_ref,
            "customer_ref": new.customer_ref,
            "donor_email": new.donor_email,
            "donor_name": new.donor_name,
            "amount": new.amount,
            "currency": new.currency,
            "interval": Interval.MONTH,
            "status": new.status,
            "status_as_of": 0,
            "drive_id": new.drive_id,
            "created_at": new.created_at,
            "updated_at": utcnow(),
            "canceled_at": new.created_at if new.status == GiftStatus.CANCELED else None,
        },
        ["provider", "provider_ref"],
    )
    gift = find_gift(new.provider, new.provider_ref)
    assert gift is not None
    if inserted:
        _audit(
            gift.id,
            actor,
            "started",
            {"amount": new.amount, "currency": new.currency, "status": str(new.status)},
        )
    db.session.commit()
    return gift


@retry_while_busy
def apply_status(
    gift_id: int, status: GiftStatus, *, as_of: int, actor: str, reason: str | None = None
) -> bool:
    """Set the gift's status from a provider event created at ``as_of`` (unix
    seconds; 0 for "now, from the provider's current view"). Canceled is final, and
    an event older than the one applied last changes nothing. True when it changed.
    Commits."""
    db.session.rollback()
    gift = db.session.scalars(
        select(MonthlyGift)
        .where(MonthlyGift.id == gift_id)
        .options(lazyload(MonthlyGift.drive))  # PostgreSQL locks no outer-joined row
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if gift is None or gift.status == GiftStatus.CANCELED:
        db.session.rollback()
        return False
    stamp = as_of or int(utcnow().timestamp())
    if stamp < gift.status_as_of or gift.status == status:
        if stamp > gift.status_as_of:
            gift.status_as_of = stamp
        db.session.commit()
        return False
    before = gift.status
    gift.status = status
    gift.status_as_of = stamp
    if status == GiftStatus.CANCELED:
        gift.canceled_at = utcnow()
    _audit(
        gift.id,
        actor,
        "status_changed",
        {"from": before, "to": str(status), **({"reason": reason} if reason else {})},
    )
    db.session.commit()
    return True


def record_change(
    gift_id: int, *, actor: str, action: str, details: dict, **columns: object
) -> int:
    """A change the donor or an admin made (amount, pause, card, cancel) once the
    provider took it: the columns, the audit row, and whatever the caller queued in
    this session (the confirmation email), in one commit. Returns the audit row id."""
    if columns:
        db.session.execute(
            update(MonthlyGift)
            .where(MonthlyGift.id == gift_id)
            .values(**columns, updated_at=utcnow())
            .execution_options(synchronize_session=False)
        )
    event_id = _audit(gift_id, actor, action, details)
    return event_id


def gift_events(gift_id: int) -> list[MonthlyGiftEvent]:
    return list(
        db.session.scalars(
            select(MonthlyGiftEvent)
            .where(MonthlyGiftEvent.subscription_id == gift_id)
            .order_by(MonthlyGiftEvent.id)
        )
    )


def on_donor_erased(_app: object, *, erasure: Erasure, **_: object) -> dict[str, int]:
    """A privacy request reaches monthly gifts too: the donor's name and email leave
    every subscription row of theirs (amounts, statuses and the audit stay), and the
    erasure is audited on each gift."""
    emails = sorted({text.strip().casefold() for text in erasure.texts if "@" in text})
    if not emails:
        return {"subscriptions": 0}
    gifts = db.session.scalars(
        select(MonthlyGift).where(func.lower(func.trim(MonthlyGift.donor_email)).in_(emails))
    ).all()
    for gift in gifts:
        gift.donor_name = None
        gift.donor_email = ""  # NOT NULL: an empty address sends nothing
        _audit(gift.id, "privacy request", "donor_erased")
    db.session.flush()
    return {"subscriptions": len(gifts)}
