"""Recent donors, for a drive that opts in (``Drive.recent_donors_shown``): the
latest gifts that count, each with the donor's public display name (or
"Anonymous"), the amount, and the message only once an admin approved it
(``approve_message``). Donor text is returned as text; every page escapes it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..errors import Conflict
from ..extensions import db
from ..models import Donation, Status, utcnow
from .transactions import apply_change, in_transaction, load_donation, snapshot

ANONYMOUS = "Anonymous"
MAX_SHOWN = 20


@dataclass(frozen=True, slots=True)
class RecentGift:
    name: str
    amount: int  # minor units, net of refunds and disputes
    message: str | None

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "amount": self.amount, "message": self.message}


def recent_gifts(drive_id: int, limit: int) -> tuple[RecentGift, ...]:
    """The ``limit`` latest gifts that count toward the drive, newest first."""
    if limit <= 0:
        return ()
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    rows = db.session.execute(
        select(
            Donation.display_name,
            Donation.is_anonymous,
            net,
            Donation.message,
            Donation.message_approved_at,
        )
        .where(Donation.drive_id == drive_id, Donation.status == Status.SUCCEEDED, net > 0)
        .order_by(Donation.received_at.desc(), Donation.id.desc())
        .limit(min(limit, MAX_SHOWN))
    ).all()
    return tuple(
        RecentGift(
            name=ANONYMOUS if row[1] or not (row[0] or "").strip() else row[0].strip(),
            amount=int(row[2]),
            message=row[3] if row[4] is not None and (row[3] or "").strip() else None,
        )
        for row in rows
    )


def approve_message(donation_id: int, *, actor: str) -> Donation:
    """Let a gift's message show on the widget of a drive listing recent donors."""

    def work() -> Donation:
        donation = load_donation(donation_id)
        if not (donation.message or "").strip():
            raise Conflict("this gift has no message to approve", "donation")
        if donation.message_approved_at is None:
            before = snapshot(donation)
            donation.message_approved_at = utcnow()
            apply_change(donation, before, actor=actor, action="message_approved")
        return donation

    return in_transaction(work)
