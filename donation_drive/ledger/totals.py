"""Drive totals: the one source the widget, the dashboard and exports read.

``drive_progress`` reads the running aggregate on the drive row, which the ledger
updates in the same transaction as each donation change: one indexed row, whatever
the number of donations. Nothing here is cached: every caller reads the row now
(the widget keeps its rendered answers for the rest of a second,
``widget.response_cache``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import and_, bindparam, case, distinct, func, literal, select

from ..errors import UnknownDrive
from ..extensions import db
from ..models import Donation, Drive, DriveDonor, Method, Status, utcnow
from .breakdown import counted_by_method
from .recent import RecentGift, recent_gifts
from .schedule import Schedule, drive_schedule


@dataclass(frozen=True, slots=True)
class Progress:
    slug: str
    title: str
    currency: str
    locale: str
    goal_amount: int
    raised_amount: int
    donor_count: int  # distinct donors whose gifts to the drive count
    gift_count: int  # gifts that count (succeeded, not wholly refunded or disputed)
    starts_at: datetime
    ends_at: datetime
    # Where the drive stood in its calendar when the figures were read.
    schedule: Schedule
    # Goals beyond the goal (Drive's columns of the same names).
    stretch_goal_amount: int | None = None
    match_cap_amount: int | None = None
    match_sponsor: str = ""
    match_added_to_total: bool = False
    # The latest gifts, for a drive that lists recent donors (else empty).
    recent: tuple[RecentGift, ...] = ()
    # The widget's default look (Drive's columns of the same names).
    widget_theme: str = "light"
    widget_layout: str = "standard"
    widget_accent: str | None = None
    # The counting rule line, for a drive that shows it: the counted money that came
    # by hand (checks, gift cards, ...), per method, in Method's order, from the
    # ledger's breakdown; and when the drive's figures last changed.
    counting_line_shown: bool = False
    offline_by_method: tuple[tuple[str, int], ...] = ()
    updated_at: datetime | None = None

    @property
    def offline_amount(self) -> int:
        return sum(amount for _method, amount in self.offline_by_method)

    @property
    def matched_amount(self) -> int:
        """What the match pledge adds: the raised amount, up to its cap."""
        return min(self.raised_amount, self.match_cap_amount or 0)

    @property
    def counted_amount(self) -> int:
        """What the widget's total and percent count: the raised amount, plus the
        matched money when the drive says it is added (by default it is shown
        beside, not added)."""
        return self.raised_amount + (self.matched_amount if self.match_added_to_total else 0)

    @property
    def target_amount(self) -> int:
        """What the bar runs toward: the goal, then the stretch goal once passed."""
        stretch = self.stretch_goal_amount
        if stretch and self.counted_amount >= self.goal_amount:
            return stretch
        return self.goal_amount

    @property
    def target_percent(self) -> float:
        """Percent of the bar's target, to one decimal, rounded down."""
        return (self.counted_amount * 1000 // self.target_amount) / 10

    @property
    def percent(self) -> float:
        """The true percentage to one decimal, above 100 when the goal is passed.

        Rounded down, so the widget never claims the goal is met before it is.
        """
        return (self.counted_amount * 1000 // self.goal_amount) / 10

    @property
    def bar_percent(self) -> float:
        """How full the bar is drawn toward its target: capped at 100."""
        return min(self.target_percent, 100.0)

    def as_json(self) -> dict[str, object]:
        return {
            "slug": self.slug,
            "title": self.title,
            "currency": self.currency,
            "goal_amount": self.goal_amount,
            "raised_amount": self.raised_amount,
            "donor_count": self.donor_count,
            "gift_count": self.gift_count,
            "percent": self.percent,
            "ends_at": self.ends_at.isoformat(),
            "starts_at": self.starts_at.isoformat(),
            "state": str(self.schedule.state),
            "days_left": self.schedule.days_left,
            "starts_in_days": self.schedule.starts_in_days,
            "accepting_gifts": self.schedule.accepting_gifts,
            "stretch_goal_amount": self.stretch_goal_amount,
            "match": None
            if self.match_cap_amount is None
            else {
                "cap_amount": self.match_cap_amount,
                "sponsor": self.match_sponsor,
                "matched_amount": self.matched_amount,
                "added_to_total": self.match_added_to_total,
            },
            "counted_amount": self.counted_amount,
            "target_amount": self.target_amount,
            "recent_donors": [gift.as_json() for gift in self.recent],
            "widget": {
                "theme": self.widget_theme,
                "layout": self.widget_layout,
                "accent": self.widget_accent,
            },
            "counting": None
            if not self.counting_line_shown
            else {
                "offline_amount": self.offline_amount,
                "offline_by_method": dict(self.offline_by_method),
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
            },
        }


# The drive table's own columns, not the entity's attributes: a Drive already in the
# session's identity map would otherwise be handed back with the figures it had when
# it was first loaded, and a Core statement skips the ORM's per-execution work.
# Built once: constructing and cache-keying the SELECT cost more than running it
# (about 200 of a request's 400 µs of Python on SQLite, profiled).
_drives = Drive.__table__
_PROGRESS_ROW = select(
    *(
        _drives.c[name]
        for name in (
            "id",
            "slug",
            "title",
            "currency",
            "locale",
            "goal_amount",
            "raised_amount",
            "donor_count",
            "gift_count",
            "starts_at",
            "ends_at",
            "accept_gifts_after_end",
            "stretch_goal_amount",
            "match_cap_amount",
            "match_sponsor",
            "match_added_to_total",
            "recent_donors_shown",
            "widget_theme",
            "widget_layout",
            "widget_accent",
            "counting_line_shown",
            "updated_at",
        )
    )
).where(_drives.c.slug == bindparam("slug"))

# The ways money arrives by hand rather than through a provider's checkout: what the
# counting rule line says the total includes ("$1,950 in checks and gift cards").
OFFLINE_CHANNELS = tuple(m.value for m in Method if m not in (Method.CARD, Method.PAYPAL))


def drive_progress(slug: str) -> Progress:
    """Goal, raised amount (minor units, net of refunds, disputes and voids), donor
    count and percent for a drive, and where it stands in its calendar, read from
    the database now. Raises ``UnknownDrive``.
    """
    row = db.session.execute(_PROGRESS_ROW, {"slug": slug}).first()
    if row is None:
        raise UnknownDrive(f"no drive called {slug[:80]!r}", "drive")
    progress = Progress(
        slug=row.slug,
        title=row.title,
        currency=row.currency,
        locale=row.locale,
        goal_amount=row.goal_amount,
        raised_amount=row.raised_amount,
        donor_count=row.donor_count,
        gift_count=row.gift_count,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        schedule=drive_schedule(row.starts_at, row.ends_at, row.accept_gifts_after_end, utcnow()),
        stretch_goal_amount=row.stretch_goal_amount,
        match_cap_amount=row.match_cap_amount,
        match_sponsor=row.match_sponsor or "",
        match_added_to_total=bool(row.match_added_to_total),
        recent=recent_gifts(row.id, row.recent_donors_shown or 0),
        widget_theme=row.widget_theme,
        widget_layout=row.widget_layout,
        widget_accent=row.widget_accent,
        counting_line_shown=bool(row.counting_line_shown),
        offline_by_method=_offline_by_method(row.id) if row.counting_line_shown else (),
        updated_at=row.updated_at,
    )
    return progress


def _offline_by_method(drive_id: int) -> tuple[tuple[str, int], ...]:
    found = counted_by_method(drive_id, OFFLINE_CHANNELS)
    return tuple(
        (method, found[method][0])
        for method in OFFLINE_CHANNELS
        if method in found and found[method][0] > 0
    )


class DriveFigures(NamedTuple):
    raised_amount: int
    donor_count: int
    gift_count: int


def recount_drive_figures(drive_id: int) -> DriveFigures:
    """Recompute a drive's raised amount, donor count and gift count from the
    donation rows themselves (a gift with no donor row is a donor of its own).

    Used to check the running aggregate (tests, ``check_drive_figures``), never to
    serve it.
    """
    net = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
    row = db.session.execute(
        select(
            func.coalesce(func.sum(net), 0),
            func.count(Donation.id),
            func.count(distinct(Donation.donor_id)),
            func.count(Donation.id) - func.count(Donation.donor_id),
        ).where(
            Donation.drive_id == drive_id,
            Donation.status == Status.SUCCEEDED,
            net > 0,
        )
    ).one()
    return DriveFigures(int(row[0]), int(row[2]) + int(row[3]), int(row[1]))


def recount_drive(drive_id: int) -> tuple[int, int]:
    """(raised_amount, donor_count) recomputed from the donation rows."""
    figures = recount_drive_figures(drive_id)
    return figures.raised_amount, figures.donor_count


def check_drive_figures(drive_id: int) -> dict[str, tuple[int, int]]:
    """Where the running figures of a drive differ from a recount: {figure: (kept,
    recounted)}, empty when they agree. ``donor_sums`` compares the per-donor sums
    (``drive_donors``) with the gifts too."""
    kept = db.session.execute(
        select(Drive.raised_amount, Drive.donor_count, Drive.gift_count).where(Drive.id == drive_id)
    ).one()
    recounted = recount_drive_figures(drive_id)
    differences = {
        name: (int(have), int(want))
        for name, have, want in zip(DriveFigures._fields, kept, recounted, strict=True)
        if have != want
    }
    counted = case((and_(Donation.status == Status.SUCCEEDED, _NET > 0), _NET), else_=literal(0))
    per_donor = dict(
        db.session.execute(
            select(Donation.donor_id, func.sum(counted))
            .where(Donation.drive_id == drive_id, Donation.donor_id.is_not(None))
            .group_by(Donation.donor_id)
        ).all()
    )
    sums = dict(
        db.session.execute(
            select(DriveDonor.donor_id, DriveDonor.counted_amount).where(
                DriveDonor.drive_id == drive_id
            )
        ).all()
    )
    wrong = sum(
        1
        for donor_id in per_donor.keys() | sums.keys()
        if int(per_donor.get(donor_id) or 0) != int(sums.get(donor_id) or 0)
    )
    if wrong:
        differences["donor_sums"] = (wrong, 0)
    return differences


_NET = Donation.amount - Donation.refunded_amount - Donation.disputed_amount
