"""What the widget shows, computed once from a Progress: formatted figures, the bar
width capped at 100% while the text keeps the true percent, where the drive stands
("12 days left", "Starts in 3 days", "Ended"), the donors, and the texts for
assistive technology (the bar's ``aria-valuetext``, the image's description)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_timedelta
from babel.lists import format_list

from ..formatting import format_money, format_percent
from ..ledger import DriveState, Progress, Schedule
from ..models import utcnow


@dataclass(frozen=True, slots=True)
class WidgetView:
    title: str
    goal: str
    raised: str
    percent: str
    bar_percent: float
    bar_value: str  # bar_percent as written in markup: "7.6", "100"
    donor_count: int
    donors: str  # "12 donors"
    status: str
    value_text: str  # "$5,706 raised of $75,000 goal (7.6%)"
    summary: str
    # Goals beyond the goal: empty when the drive has none.
    stretch_line: str = ""  # "Goal reached! Stretch goal: $100,000 (90%)"
    match_line: str = ""  # "+ $2,500 matched by Acme (every gift, up to $10,000)"
    fill_value: str = "0"  # the first segment's width: the donors' own money
    match_bar_value: str = "0"  # the matched segment's width, after fill_value
    # Recent donors, for a drive that lists them: (name, amount, approved message).
    recent: tuple[tuple[str, str, str | None], ...] = ()
    # "Includes $1,950 in checks and gift cards · updated 2 minutes ago", for a drive
    # that shows the counting rule line; else empty.
    counting_line: str = ""


def donors_text(count: int) -> str:
    """``donor_count`` in words (embed.js says the same from the JSON)."""
    return f"{count} donor{'' if count == 1 else 's'}"


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def schedule_status(schedule: Schedule) -> str:
    """The drive's calendar in a few words, as the widget shows it (embed.js says the
    same from the JSON)."""
    if schedule.state == DriveState.UPCOMING:
        return f"Starts in {_days(schedule.starts_in_days)}"
    if schedule.state == DriveState.ENDED:
        return "Ended"
    if schedule.days_left == 0:
        return "Ends today"
    return f"{_days(schedule.days_left)} left"


# What the counting line calls the money of each hand-recorded method
# (``ledger.totals.OFFLINE_CHANNELS``).
CHANNEL_WORDS = {
    "check": "checks",
    "amazon_gift_card": "gift cards",
    "bitcoin": "bitcoin",
    "cash": "cash",
    "other": "other gifts",
}


def counting_line(progress: Progress, now: datetime) -> str:
    """What the total is made of, for readers: the money that came by hand, how the
    match counts, and when the figures last changed. Empty unless the drive shows it."""
    if not progress.counting_line_shown:
        return ""

    def money(amount: int) -> str:
        return format_money(amount, progress.currency, progress.locale, whole=True)

    parts = []
    if progress.offline_amount:
        channels = format_list(
            [CHANNEL_WORDS.get(method, method) for method, _ in progress.offline_by_method],
            locale=progress.locale,
        )
        parts.append(f"includes {money(progress.offline_amount)} in {channels}")
    if progress.match_cap_amount is not None:
        matched = money(progress.matched_amount)
        if progress.match_added_to_total:
            parts.append(f"includes {matched} matched")
        else:
            parts.append(f"{matched} matched not included")
    if progress.updated_at is not None:
        ago = format_timedelta(
            min(progress.updated_at - now, timedelta(seconds=-1)),  # never "in 1 minute"
            granularity="minute",
            add_direction=True,
            locale=progress.locale,
        )
        parts.append(f"updated {ago}")
    line = " · ".join(parts)
    return line[:1].upper() + line[1:]


def _percent_of(amount: int, whole: int) -> float:
    return min((amount * 1000 // whole) / 10, 100.0)


def widget_view(progress: Progress, now: datetime | None = None) -> WidgetView:
    def money(amount: int) -> str:
        return format_money(amount, progress.currency, progress.locale, whole=True)

    goal = money(progress.goal_amount)
    raised = money(progress.counted_amount)
    percent = format_percent(progress.percent, progress.locale)
    donors = progress.donor_count
    status = schedule_status(progress.schedule)
    value_text = f"{raised} raised of {goal} goal ({percent})"
    stretch_line = ""
    if progress.target_amount != progress.goal_amount:
        stretch_percent = format_percent(progress.target_percent, progress.locale)
        stretch_line = (
            f"Goal reached! Stretch goal: {money(progress.target_amount)} ({stretch_percent})"
        )
        value_text += f", stretch goal {money(progress.target_amount)} ({stretch_percent})"
    match_line = ""
    # The bar: the donors' own money, then the matched money as a second segment.
    target = progress.target_amount
    own = _percent_of(progress.raised_amount, target)
    matched = 0.0
    if progress.match_cap_amount is not None:
        by = f" by {progress.match_sponsor}" if progress.match_sponsor else ""
        pledge = f"every gift matched up to {money(progress.match_cap_amount)}{by}"
        if progress.match_added_to_total:
            match_line = f"Includes {money(progress.matched_amount)} matched: {pledge}"
            matched = min(_percent_of(progress.matched_amount, target), 100.0 - own)
        else:
            match_line = f"+ {money(progress.matched_amount)} matched: {pledge}"
            value_text += f", plus {money(progress.matched_amount)} matched"
            matched = min(_percent_of(progress.matched_amount, target), 100.0 - own)
    summary = f"{progress.title}: {value_text}, {donors_text(donors)}, {status.lower()}"
    return WidgetView(
        title=progress.title,
        goal=goal,
        raised=raised,
        percent=percent,
        bar_percent=progress.bar_percent,
        bar_value=f"{progress.bar_percent:g}",
        fill_value=f"{own if progress.match_cap_amount is not None else progress.bar_percent:g}",
        donor_count=donors,
        donors=donors_text(donors),
        status=status,
        value_text=value_text,
        summary=summary,
        stretch_line=stretch_line,
        match_line=match_line,
        match_bar_value=f"{round(matched, 1):g}",
        recent=tuple((gift.name, money(gift.amount), gift.message) for gift in progress.recent),
        counting_line=counting_line(progress, now or utcnow()),
    )
