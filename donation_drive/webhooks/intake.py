"""Webhook intake: store every verified event first (unique on its id), then
process it, and remember how that went on the stored row.

Row statuses, which the admin operations page reads:

- ``received``: stored, not processed yet (or the process died while at it);
- ``processed``: applied to the ledger; ``ignored``: nothing to do (an event type
  we do not use, a payment that is not ours). Both are final: a replay gets 200
  and changes nothing;
- ``failed``: cannot be applied as sent (unknown drive, wrong currency). Stripe
  gets 200, since retrying cannot help; an admin has to look. A redelivery (from
  the Stripe Dashboard, say) tries again;
- ``error``: could not be processed yet, or processing raised. Stripe gets a 5xx
  and delivers the event again later.

``attempts`` counts processing attempts, ``last_error`` says what went wrong.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError

from ..database import insert_ignoring_duplicates
from ..extensions import db
from ..models import WebhookEvent, utcnow
from ..observability import count_webhook_failure
from ..stripe_gateway import ProviderEvent
from .handlers import IGNORED, PROCESSED, NotYetProcessable, UnprocessableEvent, handle_event

log = logging.getLogger(__name__)

PROVIDER = "stripe"
RECEIVED = "received"
FAILED = "failed"
ERROR = "error"
FINAL_STATES = (PROCESSED, IGNORED)
NEEDS_ATTENTION = (FAILED, ERROR)


@dataclass(frozen=True, slots=True)
class IntakeResult:
    http_status: int
    status: str  # the row's status after this delivery, or "duplicate"
    detail: str | None = None


def _write(statement_work: Callable[[], int], attempts: int = 5) -> int:
    """Run one short write and commit; a busy SQLite file is retried."""
    for attempt in range(1, attempts + 1):
        db.session.rollback()  # start clean: no read snapshot older than this write
        try:
            result = statement_work()
            db.session.commit()
            return result
        except OperationalError as exc:
            db.session.rollback()
            if "locked" not in str(exc) or attempt == attempts:
                raise
    raise AssertionError("unreachable")


def _store(event: ProviderEvent) -> bool:
    return bool(
        _write(
            lambda: int(
                insert_ignoring_duplicates(
                    WebhookEvent.__table__,
                    {
                        "provider": PROVIDER,
                        "event_id": event.id,
                        "type": event.type,
                        "payload": event.payload,
                        "provider_created": event.created or None,
                        "status": RECEIVED,
                        "attempts": 0,
                        "received_at": utcnow(),
                    },
                    ["provider", "event_id"],
                )
            )
        )
    )


def _this_event(event_id: str):
    return (WebhookEvent.provider == PROVIDER) & (WebhookEvent.event_id == event_id)


def _claim(event_id: str) -> bool:
    """Count an attempt, unless the event was already settled: then False."""
    return bool(
        _write(
            lambda: (
                db.session.execute(
                    update(WebhookEvent)
                    .where(_this_event(event_id), WebhookEvent.status.not_in(FINAL_STATES))
                    .values(attempts=WebhookEvent.attempts + 1)
                ).rowcount
            )
        )
    )


def _settle(event_id: str, status: str, note: str | None) -> None:
    """Record the outcome. A non-final outcome never overwrites a final one (a
    concurrent delivery of the same event may have finished it meanwhile)."""
    condition = _this_event(event_id)
    if status not in FINAL_STATES:
        condition = condition & WebhookEvent.status.not_in(FINAL_STATES)
    values: dict[str, object] = {"status": status}
    if status in FINAL_STATES:
        values.update(processed_at=utcnow(), last_error=None)
    else:
        values["last_error"] = (note or status)[:2000]
    statement = update(WebhookEvent).where(condition).values(**values)
    _write(lambda: db.session.execute(statement).rowcount)


def receive_event(event: ProviderEvent) -> IntakeResult:
    """Store ``event`` (once, whatever the number of deliveries) and process it.

    Returns the HTTP status for Stripe: 200 when the event is settled (processed,
    ignored, a replay, or failed for good) and 5xx when Stripe should deliver it
    again. Never raises for a problem with the event itself.
    """
    _store(event)
    if not _claim(event.id):
        return IntakeResult(200, "duplicate", "already processed")
    try:
        handled = handle_event(event)
    except NotYetProcessable as exc:
        count_webhook_failure("not_yet_processable")
        _settle(event.id, ERROR, str(exc))
        return IntakeResult(503, ERROR, str(exc))
    except UnprocessableEvent as exc:
        count_webhook_failure("unprocessable")
        log.warning("webhook event %s (%s) failed: %s", event.id, event.type, exc)
        _settle(event.id, FAILED, str(exc))
        return IntakeResult(200, FAILED, str(exc))
    except Exception as exc:  # a database error, a bug: keep the event, let Stripe retry
        db.session.rollback()
        count_webhook_failure("processing_error")
        log.exception("webhook event %s (%s) raised", event.id, event.type)
        _settle(event.id, ERROR, f"{type(exc).__name__}: {exc}")
        return IntakeResult(500, ERROR, "processing failed; Stripe will retry")
    _settle(event.id, handled.status, handled.note)
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
