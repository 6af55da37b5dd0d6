"""What a drive's counted money is made of, kept by the ledger beside the running
total so the dashboard never scans the donations table: per UTC hour and payment
method (the daily chart in any whole-hour time zone, the per-method table) and per
counted amount (the median gift)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime


class DriveHourTotal(db.Model):
    """Counted minor units and gifts of one drive received in one UTC hour by one
    method. A gift counts in the hour it was received, by what it counts now (net of
    refunds and held disputes); rows whose gifts stopped counting stay at zero."""

    __tablename__ = "drive_hour_totals"

    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    method: Mapped[str] = mapped_column(String(32), primary_key=True)
    counted_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    gift_count: Mapped[int] = mapped_column(Integer, default=0)


class DriveAmountCount(db.Model):
    """How many of a drive's counting gifts count exactly ``amount`` minor units: a
    histogram whose rows are the distinct amounts, not the gifts."""

    __tablename__ = "drive_amount_counts"

    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"), primary_key=True)
    amount: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    gift_count: Mapped[int] = mapped_column(Integer, default=0)
