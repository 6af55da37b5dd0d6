from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow

# The widget's looks a drive (or an embed) may choose (``widget/themes.py``).
WIDGET_THEMES = ("light", "dark", "auto")
WIDGET_LAYOUTS = ("compact", "standard", "banner")


class Drive(db.Model):
    """A fundraising drive: a goal in one currency over a period.

    ``raised_amount``, ``donor_count`` and ``gift_count`` are a running aggregate kept
    by the ledger in the same transaction as every donation change, so reading a
    drive's progress is one primary-key read however many donations it has.
    ``gift_count`` counts gifts that count toward the total (succeeded, not wholly
    refunded); ``donor_count`` counts distinct donors whose gifts to the drive still
    count (``models.donor.DriveDonor`` above zero).

    ``accept_gifts_after_end`` keeps the checkout open once the drive has ended; the
    gifts still count toward this drive (the rule: ``ledger.schedule``).
    """

    __tablename__ = "drives"
    __table_args__ = (
        CheckConstraint("goal_amount > 0", name="goal_positive"),
        CheckConstraint("length(currency) = 3", name="currency_iso"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    currency: Mapped[str] = mapped_column(String(3))
    goal_amount: Mapped[int] = mapped_column(BigInteger)
    locale: Mapped[str] = mapped_column(String(16), default="en_US")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accept_gifts_after_end: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # Goals beyond the goal (shown by the widget): a stretch goal the bar continues
    # toward once the goal is passed, and a match pledge ("every gift matched up to
    # match_cap_amount by match_sponsor"), shown beside the total unless
    # match_added_to_total.
    stretch_goal_amount: Mapped[int | None] = mapped_column(BigInteger)
    match_cap_amount: Mapped[int | None] = mapped_column(BigInteger)
    match_sponsor: Mapped[str | None] = mapped_column(String(200))
    match_added_to_total: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    # How many of the latest gifts the widget lists (0: none, the default).
    recent_donors_shown: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The widget's look unless an embed says otherwise (widget/themes.py has the
    # values): light, dark or auto; compact, standard or banner; an accent "#rrggbb"
    # (None: the default green). And whether it shows the counting rule line.
    widget_theme: Mapped[str] = mapped_column(String(8), default="light", server_default="light")
    widget_layout: Mapped[str] = mapped_column(
        String(16), default="standard", server_default="standard"
    )
    widget_accent: Mapped[str | None] = mapped_column(String(7))
    counting_line_shown: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    raised_amount: Mapped[int] = mapped_column(BigInteger, default=0)
    donor_count: Mapped[int] = mapped_column(Integer, default=0)
    gift_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Drive {self.slug}>"
