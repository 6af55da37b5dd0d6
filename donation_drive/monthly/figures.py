"""Figures about monthly gifts, for the admin pages. The recurring
amount counts gifts that are taking installments (active or past due, not paused),
per currency, in minor units."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from ..extensions import db
from ..models import Donation, Drive, GiftStatus, MonthlyGift, Status
from ..providers.stripe import PROVIDER

RUNNING = (GiftStatus.ACTIVE, GiftStatus.PAST_DUE)


@dataclass(frozen=True, slots=True)
class MonthlyFigures:
    by_status: dict[str, int]
    recurring: dict[str, int]  # currency -> minor units every month
    new_this_month: int
    lost_this_month: int


def start_of_month(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def monthly_figures(now: datetime) -> MonthlyFigures:
    since = start_of_month(now)
    by_status = {
        str(status): int(count)
        for status, count in db.session.execute(
            select(MonthlyGift.status, func.count()).group_by(MonthlyGift.status)
        )
    }
    recurring = {
        currency: int(total)
        for currency, total in db.session.execute(
            select(MonthlyGift.currency, func.sum(MonthlyGift.amount))
            .where(MonthlyGift.status.in_(RUNNING))
            .group_by(MonthlyGift.currency)
        )
    }
    new = db.session.scalar(
        select(func.count())
        .select_from(MonthlyGift)
        .where(MonthlyGift.created_at >= since, MonthlyGift.status != GiftStatus.INCOMPLETE)
    )
    lost = db.session.scalar(
        select(func.count())
        .select_from(MonthlyGift)
        .where(MonthlyGift.canceled_at >= since, MonthlyGift.status == GiftStatus.CANCELED)
    )
    return MonthlyFigures(by_status, recurring, int(new or 0), int(lost or 0))


def installments_outside_drives() -> list[Donation]:
    """Installments counted on a drive whose dates do not contain them (the counting
    rule's fallback: between drives and after the last one)."""
    return list(
        db.session.scalars(
            select(Donation)
            .join(Drive, Drive.id == Donation.drive_id)
            .where(
                Donation.provider == PROVIDER,
                Donation.reference.like("sub\\_%", escape="\\"),
                Donation.status == Status.SUCCEEDED,
                (Donation.received_at < Drive.starts_at) | (Donation.received_at > Drive.ends_at),
            )
            .order_by(Donation.received_at.desc())
            .limit(200)
        )
    )
