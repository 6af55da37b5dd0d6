"""Queueing year-end statements: who gets one, and one outbox row each (with its
PDF). The outbox's dedupe key (period, donor) makes a second run queue nothing,
even two runs at once; ``resend`` queues a numbered copy."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import func, select

from ..emails.outbox import STATEMENT, queue_statement, statement_key
from ..errors import NotFound
from ..extensions import db
from ..models import Donor, OutboxEmail, utcnow
from .content import Period, build_statement, donors_with_giving, statement_period
from .pdf import render_statement_pdf


@dataclass(frozen=True, slots=True)
class Planned:
    donor_id: int
    email: str | None
    name: str | None
    gifts: int
    totals: dict[str, int]
    skip: str | None = None  # why this donor gets nothing this run
    copy: int = 0  # > 0: a resend


@dataclass
class StatementRun:
    period: Period
    planned: list[Planned] = field(default_factory=list)
    queued: int = 0

    @property
    def to_send(self) -> list[Planned]:
        return [p for p in self.planned if p.skip is None]


def _statements_queued(period: Period, donor_id: int) -> int:
    prefix = statement_key(period.label, donor_id)
    return int(
        db.session.scalar(
            select(func.count(OutboxEmail.id)).where(
                OutboxEmail.kind == STATEMENT,
                (OutboxEmail.dedupe_key == prefix)
                | OutboxEmail.dedupe_key.startswith(f"{prefix}:", autoescape=True),
            )
        )
        or 0
    )


def plan_statements(
    year: int, *, donor_email: str | None = None, resend: bool = False
) -> StatementRun:
    """Who would get a statement for ``year`` (all donors with giving in it, or the
    donor of ``donor_email``), and who is skipped and why. Writes nothing."""
    period = statement_period(year)
    run = StatementRun(period)
    donors = donors_with_giving(period, email=donor_email)
    if donor_email is not None and not donors:
        raise NotFound(
            f"no donor with the email {donor_email.strip()[:320]!r} gave in {period.title}",
            "donor",
        )
    for donor in donors:
        statement = build_statement(donor, period)
        queued = _statements_queued(period, donor.id)
        skip = None
        if not donor.email:
            skip = "no email address"
        elif queued and not resend:
            skip = "already sent for this period (--resend sends a copy)"
        run.planned.append(
            Planned(
                donor_id=donor.id,
                email=donor.email,
                name=statement.name,
                gifts=len(statement.lines),
                totals=statement.totals,
                skip=skip,
                copy=queued if resend else 0,
            )
        )
    return run


def send_statements(
    year: int,
    *,
    donor_email: str | None = None,
    resend: bool = False,
    dry_run: bool = False,
    requested_by: str | None = None,
) -> StatementRun:
    """Plan, then (unless ``dry_run``) queue one statement email with its PDF for each
    donor planned, committing each, so an interrupted run resumes where it stopped."""
    run = plan_statements(year, donor_email=donor_email, resend=resend)
    if dry_run:
        return run
    issued = utcnow()
    for planned in run.to_send:
        donor = db.session.get(Donor, planned.donor_id)
        assert donor is not None and donor.email
        statement = build_statement(donor, run.period)
        pdf = render_statement_pdf(statement, issued=issued)
        added = queue_statement(
            donor_id=donor.id,
            period=run.period.label,
            to_address=donor.email,
            pdf=pdf,
            filename=f"giving-statement-{run.period.label}-{donor.id}.pdf",
            copy=planned.copy,
            requested_by=requested_by,
        )
        db.session.commit()
        run.queued += int(added)
    return run
