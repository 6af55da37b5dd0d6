"""What the checkout tells a donor about a drive that is not running (the rule is
``ledger.schedule``): one sentence, used by the page and by the payment API's
refusal, so both say the same."""

from __future__ import annotations

from ..errors import DriveNotTakingGifts
from ..formatting import format_day
from ..ledger import DriveState, Schedule
from ..models import Drive


def _days(count: int) -> str:
    return f"{count} day{'' if count == 1 else 's'}"


def schedule_notice(drive: Drive, schedule: Schedule) -> str | None:
    """The sentence for an upcoming or ended drive; None while it runs."""
    if schedule.state == DriveState.UPCOMING:
        starts = format_day(drive.starts_at, drive.locale)
        return (
            f"This drive starts on {starts}, in {_days(schedule.starts_in_days)}; "
            "it takes gifts from then."
        )
    if schedule.state == DriveState.ENDED:
        ended = format_day(drive.ends_at, drive.locale)
        if schedule.accepting_gifts:
            return f"This drive ended on {ended}; gifts are still welcome and count toward it."
        return f"This drive ended on {ended} and no longer takes gifts."
    return None


def refuse_unless_accepting(drive: Drive, schedule: Schedule) -> None:
    """Raise ``DriveNotTakingGifts`` (naming the field ``drive``) when the drive's
    checkout takes no gifts now."""
    if not schedule.accepting_gifts:
        raise DriveNotTakingGifts(schedule_notice(drive, schedule) or "", "drive")
