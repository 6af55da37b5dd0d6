"""Donors: the people behind gifts, and what each gives to each drive.

A donor is found by the normalized email of a gift (``normalize_email``); a gift
without an email is its own donor. ``DriveDonor`` is the ledger's running per-drive
sum of what a donor's gifts count, kept like the drive's total, so a drive's
``donor_count`` (donors whose sum is above zero) needs no scan.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


def normalize_email(email: str | None) -> str | None:
    """The key a donor is found by: NFKC, stripped, case-folded; None for no email."""
    if email is None:
        return None
    key = unicodedata.normalize("NFKC", email).strip().casefold()
    return key or None


class Donor(db.Model):
    """One person (or organisation) who gave. ``email_key`` is unique among live
    donors; a donor merged into another keeps its row (``merged_into_id``) for the
    audit trail, with no key. ``erased_at`` is set when a privacy request removed
    the donor's personal data."""

    __tablename__ = "donors"
    __table_args__ = (
        Index("ix_donors_email_key", "email_key", unique=True),
        Index("ix_donors_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email_key: Mapped[str | None] = mapped_column(String(320))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Donor {self.id}>"


class DriveDonor(db.Model):
    """What a donor's gifts count toward one drive, in the drive's minor units:
    moved by the ledger in the same transaction as the drive's total."""

    __tablename__ = "drive_donors"
    __table_args__ = (
        CheckConstraint("counted_amount >= 0", name="counted_not_negative"),
        Index("ix_drive_donors_donor", "donor_id"),
    )

    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"), primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"), primary_key=True)
    counted_amount: Mapped[int] = mapped_column(BigInteger, default=0)


class DonorEvent(db.Model):
    """Audit trail of what was done to a donor as a whole: merges, privacy exports and
    erasures, statements queued. Never holds the personal data it is about."""

    __tablename__ = "donor_events"
    __table_args__ = (Index("ix_donor_events_donor", "donor_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    donor_id: Mapped[int] = mapped_column(ForeignKey("donors.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict] = mapped_column(JSON, default=dict)
