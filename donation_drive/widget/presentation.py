"""What the widget shows, computed once from a Progress: formatted figures, the bar
width capped at 100% while the text keeps the true percent, where the drive stands
("12 days left", "Starts in 3 days", "Ended"), the donors, and the texts for
assistive technology (the bar's ``aria-valuetext``, the image's description)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from babel.dates import format_timedelta
from babel.lists import format_list
from babel.numbers import format_decimal
from flask_babel import gettext, ngettext

from ..formatting import format_money, format_percent
from ..i18n import html_lang
from ..ledger import DriveState, Progress, Schedule
from ..ledger.recent import ANONYMOUS
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


def donors_text(count: int, locale: str = "en_US") -> str:
    """``donor_count`` in words: "12 donors", "12 Spender"."""
    return ngettext(
        "%(count)s donor", "%(count)s donors", count, count=format_decimal(count, locale=locale)
    )


def schedule_status(schedule: Schedule, locale: str = "en_US", *, in_sentence: bool = False) -> str:
    """The drive's calendar in a few words, as the widget shows it: "12 days left",
    "Starts in 3 days", "Ended" (``in_sentence``: as the middle of a sentence says
    it, "ended"; translators choose the case, since German nouns keep theirs)."""
    if schedule.state == DriveState.UPCOMING:
        num = format_decimal(schedule.starts_in_days, locale=locale)
        if in_sentence:
            return ngettext(
                "starts in %(count)s day",
                "starts in %(count)s days",
                schedule.starts_in_days,
                count=num,
            )
        return ngettext(
            "Starts in %(count)s day",
            "Starts in %(count)s days",
            schedule.starts_in_days,
            count=num,
        )
    if schedule.state == DriveState.ENDED:
        return gettext("ended") if in_sentence else gettext("Ended")
    if schedule.days_left == 0:
        return gettext("ends today") if in_sentence else gettext("Ends today")
    num = format_decimal(schedule.days_left, locale=locale)
    return ngettext("%(count)s day left", "%(count)s days left", schedule.days_left, count=num)


def _shown_name(name: str) -> str:
    # The ledger names a gift without a public name "Anonymous"; readers read it in
    # their language.
    return gettext("Anonymous") if name == ANONYMOUS else name


def _channel_words(method: str) -> str:
    """What the counting line calls the money of a hand-recorded method
    (``ledger.totals.OFFLINE_CHANNELS``), in the block's language."""
    words = {
        "check": gettext("checks"),
        "amazon_gift_card": gettext("gift cards"),
        "bitcoin": gettext("bitcoin"),
        "cash": gettext("cash"),
        "other": gettext("other gifts"),
    }
    return words.get(method, method)


def counting_line(progress: Progress, now: datetime, locale: str | None = None) -> str:
    """What the total is made of, for readers: the money that came by hand, how the
    match counts, and when the figures last changed. Empty unless the drive shows it."""
    if not progress.counting_line_shown:
        return ""
    locale = locale or progress.locale

    def money(amount: int) -> str:
        return format_money(amount, progress.currency, locale, whole=True)

    parts = []
    if progress.offline_amount:
        channels = format_list(
            [_channel_words(method) for method, _ in progress.offline_by_method], locale=locale
        )
        parts.append(
            gettext(
                "includes %(amount)s in %(channels)s",
                amount=money(progress.offline_amount),
                channels=channels,
            )
        )
    if progress.match_cap_amount is not None:
        matched = money(progress.matched_amount)
        if progress.match_added_to_total:
            parts.append(gettext("includes %(amount)s matched", amount=matched))
        else:
            parts.append(gettext("%(amount)s matched not included", amount=matched))
    if progress.updated_at is not None:
        ago = format_timedelta(
            min(progress.updated_at - now, timedelta(seconds=-1)),  # never "in 1 minute"
            granularity="minute",
            add_direction=True,
            locale=locale,
        )
        parts.append(gettext("updated %(ago)s", ago=ago))
    line = " · ".join(parts)
    return line[:1].upper() + line[1:]


def _percent_of(amount: int, whole: int) -> float:
    return min((amount * 1000 // whole) / 10, 100.0)


def widget_view(
    progress: Progress, locale: str | None = None, now: datetime | None = None
) -> WidgetView:
    """The figures and words, in ``locale`` (default: the drive's); the words are in
    the language of the block it is called in (``i18n.speaking``)."""
    locale = locale or progress.locale

    def money(amount: int) -> str:
        return format_money(amount, progress.currency, locale, whole=True)

    goal = money(progress.goal_amount)
    raised = money(progress.counted_amount)
    percent = format_percent(progress.percent, locale)
    donors = progress.donor_count
    status = schedule_status(progress.schedule, locale)
    # The accessible value: clauses joined by commas, each one a whole sentence part.
    value_parts = [
        gettext(
            "%(raised)s raised of %(goal)s goal (%(percent)s)",
            raised=raised,
            goal=goal,
            percent=percent,
        )
    ]
    stretch_line = ""
    if progress.target_amount != progress.goal_amount:
        stretch = {
            "amount": money(progress.target_amount),
            "percent": format_percent(progress.target_percent, locale),
        }
        stretch_line = gettext("Goal reached! Stretch goal: %(amount)s (%(percent)s)", **stretch)
        value_parts.append(gettext("stretch goal %(amount)s (%(percent)s)", **stretch))
    match_line = ""
    # The bar: the donors' own money, then the matched money as a second segment.
    target = progress.target_amount
    own = _percent_of(progress.raised_amount, target)
    matched = 0.0
    if progress.match_cap_amount is not None:
        cap = money(progress.match_cap_amount)
        pledge = (
            gettext(
                "every gift matched up to %(cap)s by %(sponsor)s",
                cap=cap,
                sponsor=progress.match_sponsor,
            )
            if progress.match_sponsor
            else gettext("every gift matched up to %(cap)s", cap=cap)
        )
        matched_money = money(progress.matched_amount)
        if progress.match_added_to_total:
            match_line = gettext(
                "Includes %(amount)s matched: %(pledge)s", amount=matched_money, pledge=pledge
            )
        else:
            match_line = gettext(
                "+ %(amount)s matched: %(pledge)s", amount=matched_money, pledge=pledge
            )
            value_parts.append(gettext("plus %(amount)s matched", amount=matched_money))
        matched = min(_percent_of(progress.matched_amount, target), 100.0 - own)
    value_text = ", ".join(value_parts)
    summary = gettext(
        "%(title)s: %(value)s, %(donors)s, %(status)s",
        title=progress.title,
        value=value_text,
        donors=donors_text(donors, locale),
        status=schedule_status(progress.schedule, locale, in_sentence=True),
    )
    return WidgetView(
        title=progress.title,
        goal=goal,
        raised=raised,
        percent=percent,
        bar_percent=progress.bar_percent,
        bar_value=f"{progress.bar_percent:g}",
        fill_value=f"{own if progress.match_cap_amount is not None else progress.bar_percent:g}",
        donor_count=donors,
        donors=donors_text(donors, locale),
        status=status,
        value_text=value_text,
        summary=summary,
        stretch_line=stretch_line,
        match_line=match_line,
        match_bar_value=f"{round(matched, 1):g}",
        recent=tuple(
            (_shown_name(gift.name), money(gift.amount), gift.message) for gift in progress.recent
        ),
        counting_line=counting_line(progress, now or utcnow(), locale),
    )


def widget_text(view: WidgetView, locale: str) -> dict[str, object]:
    """Every word and formatted figure the script embed shows, as the server writes
    them (the JSON's ``text``), so embed.js needs no formatting or words of its own."""
    return {
        "lang": html_lang(locale),
        "raised": view.raised,
        "goal": view.goal,
        "percent": view.percent,
        "donors": view.donors,
        "status": view.status,
        "value_text": view.value_text,
        "stretch_line": view.stretch_line,
        "match_line": view.match_line,
        # Beside the JSON's recent_donors, one for one: the name and amount as shown.
        "recent": [{"name": name, "amount": amount} for name, amount, _message in view.recent],
        "raised_of": gettext("raised of"),
        "progress_label": gettext("Progress toward the goal"),
        "recent_title": gettext("Recent gifts"),
        "donate": gettext("Donate"),
        "donate_label": gettext("Donate to %(title)s", title=view.title),
    }
