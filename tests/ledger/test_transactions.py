"""The ledger's transaction discipline: the drive's running totals are written last,
once per attempt that commits, and never outside a ledger transaction."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from donation_drive.extensions import db
from donation_drive.ledger import (
    ProviderPayment,
    drive_progress,
    record_offline_donation,
    record_provider_payment,
    recount_drive,
    void_donation,
)
from donation_drive.ledger.transactions import in_transaction, move_drive_totals

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture
def statements(app) -> list[str]:
    """The SQL the app sends, COMMIT included, in order."""
    sent: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        sent.append(statement.split(None, 2)[0].upper() + " " + statement.split(None, 3)[1])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", on_execute)
    event.listen(engine, "commit", lambda _conn: sent.append("COMMIT"))
    yield sent
    event.remove(engine, "before_cursor_execute", on_execute)


def _statements_before_commit(sent: list[str]) -> list[str]:
    return sent[: sent.index("COMMIT")]


def test_a_new_payment_updates_its_drive_row_last(drive, statements):
    """Every payment updates the one drive row, so concurrent ledger writes queue on
    its lock; written last, the lock is held for one statement and the commit."""
    statements.clear()
    record_provider_payment(
        ProviderPayment(
            provider="stripe",
            provider_ref="pi_last",
            drive=drive,
            amount=2_500,
            currency="USD",
            received_at=NOW,
        ),
        actor="test",
        also_write=lambda: db.session.execute(db.text("SELECT 1")),
    )
    written = _statements_before_commit(statements)
    assert written[-1].startswith("UPDATE drives"), written
    assert sum(s.startswith("UPDATE drives") for s in written) == 1
    assert drive_progress(drive.slug).raised_amount == 2_500


def test_a_void_through_the_orm_updates_its_drive_row_last(drive, statements):
    gift = record_offline_donation(
        drive, amount=4_000, method="check", received_at=NOW, entered_by="admin"
    )
    statements.clear()
    void_donation(gift.id, actor="admin", reason="bounced")
    written = _statements_before_commit(statements)
    assert written[-1].startswith("UPDATE drives"), written
    assert recount_drive(drive.id) == (0, 0)
    assert drive_progress(drive.slug).raised_amount == 0


def test_an_attempt_that_rolls_back_moves_no_totals(drive):
    """A retried attempt queues its change again; the one that rolled back must not
    have left its own queued."""
    attempts = []

    def work() -> None:
        attempts.append(1)
        move_drive_totals(drive.id, 1_000, 1, donor_id=None)
        if len(attempts) < 3:
            raise IntegrityError("INSERT", {}, Exception("a concurrent writer won"))

    in_transaction(work)
    assert len(attempts) == 3
    progress = drive_progress(drive.slug)
    assert (progress.raised_amount, progress.donor_count) == (1_000, 1)


def test_an_attempt_that_fails_for_good_moves_no_totals(drive):
    def work() -> None:
        move_drive_totals(drive.id, 1_000, 1, donor_id=None)
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        in_transaction(work)
    in_transaction(lambda: None)  # a later transaction does not write the stale queue
    assert drive_progress(drive.slug).raised_amount == 0


def test_totals_cannot_move_outside_a_ledger_transaction(drive):
    with pytest.raises(RuntimeError, match="in_transaction"):
        move_drive_totals(drive.id, 1_000, 1, donor_id=None)


def test_ledger_transactions_do_not_nest(drive):
    with pytest.raises(RuntimeError, match="nest"):
        in_transaction(lambda: in_transaction(lambda: None))
