"""Delivering the outbox: claim a due row, check it should still go, send, record.

Safe to run from several processes and threads at once (the scheduler every minute,
``donation-drive send-emails`` by hand): a row is claimed by one conditional UPDATE
whose row count says who won, so two senders never send the same row. Each row is
claimed just before it is sent, and the claim is a lease: if a sender dies mid-send,
the row becomes due again when the lease runs out.

Delivery is at-least-once where SMTP forces it: if the server accepted a message
but the sender died (or the database failed) before the row was marked sent, the
row is sent again after its lease; the copy has the same Message-ID.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import or_, select, update

from ..extensions import db
from ..leases import worker_id
from ..models import Donation, Donor, OutboxEmail, utcnow
from ..observability import count_email_failure
from .headers import InvalidRecipient
from .monthly_notices import NOTICE_KINDS, compose_notice
from .outbox import RECEIPT, STATEMENT
from .receipts import compose_receipt, envelope_from, reason_not_to_send
from .statements import compose_statement, reason_not_to_send_statement
from .transport import (
    ConnectionFailure,
    DeliveryFailure,
    PermanentFailure,
    SmtpSettings,
    SmtpTransport,
)

log = logging.getLogger(__name__)

MAX_RETRY_DELAY = timedelta(hours=6)
_jitter = random.Random()  # noqa: S311 - spreading retries, not security


@dataclass(slots=True)
class SendReport:
    """What one ``send_due_emails`` call did, in rows."""

    sent: int = 0
    retrying: int = 0  # a temporary failure; the row is due again later
    failed: int = 0  # gave up: a permanent failure or the last attempt failed
    canceled: int = 0  # refunded or voided before it went out
    stopped_early: bool = False  # the server was unreachable; the rest waits
    not_tried: int = 0  # due but left when it stopped early: still due, for the next call
    exhausted: int = 0  # of ``failed``: the last attempt allowed failed temporarily
    problem: str | None = None  # the latest temporary failure: why mail is not going out

    @property
    def processed(self) -> int:
        return self.sent + self.retrying + self.failed + self.canceled

    @property
    def held_back(self) -> int:
        """Due emails not delivered because the server was down or deferred them:
        what a later run, or an operator fixing the settings, would have delivered.
        A 5xx refusal of one address is not among them (that email is just bad)."""
        return self.retrying + self.not_tried + self.exhausted

    def summary(self) -> str:
        text = (
            f"sent {self.sent}, retrying {self.retrying}, "
            f"failed {self.failed}, canceled {self.canceled}"
        )
        if self.stopped_early:
            text += f", not tried {self.not_tried} (mail server unreachable: they wait)"
        return text

    def failure(self) -> str | None:
        """One line saying why mail is held back, or None when the call did its job."""
        held = self.held_back
        if not held:
            return None
        due = self.processed + self.not_tried
        queued = self.retrying + self.not_tried
        outcome = []
        if queued:
            outcome.append("they stay queued" if queued == held else f"{queued} stay queued")
        if self.exhausted:
            outcome.append(f"{self.exhausted} failed for good after the last attempt")
        problem = " ".join((self.problem or "temporary failure").split())
        emails = "email" if due == 1 else "emails"
        return f"{held} of {due} {emails} not sent: {problem}; {', '.join(outcome)}"


def retry_delay(attempts: int, base_seconds: int, rng: random.Random = _jitter) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: base, 2x base,
    4x base ... capped at six hours, with +/-10% jitter so a batch that failed together
    (the server was down) does not come back all at once."""
    seconds = base_seconds * 2 ** max(attempts - 1, 0)
    delay = min(timedelta(seconds=seconds), MAX_RETRY_DELAY)
    return delay * rng.uniform(0.9, 1.1)


def _lease(config) -> timedelta:
    # Long enough for a slow server to take one message (connect, TLS, login, DATA,
    # each bounded by SMTP_TIMEOUT), so a live sender is never overtaken.
    return timedelta(seconds=max(300, 10 * int(config.get("SMTP_TIMEOUT") or 20)))


class _Run:
    """One call of ``send_due_emails``: a worker id, a clock and a transport."""

    def __init__(self, clock: Callable[[], datetime], transport: SmtpTransport) -> None:
        config = current_app.config
        self.clock = clock
        self.transport = transport
        self.worker = worker_id()
        self.lease = _lease(config)
        self.max_attempts = max(int(config["EMAIL_MAX_ATTEMPTS"]), 1)
        self.retry_base = max(int(config["EMAIL_RETRY_BASE_SECONDS"]), 1)
        self.report = SendReport()

    def due_ids(self, limit: int) -> list[int]:
        now = self.clock()
        ids = db.session.scalars(
            select(OutboxEmail.id)
            .where(
                OutboxEmail.status == "pending",
                OutboxEmail.next_attempt_at <= now,
                or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now),
            )
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        ).all()
        db.session.commit()  # end the read so no transaction stays open while sending
        return list(ids)

    def claim(self, email_id: int) -> OutboxEmail | None:
        """Take the row if it is still due and nobody holds it; counts an attempt."""
        now = self.clock()
        result = db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.status == "pending",
                OutboxEmail.next_attempt_at <= now,
                or_(OutboxEmail.locked_until.is_(None), OutboxEmail.locked_until < now),
            )
            .values(
                locked_by=self.worker,
                locked_until=now + self.lease,
                attempts=OutboxEmail.attempts + 1,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        if result.rowcount != 1:
            return None
        return db.session.get(OutboxEmail, email_id, populate_existing=True)

    def process(self, email: OutboxEmail) -> None:
        email_id, attempts = email.id, email.attempts
        if attempts > self.max_attempts:
            # A sender died during the last attempt; do not try again unasked.
            self._give_up(email_id, f"{email.last_error or 'no reply recorded'} (gave up)")
            return
        donation = (
            db.session.get(Donation, email.donation_id, populate_existing=True)
            if email.donation_id is not None
            else None
        )
        if email.kind in NOTICE_KINDS:
            self._deliver(email_id, attempts, lambda: compose_notice(email, now=self.clock()))
            return
        if email.kind == STATEMENT:
            reason = reason_not_to_send_statement(email)
            if reason is not None:
                self._finish(email_id, status="canceled", last_error=reason)
                self.report.canceled += 1
                return
            donor = db.session.get(Donor, email.donor_id) if email.donor_id else None
            self._deliver(
                email_id, attempts, lambda: compose_statement(email, donor, now=self.clock())
            )
            return
        if email.kind != RECEIPT:
            self._give_up(email_id, f"unknown kind of email {email.kind!r}")
            return
        reason = reason_not_to_send(donation)
        if reason is not None:
            self._finish(email_id, status="canceled", last_error=reason)
            self.report.canceled += 1
            return
        assert donation is not None
        self._deliver(
            email_id, attempts, lambda: compose_receipt(email, donation, now=self.clock())
        )

    def _deliver(self, email_id: int, attempts: int, compose: Callable[[], EmailMessage]) -> None:
        try:
            message = compose()
        except InvalidRecipient as exc:
            self._give_up(email_id, str(exc))
            return
        except Exception as exc:  # a broken override template: fixable, so retried
            log.exception("outbox email %s: could not render", email_id)
            self._failed_attempt(email_id, attempts, f"could not render: {exc}")
            return
        recipient_address = message["To"].addresses[0].addr_spec
        db.session.commit()  # no transaction stays open during the SMTP conversation
        try:
            self.transport.send(message, envelope_from=envelope_from(), recipient=recipient_address)
        except PermanentFailure as exc:
            self._give_up(email_id, str(exc))
        except DeliveryFailure as exc:
            self._failed_attempt(email_id, attempts, str(exc))
            if isinstance(exc, ConnectionFailure):
                self.report.stopped_early = True
        else:
            self._mark_sent(email_id, message["Message-ID"])

    def _mark_sent(self, email_id: int, message_id: str) -> None:
        # Not conditional on the lock: the server took the message, and that is true
        # even if a refund canceled the row while it was on the wire.
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id == email_id)
            .values(
                status="sent",
                sent_at=self.clock(),
                message_id=message_id,
                last_error=None,
                locked_by=None,
                locked_until=None,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        self.report.sent += 1

    def _failed_attempt(self, email_id: int, attempts: int, error: str) -> None:
        self.report.problem = error
        if attempts >= self.max_attempts:
            self._give_up(email_id, error)
            self.report.exhausted += 1
            return
        next_attempt = self.clock() + retry_delay(attempts, self.retry_base)
        log.warning("outbox email %s: attempt %s failed, retrying: %s", email_id, attempts, error)
        self._finish(email_id, status="pending", last_error=error, next_attempt_at=next_attempt)
        count_email_failure(RECEIPT, will_retry=True)
        self.report.retrying += 1

    def _give_up(self, email_id: int, error: str) -> None:
        log.error("outbox email %s failed for good: %s", email_id, error)
        self._finish(email_id, status="failed", last_error=error)
        count_email_failure(RECEIPT, will_retry=False)
        self.report.failed += 1

    def _finish(self, email_id: int, **values: object) -> None:
        """Record an outcome and release the claim, unless the row changed hands or
        the ledger canceled it meanwhile (then only our lock, if still ours, goes)."""
        release = {"locked_by": None, "locked_until": None}
        result = db.session.execute(
            update(OutboxEmail)
            .where(
                OutboxEmail.id == email_id,
                OutboxEmail.locked_by == self.worker,
                OutboxEmail.status == "pending",
            )
            .values(**values, **release)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            db.session.execute(
                update(OutboxEmail)
                .where(OutboxEmail.id == email_id, OutboxEmail.locked_by == self.worker)
                .values(**release)
                .execution_options(synchronize_session=False)
            )
        db.session.commit()


def send_due_emails(limit: int = 100, *, now: datetime | None = None) -> SendReport:
    """Send up to ``limit`` outbox emails that are due, over one SMTP connection.

    Promises: a row is sent by at most one concurrent caller; a temporary failure
    (server down, timeout, 4xx) schedules a retry with exponential backoff
    (``EMAIL_RETRY_BASE_SECONDS``) and the row becomes ``failed`` after
    ``EMAIL_MAX_ATTEMPTS`` attempts; a permanent 5xx makes it ``failed`` at once; the
    error is kept in ``last_error`` either way. A receipt whose payment was refunded
    or voided meanwhile is ``canceled``, not sent. When the server cannot be reached
    the call stops early and the rows it did not reach wait for the next call.
    ``SendReport.failure()`` says, on one line, what was held back and why.

    ``now`` fixes the clock (tests); by default each step reads the real time.
    Needs an application context; commits its own short transactions.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    settings = SmtpSettings.from_config(current_app.config)
    with SmtpTransport(settings) as transport:
        run = _Run(clock, transport)
        try:
            due = run.due_ids(limit)
            for position, email_id in enumerate(due, start=1):
                email = run.claim(email_id)
                if email is None:
                    continue  # another sender has it, or it was canceled meanwhile
                run.process(email)
                if run.report.stopped_early:
                    run.report.not_tried = len(due) - position
                    break
        except BaseException:
            db.session.rollback()
            raise
    report = run.report
    failure = report.failure()
    if failure:
        log.warning("send_due_emails: %s", failure)
    elif report.processed:
        log.info("send_due_emails: %s", report.summary())
    return report
