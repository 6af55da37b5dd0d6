"""Recording a new provider payment in Core statements.

The webhook intake records one payment per event, so its common case (a payment
the ledger has not seen) skips the ORM's unit of work: flush ordering, identity-map
bookkeeping and a joined load of the drive, none of which a plain insert needs.
What is written is exactly what ``transactions.apply_change`` and
``emails.outbox.queue_receipt`` write for a new row; the unique key on
``(provider, provider_ref)`` is still the once-only guarantee.
"""

from __future__ import annotations

from sqlalchemy import bindparam, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached

from ..database import insert_ignoring_duplicates
from ..emails.outbox import RECEIPT, receipt_key
from ..extensions import db
from ..models import Donation, DonationEvent, OutboxEmail, utcnow
from .transactions import move_drive_totals, snapshot

_DONATIONS = Donation.__table__
PROVIDER_DONATION_ID = select(_DONATIONS.c.id).where(
    _DONATIONS.c.provider == bindparam("provider"),
    _DONATIONS.c.provider_ref == bindparam("provider_ref"),
)
_INSERT_DONATION = insert(_DONATIONS).returning(*_DONATIONS.c)
# A payment with no pending row to adopt: INSERT it unless its key exists, in one
# statement, instead of a SELECT for the id and then the INSERT. A conflict returns
# no row (on PostgreSQL after waiting for a concurrent inserter to commit), and the
# caller then takes the general path, which finds the existing row.
_INSERT_DONATION_IF_NEW = {
    module.__name__.rsplit(".", 1)[-1]: module.insert(_DONATIONS)
    .on_conflict_do_nothing(index_elements=["provider", "provider_ref"])
    .returning(*_DONATIONS.c)
    for module in (postgresql, sqlite)
}
_INSERT_EVENT = insert(DonationEvent.__table__)


def insert_provider_payment(columns: dict[str, object], *, if_new: bool = False) -> Donation | None:
    """INSERT the donation row (RETURNING every column) and hand back the row as a
    persistent ``Donation`` in the session, as a flush would, without reloading it.
    A concurrent insert of the same ``(provider, provider_ref)`` raises
    ``IntegrityError`` here, which ``in_transaction`` retries; with ``if_new`` it
    inserts nothing and returns None instead when that key already exists.

    Unlike a flushed new object, this one is not dropped from the session when the
    transaction rolls back: the caller must ``forget_inserted`` it then."""
    if if_new:
        dialect = db.session.get_bind().dialect.name
        result = db.session.execute(_INSERT_DONATION_IF_NEW[dialect], columns).first()
        if result is None:
            return None
        row = result._mapping
    else:
        row = db.session.execute(_INSERT_DONATION, columns).one()._mapping
    donation = Donation(
        **{attr.key: row[attr.columns[0]] for attr in Donation.__mapper__.column_attrs}
    )
    make_transient_to_detached(donation)  # loaded state, no pending changes
    db.session.add(donation)
    return donation


def forget_inserted(donation: Donation | None) -> None:
    """Drop a donation inserted by a transaction that rolled back from the session,
    as a rollback does for a flushed new object (its row no longer exists)."""
    if donation is not None and donation in db.session:
        db.session.expunge(donation)


def count_new_payment(donation: Donation, *, actor: str, details: dict) -> None:
    """What ``apply_change`` and ``queue_receipt`` do for a row that did not exist
    before, in Core statements: move the drive's totals, audit, queue the receipt."""
    delta, count_delta = snapshot(donation)
    move_drive_totals(donation.drive_id, delta, count_delta)
    db.session.execute(
        _INSERT_EVENT,
        {
            "donation_id": donation.id,
            "actor": actor,
            "action": "payment_recorded",
            "amount_delta": delta,
            "details": details,
        },
    )
    if donation.donor_email and donation.send_receipt:
        # The dedupe key makes it once, whoever else queues this receipt.
        insert_ignoring_duplicates(
            OutboxEmail.__table__,
            {
                "dedupe_key": receipt_key(donation.id),
                "kind": RECEIPT,
                "donation_id": donation.id,
                "to_address": donation.donor_email,
                "status": "pending",
                "next_attempt_at": utcnow(),
            },
            ["dedupe_key"],
        )
