from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .drive import Drive
from .types import UTCDateTime, utcnow


class Method(StrEnum):
    CARD = "card"
    PAYPAL = "paypal"
    CHECK = "check"
    AMAZON_GIFT_CARD = "amazon_gift_card"
    BITCOIN = "bitcoin"
    CASH = "cash"
    OTHER = "other"


OFFLINE_METHODS = tuple(m for m in Method if m is not Method.CARD)


class Status(StrEnum):
    PENDING = "pending"  # a card payment started at checkout, not paid yet
    SUCCEEDED = "succeeded"  # money received; counts toward the goal
    FAILED = "failed"
    CANCELED = "canceled"
    VOIDED = "voided"  # an entry an admin withdrew; kept for history, never counted


class Donation(db.Model):
    """One gift. Amounts are integer minor units of ``currency``.

    What a donation contributes to its drive is ``counted_amount``: the amount less
    refunds and money held by an open or lost dispute, and nothing unless it
    succeeded.
    """

    __tablename__ = "donations"
    __table_args__ = (
        UniqueConstraint("provider", "provider_ref"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_range"),
        CheckConstraint("disputed_amount >= 0 AND disputed_amount <= amount", name="dispute_range"),
        Index("ix_donations_drive_received", "drive_id", "received_at", "id"),
        # A status filter in date order (a rare status, "voided", is then a short
        # walk, not a million rows checked): migration 0008.
        Index("ix_donations_drive_status_received", "drive_id", "status", "received_at", "id"),
        Index("ix_donations_drive_amount", "drive_id", "amount"),
        Index("ix_donations_donor_email", "donor_email"),
        Index("ix_donations_reference", "reference"),
        Index("ix_donations_donor_received", "donor_id", "received_at"),
        *(
            # The search box's prefix ranges (``admin.donations.query``). Migration
            # 0008 makes them on both databases, on PostgreSQL with COLLATE "C" (kept
            # in the index's collation, not in the expression that reflection shows
            # and the drift check compares; SQLite's are not reflected at all).
            Index(
                f"ix_donations_drive_{name}_folded", "drive_id", text(f"lower({column}::text)")
            ).ddl_if(dialect="postgresql")
            for name, column in (
                ("email", "donor_email"),
                ("name", "donor_name"),
                ("reference", "reference"),
                ("provider_ref", "provider_ref"),
            )
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Optimistic lock: concurrent changes to one donation fail and are retried by the
    # ledger instead of silently overwriting each other.
    version: Mapped[int] = mapped_column(Integer, default=1)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"))
    # Set by the ledger on every row it writes (models.donor); rows written around
    # the ledger (bulk seeds) may have none.
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    amount: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=Status.SUCCEEDED)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    donor_name: Mapped[str | None] = mapped_column(String(200))
    donor_email: Mapped[str | None] = mapped_column(String(320))
    display_name: Mapped[str | None] = mapped_column(String(200))
    is_anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    message: Mapped[str | None] = mapped_column(Text)
    # A message shows on the widget only once an admin approved it (admin/drives/messages.py).
    message_approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    provider: Mapped[str | None] = mapped_column(String(32))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    fee_covered_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    disputed_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    dispute_status: Mapped[str | None] = mapped_column(String(32))
    entered_by: Mapped[str] = mapped_column(String(320))
    send_receipt: Mapped[bool] = mapped_column(Boolean, default=True)
    void_reason: Mapped[str | None] = mapped_column(Text)
    failure_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}

    drive: Mapped[Drive] = relationship(lazy="joined")
    events: Mapped[list[DonationEvent]] = relationship(
        back_populates="donation", order_by="DonationEvent.id"
    )

    @property
    def counted_amount(self) -> int:
        return counted_amount(self.status, self.amount, self.refunded_amount, self.disputed_amount)

    @property
    def receipt_number(self) -> str:
        """Unique and stable: derived from the primary key, never reused."""
        return f"DD-{self.id:08d}"

    @property
    def public_name(self) -> str | None:
        """The name a donor agreed to show publicly, or None for anonymous gifts."""
        if self.is_anonymous:
            return None
        return self.display_name or self.donor_name

    def __repr__(self) -> str:
        return f"<Donation {self.id} {self.amount} {self.currency} {self.status}>"


def counted_amount(status: str, amount: int, refunded: int, disputed: int) -> int:
    """What a donation adds to its drive's total, in minor units."""
    if status != Status.SUCCEEDED:
        return 0
    return max(amount - refunded - disputed, 0)


class DonationEvent(db.Model):
    """Audit trail: every change to a donation, who made it and what it did to the total."""

    __tablename__ = "donation_events"
    __table_args__ = (Index("ix_donation_events_donation", "donation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donation_id: Mapped[int] = mapped_column(ForeignKey("donations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    amount_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    details: Mapped[dict] = mapped_column(JSON, default=dict)

    donation: Mapped[Donation] = relationship(back_populates="events")
