"""The demo data ``donation-drive demo`` (and ``make run``) creates: this year's
end-of-year drive, running whenever the demo runs, with the seed's sample gifts, and
last year's drive, finished, with a history of gifts over its weeks.

Dates are relative to today in the organisation's time zone (``ADMIN_TIMEZONE``), so
the dashboard shows them as they are written here. This year's drive started
``STARTED_DAYS_AGO`` days ago and ends on December 31, or ``RUNS_ON_FOR_DAYS`` days
from today when that is later, so it is still running on any later run that year.

Running the demo again duplicates nothing: a drive is found by its slug and a
sample gift by (method, amount, reference) among the demo's own entries, so a run
that stopped halfway is completed by the next one. A drive of that slug that holds
none of the demo's entries is someone's real drive and is left as it is: sample
money never goes into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from .cli_errors import domain_errors
from .errors import UnknownDrive
from .extensions import db
from .formatting import format_day, format_money, organisation_timezone
from .ledger import (
    DonorDetails,
    create_drive,
    drive_progress,
    get_drive,
    record_offline_donation,
)
from .models import Donation, Drive, utcnow
from .widget.presentation import schedule_status

ENTERED_BY = "demo"
GOAL = 7_500_000  # $75,000
LAST_YEAR_GOAL = 6_000_000  # $60,000
STARTED_DAYS_AGO = 16
RUNS_ON_FOR_DAYS = 30
DESCRIPTION = "Our yearly drive keeps the blog independent and ad-free."


@dataclass(frozen=True, slots=True)
class SampleGift:
    day: int  # days after the drive's start
    method: str
    amount: int  # cents
    donor_name: str | None  # None: an anonymous gift
    reference: str | None


# The seed's gifts, one per day from the day after the start: $5,706.00 in all.
SEED_GIFTS = (
    SampleGift(1, "paypal", 25_000, "Ada Lovelace", "PAYPAL-7XK21"),
    SampleGift(2, "paypal", 100_000, "Grace Hopper", "PAYPAL-9QZ04"),
    SampleGift(3, "check", 150_000, "Katherine Johnson", "check #1042"),
    SampleGift(4, "check", 50_000, None, "check #1043"),
    SampleGift(5, "amazon_gift_card", 10_000, "Alan Turing", "AGC-5521"),
    SampleGift(6, "amazon_gift_card", 40_000, "Edsger Dijkstra", "AGC-5522"),
    SampleGift(
        7,
        "bitcoin",
        100_000,
        None,
        "tx 4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
    ),
    SampleGift(8, "cash", 25_600, "Barbara Liskov", None),
    SampleGift(9, "other", 70_000, "Donald Knuth", "bank transfer"),
)

# Last year's drive, November 15 to December 31: a strong first week, a lull,
# Giving Tuesday, and the year's last days. $55,090.00 in all.
LAST_YEAR_GIFTS = (
    SampleGift(0, "check", 250_000, "Frances Allen", "check #2101"),
    SampleGift(0, "paypal", 5_000, "John Backus", "PAYPAL-H1A01"),
    SampleGift(1, "paypal", 10_000, None, "PAYPAL-H1A02"),
    SampleGift(1, "check", 100_000, "Radia Perlman", "check #2102"),
    SampleGift(2, "amazon_gift_card", 2_500, "Ken Thompson", "AGC-4101"),
    SampleGift(3, "paypal", 7_500, "Margaret Hamilton", "PAYPAL-H1A03"),
    SampleGift(5, "cash", 4_000, "Adele Goldberg", "cash envelope 1"),
    SampleGift(6, "check", 50_000, "Jean Sammet", "check #2103"),
    SampleGift(
        8,
        "bitcoin",
        75_000,
        None,
        "tx 4cf37a17d5a4b6bc885e546df4a25f138527bb87fa757b8ff00c4e876cbb4d77",
    ),
    SampleGift(10, "paypal", 2_500, "Niklaus Wirth", "PAYPAL-H1A04"),
    SampleGift(12, "other", 150_000, "Tony Hoare", "bank transfer"),
    SampleGift(13, "check", 25_000, "Leslie Lamport", "check #2104"),
    SampleGift(17, "paypal", 50_000, "Shafi Goldwasser", "PAYPAL-H1A05"),
    SampleGift(17, "paypal", 20_000, None, "PAYPAL-H1A06"),
    SampleGift(17, "check", 300_000, "Whitfield Diffie", "check #2105"),
    SampleGift(17, "amazon_gift_card", 10_000, "Sophie Wilson", "AGC-4102"),
    SampleGift(18, "paypal", 15_000, "Lynn Conway", "PAYPAL-H1A07"),
    SampleGift(20, "cash", 10_000, "Vint Cerf", "cash envelope 2"),
    SampleGift(22, "check", 75_000, "Hedy Lamarr", "check #2106"),
    SampleGift(
        25,
        "bitcoin",
        200_000,
        None,
        "tx 81a1592eee99cd75fcdf35cf53958c3b829601a8dbe0115cfde72e6e7b94f46a",
    ),
    SampleGift(27, "paypal", 5_000, "Annie Easley", "PAYPAL-H1A08"),
    SampleGift(29, "check", 40_000, "Mary Jackson", "check #2107"),
    SampleGift(31, "other", 500_000, "Dorothy Vaughan", "matching gift"),
    SampleGift(34, "paypal", 12_500, "John McCarthy", "PAYPAL-H1A09"),
    SampleGift(36, "amazon_gift_card", 5_000, "Alan Kay", "AGC-4103"),
    SampleGift(38, "check", 120_000, "Ivan Sutherland", "check #2108"),
    SampleGift(40, "paypal", 25_000, "Dennis Ritchie", "PAYPAL-H1A10"),
    SampleGift(42, "check", 200_000, "Guido van Rossum", "check #2109"),
    SampleGift(43, "paypal", 30_000, "Grace Hopper", "PAYPAL-H1A11"),
    SampleGift(44, "cash", 20_000, "Ada Lovelace", "cash envelope 3"),
    SampleGift(45, "check", 1_000_000, "Katherine Johnson", "check #2110"),
    SampleGift(45, "paypal", 50_000, None, "PAYPAL-H1A12"),
    SampleGift(46, "check", 2_000_000, "Edsger Dijkstra", "check #2111"),
    SampleGift(
        46,
        "bitcoin",
        100_000,
        None,
        "tx a03aa8e93ee44e5d669a5c80a4d0fcd46e1c96583a0d6a84929e8f90a982dc0e",
    ),
    SampleGift(46, "paypal", 40_000, "Barbara Liskov", "PAYPAL-H1A13"),
)


@dataclass(frozen=True, slots=True)
class DemoDrivePlan:
    slug: str
    title: str
    goal_amount: int
    starts_at: datetime
    ends_at: datetime
    gifts: tuple[SampleGift, ...]
    # The span ``SampleGift.day`` counts in: the gifts of a drive that already existed
    # with other dates are spread over its own days in the same proportions.
    span_days: int


@dataclass(frozen=True, slots=True)
class DemoDriveOutcome:
    drive: Drive
    created: bool
    gifts_added: int
    left_alone: bool = False  # a drive of the demo's slug that is not the demo's


def _start_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=tz)


def _end_of(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time.max, tzinfo=tz)


def _slug(year: int) -> str:
    return f"{year}-end-of-year"


def _title(year: int) -> str:
    return f"{year} End of the Year Donation Drive"


def demo_slug(now: datetime | None = None) -> str:
    """The slug of this year's demo drive, e.g. ``2026-end-of-year``."""
    return _slug((now or utcnow()).astimezone(organisation_timezone()).year)


def demo_plans(now: datetime, tz: tzinfo) -> tuple[DemoDrivePlan, DemoDrivePlan]:
    """This year's drive (running at ``now``) and last year's (ended)."""
    today = now.astimezone(tz).date()
    year = today.year
    starts = today - timedelta(days=STARTED_DAYS_AGO)
    ends = max(date(year, 12, 31), today + timedelta(days=RUNS_ON_FOR_DAYS))
    this_year = DemoDrivePlan(
        slug=_slug(year),
        title=_title(year),
        goal_amount=GOAL,
        starts_at=_start_of(starts, tz),
        ends_at=_end_of(ends, tz),
        gifts=SEED_GIFTS,
        span_days=STARTED_DAYS_AGO,
    )
    last_starts, last_ends = date(year - 1, 11, 15), date(year - 1, 12, 31)
    last_year = DemoDrivePlan(
        slug=_slug(year - 1),
        title=_title(year - 1),
        goal_amount=LAST_YEAR_GOAL,
        starts_at=_start_of(last_starts, tz),
        ends_at=_end_of(last_ends, tz),
        gifts=LAST_YEAR_GIFTS,
        span_days=(last_ends - last_starts).days + 1,
    )
    return this_year, last_year


def _received_at(drive: Drive, plan: DemoDrivePlan, gift: SampleGift, now: datetime) -> datetime:
    """The middle of the gift's day in the plan, as a share of the drive's days so far
    (to its end, or to now while it runs): a drive found with other dates gets its
    gifts in the same proportions, and no gift falls outside its drive or after now."""
    span = min(drive.ends_at, now) - drive.starts_at
    return drive.starts_at + span * ((gift.day + 0.5) / plan.span_days)


def _find_or_create(plan: DemoDrivePlan) -> tuple[Drive, bool]:
    try:
        return get_drive(plan.slug), False
    except UnknownDrive:
        drive = create_drive(
            slug=plan.slug,
            title=plan.title,
            goal_amount=plan.goal_amount,
            currency="USD",
            starts_at=plan.starts_at,
            ends_at=plan.ends_at,
            description=DESCRIPTION,
        )
        return drive, True


def _present_gifts(drive: Drive) -> set[tuple[str, int, str | None]]:
    rows = db.session.execute(
        select(Donation.method, Donation.amount, Donation.reference).where(
            Donation.drive_id == drive.id, Donation.entered_by == ENTERED_BY
        )
    )
    return {(method, amount, reference) for method, amount, reference in rows}


def create_demo_drive(plan: DemoDrivePlan, now: datetime) -> DemoDriveOutcome:
    """The planned drive and those of its sample gifts that are not there yet. The
    gifts are offline entries without receipts, through the ledger like any other."""
    drive, created = _find_or_create(plan)
    present = _present_gifts(drive)
    if not created and not present:
        return DemoDriveOutcome(drive=drive, created=False, gifts_added=0, left_alone=True)
    added = 0
    for gift in plan.gifts:
        if (gift.method, gift.amount, gift.reference) in present:
            continue
        record_offline_donation(
            drive,
            amount=gift.amount,
            method=gift.method,
            received_at=_received_at(drive, plan, gift, now),
            entered_by=ENTERED_BY,
            donor=DonorDetails(name=gift.donor_name, is_anonymous=gift.donor_name is None),
            reference=gift.reference,
            send_receipt=False,
        )
        added += 1
    return DemoDriveOutcome(drive=drive, created=created, gifts_added=added)


def register_commands(app: Flask) -> None:
    app.cli.add_command(demo_command)


@click.command(
    "demo",
    help="Create the demo drives with sample donations (once): this year's, running "
    "today, and last year's, ended.",
)
@with_appcontext
@domain_errors
def demo_command() -> None:
    now = utcnow()
    for plan in demo_plans(now, organisation_timezone()):
        outcome = create_demo_drive(plan, now)
        drive = outcome.drive
        if outcome.left_alone:
            click.echo(f"Drive {drive.slug!r} exists and holds no demo entries: left as it is.")
            continue
        if outcome.created:
            click.echo(
                f"Created demo drive {drive.slug!r}: {drive.title}, "
                f"{format_day(drive.starts_at)} to {format_day(drive.ends_at)}."
            )
        else:
            click.echo(f"Demo drive {drive.slug!r} already exists.")
        if outcome.gifts_added:
            click.echo(f"Recorded {outcome.gifts_added} sample donations.")
        progress = drive_progress(drive.slug)
        click.echo(
            f"Raised {format_money(progress.raised_amount, progress.currency)} of "
            f"{format_money(progress.goal_amount, progress.currency)}; "
            f"{schedule_status(progress.schedule, in_sentence=True)}."
        )
