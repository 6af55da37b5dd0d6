"""What the widget shows, computed once from a Progress: formatted figures, the bar
width capped at 100% and the text alternative."""

from __future__ import annotations

from dataclasses import dataclass

from ..formatting import format_money, format_percent
from ..ledger import Progress


@dataclass(frozen=True, slots=True)
class WidgetView:
    title: str
    goal: str
    raised: str
    percent: str
    bar_percent: float
    bar_value: str  # bar_percent as written in markup: "7.6", "100"
    donor_count: int
    summary: str


def widget_view(progress: Progress) -> WidgetView:
    goal = format_money(progress.goal_amount, progress.currency, progress.locale, whole=True)
    raised = format_money(progress.raised_amount, progress.currency, progress.locale, whole=True)
    percent = format_percent(progress.percent, progress.locale)
    donors = progress.donor_count
    summary = (
        f"{progress.title}: {raised} raised of {goal} goal ({percent}), "
        f"{donors} {'donation' if donors == 1 else 'donations'}"
    )
    return WidgetView(
        title=progress.title,
        goal=goal,
        raised=raised,
        percent=percent,
        bar_percent=progress.bar_percent,
        bar_value=f"{progress.bar_percent:g}",
        donor_count=donors,
        summary=summary,
    )
