"""Webhook intake: store every verified event first (unique on its id), then
process it, and remember how that went on the stored row.

Row statuses, which the admin operations page reads:

- ``received``: stored, not processed yet (or the process died while at it);
- ``processed``: applied to the ledger; ``ignored``: nothing to do (an event type
  we do not use, a payment that is not ours). Both are final: a replay gets 200
  and changes nothing;
- ``failed``: cannot be applied as sent (unknown drive, wrong currency). The provider
  gets 200, since retrying cannot help; an admin has to look. A redelivery (from
  the Stripe Dashboard, say) tries again;
- ``error``: could not be processed yet, or processing raised. The provider gets a 5xx
  and delivers the event again later.

``attempts`` counts processing attempts, ``last_error`` says what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import and_, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import OperationalError

from ..database import retry_while_busy
from ..extensions import db
from ..models import WebhookEvent, utcnow
from ..observability import count_webhook_failure
from ..providers.stripe import PROVIDER
from .handlers import (
    IGNORED,
    PROCESSED,
    Handled,
    MarkProcessed,
    NotYetProcessable,
    UnprocessableEvent,
    handle_event,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

RECEIVED = "received"
FAILED = "failed"
ERROR = "error"
FINAL_STATES = (PROCESSED, IGNORED)
NEEDS_ATTENTION = (FAILED, ERROR)


class StoredEvent(Protocol):
    """What the intake stores of any provider's event (Stripe's ``ProviderEvent``,
    PayPal's webhook ``PayPalEvent``, an IPN message): a unique id, a type, the
    provider's time in unix seconds (0 when unknown) and the whole payload."""

    @property
    def id(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def created(self) -> int: ...
    @property
    def payload(self) -> dict[str, Any]: ...


Handler = Callable[[Any, MarkProcessed], Handled]


@dataclass(frozen=True, slots=True)
class IntakeResult:
    http_status: int
    status: str  # the row's status after this delivery, or "duplicate"
    detail: str | None = None


@retry_while_busy
def _write(statement_work: Callable[[], T]) -> T:
    """Run one short write in the session and commit."""
    db.session.rollback()  # start clean: no read snapshot older than this write
    try:
        result = statement_work()
        db.session.commit()
        return result
    except OperationalError:
        db.session.rollback()
        raise


@retry_while_busy
def _autocommitted(statement, values: dict):
    """Run one statement that commits by itself, on a connection of its own: one
    round trip, without a BEGIN and a COMMIT around a statement atomic on its own."""
    with db.engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        return autocommit.execute(statement, values).scalar()


_EVENTS = WebhookEvent.__table__
# "Not settled yet", written without IN (...): an IN list is expanded on every
# execution, plain comparisons compile once.
_UNSETTLED = and_(*(_EVENTS.c.status != final for final in FINAL_STATES))


@cache
def _store_statement(dialect: str):
    """``INSERT ... ON CONFLICT (provider, event_id) DO UPDATE SET attempts =
    attempts + 1 WHERE <not settled> RETURNING id``, built once per dialect (the
    intake runs it for every delivery)."""
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(_EVENTS)
    columns = ("event_id", "type", "payload", "provider_created", "received_at")
    return (
        insert.values(
            provider=bindparam("new_provider", type_=_EVENTS.c.provider.type),
            status=RECEIVED,
            attempts=1,
            **{
                column: bindparam(f"new_{column}", type_=_EVENTS.c[column].type)
                for column in columns
            },
        )
        .on_conflict_do_update(
            index_elements=["provider", "event_id"],
            set_={"attempts": _EVENTS.c.attempts + 1},
            where=_UNSETTLED,
        )
        .returning(_EVENTS.c.id)
    )


_HOLD = (
    select(_EVENTS.c.id).where(_EVENTS.c.id == bindparam("row_id"), _UNSETTLED).with_for_update()
)
_SETTLE_FINAL = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("row_id"))
    .values(status=bindparam("new_status"), processed_at=bindparam("now"), last_error=None)
)
# A non-final outcome never overwrites a final one (a concurrent delivery of the
# same event may have finished it meanwhile).
_SETTLE_UNFINISHED = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("row_id"), _UNSETTLED)
    .values(status=bindparam("new_status"), last_error=bindparam("error"))
)


def _store_and_claim(event: StoredEvent, provider: str) -> int | None:
    """Store the event if it is new and count a processing attempt, in one statement
    that commits by itself. Returns the row's id, or None when the event was already
    settled (a replay). It is committed before any processing, so the event is kept
    whatever happens next."""
    statement = _store_statement(db.session.get_bind().dialect.name)
    values = {
        "new_provider": provider,
        "new_event_id": event.id,
        "new_type": event.type,
        "new_payload": event.payload,
        "new_provider_created": event.created or None,
        "new_received_at": utcnow(),
    }
    return _autocommitted(statement, values)


def _settle(row_id: int, status: str, note: str | None, *, commit: bool = True) -> None:
    """Record the outcome on the event's row. With ``commit`` False the statement
    joins the caller's open transaction."""
    if status in FINAL_STATES:
        statement = _SETTLE_FINAL
        values = {"row_id": row_id, "new_status": status, "now": utcnow()}
    else:
        statement = _SETTLE_UNFINISHED
        values = {"row_id": row_id, "new_status": status, "error": (note or status)[:2000]}
    if commit:
        _write(lambda: db.session.execute(statement, values).rowcount)
    else:
        db.session.execute(statement, values)


def _hold_unsettled(row_id: int) -> bool:
    """Open the processing transaction by locking the event's row (PostgreSQL:
    ``SELECT ... FOR UPDATE``; SQLite writes one at a time anyway). False when the
    event was settled meanwhile.

    A copy of the event delivered at the same moment then waits here, or in its
    ``_store_and_claim``, until this delivery commits, and sees the event settled,
    instead of running the whole ledger write only to find the payment recorded.
    The lock is an economy, not the guarantee: the ledger's once-only key is. It
    lasts until the handler's ledger call commits (or the outcome is recorded); for
    a handler that asks Stripe about a charge that includes the call, and only
    other copies of this same event wait on it.
    """
    db.session.rollback()  # a fresh transaction: the lock lasts until the handler commits
    held = db.session.execute(_HOLD, {"row_id": row_id}).first()
    if held is None:
        db.session.rollback()
    return held is not None


def receive_event(
    event: StoredEvent, *, provider: str = PROVIDER, handle: Handler = handle_event
) -> IntakeResult:
    """Store ``event`` of ``provider`` (once, whatever the number of deliveries) and
    process it with ``handle`` (Stripe's handlers by default; PayPal's webhook and IPN
    intake pass theirs, see ``webhooks.paypal``).

    Returns the HTTP status for the provider: 200 when the event is settled (processed,
    ignored, a replay, or failed for good) and 5xx when the provider should deliver it
    again. Never raises for a problem with the event itself.
    """
    row_id = _store_and_claim(event, provider)
    if row_id is None:
        return IntakeResult(200, "duplicate", "already processed")
    try:
        if not _hold_unsettled(row_id):
            return IntakeResult(200, "duplicate", "processed by a concurrent delivery")
        handled = handle(event, lambda: _settle(row_id, PROCESSED, None, commit=False))
    except NotYetProcessable as exc:
        count_webhook_failure("not_yet_processable", provider)
        _settle(row_id, ERROR, str(exc))
        return IntakeResult(503, ERROR, str(exc))
    except UnprocessableEvent as exc:
        count_webhook_failure("unprocessable", provider)
        log.warning("webhook event %s (%s) failed: %s", event.id, event.type, exc)
        _settle(row_id, FAILED, str(exc))
        return IntakeResult(200, FAILED, str(exc))
    except Exception as exc:  # a database error, a bug: keep the event, let the provider retry
        db.session.rollback()
        count_webhook_failure("processing_error", provider)
        log.exception("webhook event %s (%s) raised", event.id, event.type)
        _settle(row_id, ERROR, f"{type(exc).__name__}: {exc}")
        return IntakeResult(500, ERROR, "processing failed; the provider will retry")
    if not handled.settled:
        _settle(row_id, handled.status, handled.note)
    return IntakeResult(200, handled.status, handled.note)


def events_needing_attention(limit: int = 50) -> list[WebhookEvent]:
    """Stored events that failed or still wait for a successful retry, newest first."""
    return list(
        db.session.scalars(
            select(WebhookEvent)
            .where(WebhookEvent.status.in_(NEEDS_ATTENTION))
            .order_by(WebhookEvent.received_at.desc())
            .limit(limit)
        )
    )


def count_by_status() -> dict[str, int]:
    rows = db.session.execute(
        select(WebhookEvent.status, func.count()).group_by(WebhookEvent.status)
    )
    return {status: int(count) for status, count in rows}
