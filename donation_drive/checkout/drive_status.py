"""What the checkout tells a donor about a drive that is not running (the rule is
``ledger.schedule``): one sentence, used by the page and by the payment API's
refusal, so both say the same."""

from __future__ import annotations

from babel.numbers import format_decimal
from flask_babel import gettext, ngettext

from ..errors import DriveNotTakingGifts
from ..formatting import format_day
from ..ledger import DriveState, Schedule
from ..models import Drive


def schedule_notice(drive: Drive, schedule: Schedule, locale: str | None = None) -> str | None:
    """The sentence for an upcoming or ended drive, in ``locale`` (default: the
    drive's); None while it runs."""
    locale = locale or drive.locale
    if schedule.state == DriveState.UPCOMING:
        return ngettext(
            "This drive starts on %(day)s, in %(count)s day; it takes gifts from then.",
            "This drive starts on %(day)s, in %(count)s days; it takes gifts from then.",
            schedule.starts_in_days,
            day=format_day(drive.starts_at, locale),
            count=format_decimal(schedule.starts_in_days, locale=locale),
        )
    if schedule.state == DriveState.ENDED:
        ended = format_day(drive.ends_at, locale)
        if schedule.accepting_gifts:
            return gettext(
                "This drive ended on %(day)s; gifts are still welcome and count toward it.",
                day=ended,
            )
        return gettext("This drive ended on %(day)s and no longer takes gifts.", day=ended)
    return None


def refuse_unless_accepting(drive: Drive, schedule: Schedule) -> None:
    """Raise ``DriveNotTakingGifts`` (naming the field ``drive``) when the drive's
    checkout takes no gifts now."""
    if not schedule.accepting_gifts:
        raise DriveNotTakingGifts(schedule_notice(drive, schedule) or "", "drive")
