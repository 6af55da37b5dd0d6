"""Which drive an installment counts toward (docs/monthly.md, "Counting rule"):

1. the drive whose dates contain the moment the installment was paid, in the gift's
   currency (if drives overlap, the one that started last);
2. with no such drive, the drive the monthly gift started on.

So an installment is never dropped: between drives and after the last one it lands
on the gift's own drive, and the admin's monthly page lists those installments as
"counted outside a running drive".
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from ..extensions import db
from ..models import Drive, MonthlyGift


def drive_for_installment(gift: MonthlyGift, paid_at: datetime) -> Drive:
    running = db.session.scalar(
        select(Drive)
        .where(
            Drive.starts_at <= paid_at,
            Drive.ends_at >= paid_at,
            Drive.currency == gift.currency,
        )
        .order_by(Drive.starts_at.desc(), Drive.id.desc())
        .limit(1)
    )
    return running if running is not None else gift.drive
