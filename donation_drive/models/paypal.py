from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class PayPalAdjustment(db.Model):
    """Money PayPal took back from a payment, or gave back: a refund, a reversal
    (chargeback) or a cancelled reversal, each once by its own transaction id.

    Written only by ``providers.paypal.recording``, whichever way PayPal told us (IPN,
    webhook, Transaction Search). A payment's refunded and disputed figures in the
    ledger are sums over its rows here, so each adjustment lowers a total once, in
    whatever order the messages came, even before the payment itself was recorded.
    """

    __tablename__ = "paypal_adjustments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="paypal_adjustment_positive"),
        Index("ix_paypal_adjustments_capture", "capture_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    adjustment_id: Mapped[str] = mapped_column(String(64), unique=True)
    capture_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # refund, reversal, cancel_reversal
    amount: Mapped[int] = mapped_column(BigInteger)  # minor units, always positive
    currency: Mapped[str] = mapped_column(String(3))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(32))  # ipn, webhook, reconcile, dashboard
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
