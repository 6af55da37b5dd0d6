"""Tables behind the service's moving parts: webhook intake, the email outbox,
reconciliation, job leases, checkout attempts, admin accounts and their sessions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class WebhookEvent(db.Model):
    """A provider event, stored before it is processed (unique on the event id)."""

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        Index("ix_webhook_events_status", "status", "received_at"),
        Index("ix_webhook_events_received", "received_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict] = mapped_column(JSON)
    provider_created: Mapped[int | None] = mapped_column(BigInteger)  # unix seconds
    status: Mapped[str] = mapped_column(String(16), default="received")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboxEmail(db.Model):
    """An email to send. Written in the same transaction as the fact it reports."""

    __tablename__ = "outbox_emails"
    __table_args__ = (
        Index("ix_outbox_emails_due", "status", "next_attempt_at"),
        Index("ix_outbox_emails_donation", "donation_id"),
        Index("ix_outbox_emails_donor", "donor_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "receipt:<donation id>" for the first receipt; resends get their own keys.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"))
    # A year-end statement is about a donor and a period, and carries its PDF, made
    # when the row was queued, so what is sent is what was decided.
    donor_id: Mapped[int | None] = mapped_column(ForeignKey("donors.id"))
    period: Mapped[str | None] = mapped_column(String(32))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    to_address: Mapped[str] = mapped_column(String(320))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    requested_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    donation = relationship("Donation")


class ReconcileRun(db.Model):
    __tablename__ = "reconcile_runs"
    __table_args__ = (Index("ix_reconcile_runs_started", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Whose records the run read: "stripe" or "paypal" (reconcile/paypal.py).
    provider: Mapped[str] = mapped_column(String(16), default="stripe", server_default="stripe")
    since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="running")
    checked: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    flagged: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)

    findings: Mapped[list[ReconcileFinding]] = relationship(
        back_populates="run", order_by="ReconcileFinding.id"
    )


class ReconcileFinding(db.Model):
    __tablename__ = "reconcile_findings"
    __table_args__ = (Index("ix_reconcile_findings_run", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconcile_runs.id"))
    kind: Mapped[str] = mapped_column(String(64))
    provider_ref: Mapped[str | None] = mapped_column(String(200))
    donation_id: Mapped[int | None] = mapped_column(ForeignKey("donations.id"))
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    run: Mapped[ReconcileRun] = relationship(back_populates="findings")


class JobLease(db.Model):
    """A lease held in the database so each scheduled job runs in one place at a time."""

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PaymentAttempt(db.Model):
    """A checkout attempt, kept to spot card testing."""

    __tablename__ = "payment_attempts"
    __table_args__ = (Index("ix_payment_attempts_created", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    drive_id: Mapped[int | None] = mapped_column(ForeignKey("drives.id"))
    ip: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(320))
    amount: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str] = mapped_column(String(32))
    error: Mapped[str | None] = mapped_column(Text)


class AdminUser(db.Model):
    __tablename__ = "admin_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    # Flask-Login protocol.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)


class AdminSession(db.Model):
    """One admin login. The cookie carries a random token; this row holds only its
    SHA-256, so a copy of the database opens no session. A session ends when it is
    revoked (logout, password change, admin disabled), after an idle spell or at the
    end of its lifetime (``admin/login_sessions.py``)."""

    __tablename__ = "admin_sessions"
    __table_args__ = (Index("ix_admin_sessions_admin", "admin_id", "last_seen_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Written at most about once a minute, not on every request.
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    admin: Mapped[AdminUser] = relationship()

    def is_live(self, now: datetime, idle: timedelta, lifetime: timedelta) -> bool:
        return (
            self.revoked_at is None
            and now - self.last_seen_at < idle
            and now - self.created_at < lifetime
        )
