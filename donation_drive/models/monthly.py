"""Monthly gifts: a donor's standing card subscription at a provider, and the audit
trail of every change to it. Installments themselves are donations (``Donation``,
keyed by the installment's payment); these rows only say who gives how much every
month, and whether that still runs. The one writer is ``donation_drive.monthly``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .drive import Drive
from .types import UTCDateTime, utcnow


class GiftStatus(StrEnum):
    INCOMPLETE = "incomplete"  # created, first installment not paid yet (3-D Secure)
    ACTIVE = "active"
    PAST_DUE = "past_due"  # an installment failed; the provider retries
    PAUSED = "paused"  # the donor paused it; no installment is taken
    CANCELED = "canceled"  # final


class Interval(StrEnum):
    MONTH = "month"


class MonthlyGift(db.Model):
    """A standing gift (``subscriptions``): ``amount`` minor units of ``currency``
    every ``interval``, started on drive ``drive_id``."""

    __tablename__ = "subscriptions"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref"),
        CheckConstraint("amount > 0", name="subscription_amount_positive"),
        Index("ix_subscriptions_status", "status"),
        Index("ix_subscriptions_donor_email", "donor_email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    provider_ref: Mapped[str] = mapped_column(String(200))  # sub_...
    customer_ref: Mapped[str | None] = mapped_column(String(200))  # cus_...
    donor_name: Mapped[str | None] = mapped_column(String(200))
    donor_email: Mapped[str] = mapped_column(String(320))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    interval: Mapped[str] = mapped_column(String(16), default=Interval.MONTH)
    status: Mapped[str] = mapped_column(String(16), default=GiftStatus.INCOMPLETE)
    # Unix seconds of the provider event whose status was applied last: an older
    # event arriving later does not undo a newer one.
    status_as_of: Mapped[int] = mapped_column(BigInteger, default=0)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    drive: Mapped[Drive] = relationship(lazy="joined")

    def __repr__(self) -> str:
        return f"<MonthlyGift {self.provider_ref} {self.amount} {self.currency} {self.status}>"


class MonthlyGiftEvent(db.Model):
    """Audit trail of a monthly gift: who changed what, and when."""

    __tablename__ = "subscription_events"
    __table_args__ = (Index("ix_subscription_events_subscription", "subscription_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    subscription: Mapped[MonthlyGift] = relationship()
