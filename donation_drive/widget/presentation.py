"""What the widget shows, computed once from a Progress: formatted figures, the bar
width capped at 100% while the text keeps the true percent, where the drive stands
("12 days left", "Starts in 3 days", "Ended"), the donors, and the texts for
assistive technology (the bar's ``aria-valuetext``, the image's description)."""

from __future__ import annotations

from dataclasses import dataclass

from ..formatting import format_money, format_percent
from ..ledger import DriveState, Progress, Schedule


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


def widget_view(progress: Progress) -> WidgetView:
    goal = format_money(progress.goal_amount, progress.currency, progress.locale, whole=True)
    raised = format_money(progress.raised_amount, progress.currency, progress.locale, whole=True)
    percent = format_percent(progress.percent, progress.locale)
    donors = progress.donor_count
    status = schedule_status(progress.schedule)
    value_text = f"{raised} raised of {goal} goal ({percent})"
    summary = f"{progress.title}: {value_text}, {donors_text(donors)}, {status.lower()}"
    return WidgetView(
        title=progress.title,
        goal=goal,
        raised=raised,
        percent=percent,
        bar_percent=progress.bar_percent,
        bar_value=f"{progress.bar_percent:g}",
        donor_count=donors,
        donors=donors_text(donors),
        status=status,
        value_text=value_text,
        summary=summary,
    )
