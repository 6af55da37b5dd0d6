"""Recording a payment a provider says succeeded: the one path by which checkout's
confirmation, every webhook, reconciliation and imports count provider money.

It is idempotent on ``(provider, provider_ref)``, a UNIQUE key: recording a payment
twice (a replayed webhook, a reconcile run racing a webhook), in any order or
concurrently, counts it once. The writes are Core statements built once, because
the webhook intake records one payment per event and has no use for the ORM's unit
of work, identity map or joined load of the drive; no ORM object of the donation is
made unless a caller asks for ``RecordResult.donation``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm.exc import StaleDataError

from ..errors import InvalidInput
from ..extensions import db
from ..models import Donation, Drive, Method, Status, counted_amount, utcnow
from .breakdown import Share, move_gift
from .donations import DonorDetails
from .donors import donor_for
from .drives import DriveKey
from .signals import Gift
from .transactions import AlsoWrite, announce_counted, audit, in_transaction, move_drive_totals
from .validation import check_drive_currency, check_minor_units, clean_text

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ProviderPayment:
    """A payment a provider says succeeded, as the ledger records it.

    ``amount`` is in minor units of ``currency``, which must be the drive's.
    ``pending_donation_id`` (from the payment's metadata) lets a payment that reaches
    us before checkout stored its id adopt the pending row instead of making a
    second. ``method`` is ``card`` for card providers; an import of another
    provider's payments (a PayPal activity export) passes its own. ``reference``,
    ``note`` (an admin's private note) and ``send_receipt`` are kept on a new row only.
    """

    provider: str
    provider_ref: str
    drive: Drive | DriveKey  # which drive, and its currency
    amount: int
    currency: str
    received_at: datetime
    donor: DonorDetails = field(default_factory=DonorDetails)
    pending_donation_id: int | None = None
    method: str = Method.CARD
    reference: str | None = None
    note: str | None = None
    send_receipt: bool = True


@dataclass(frozen=True, slots=True)
class RecordResult:
    donation_id: int
    created: bool  # a new row was written
    counted: bool  # this call made the donation count toward the total

    @property
    def donation(self) -> Donation:
        """The recorded donation, loaded through the session when asked for."""
        donation = db.session.get(Donation, self.donation_id)
        assert donation is not None  # the row was committed and is never deleted
        return donation


_DONATIONS = Donation.__table__
_c = _DONATIONS.c
_STATE = select(
    _c.id,
    _c.version,
    _c.drive_id,
    _c.amount,
    _c.currency,
    _c.status,
    _c.refunded_amount,
    _c.disputed_amount,
    _c.method,
    _c.provider,
    _c.donor_email,
    _c.donor_name,
    _c.donor_id,
    _c.send_receipt,
)
_BY_KEY = _STATE.where(
    _c.provider == bindparam("provider"), _c.provider_ref == bindparam("provider_ref")
)
# A checkout's pending row this payment may adopt: same provider and drive, no
# payment tied to it yet.
_ADOPTABLE = _STATE.where(
    _c.id == bindparam("donation_id"),
    _c.provider == bindparam("provider"),
    _c.provider_ref.is_(None),
    _c.drive_id == bindparam("drive_id"),
)
_INSERT = insert(_DONATIONS).returning(_c.id)
# A payment with no pending row to adopt: INSERT it unless its key exists, in one
# statement. A conflict returns no row (on PostgreSQL after waiting for a concurrent
# inserter to commit), and the payment is then looked up by its key.
_INSERT_IF_NEW = {
    module.__name__.rsplit(".", 1)[-1]: module.insert(_DONATIONS)
    .on_conflict_do_nothing(index_elements=["provider", "provider_ref"])
    .returning(_c.id)
    for module in (postgresql, sqlite)
}
# Settle a row read at ``seen_version``; no row updated means another writer
# changed it meanwhile (the optimistic lock the ORM keeps on the same column).
_MARK_PAID = (
    update(_DONATIONS)
    .where(_c.id == bindparam("donation_id"), _c.version == bindparam("seen_version"))
    .values(
        provider_ref=bindparam("new_provider_ref"),
        amount=bindparam("new_amount"),
        currency=bindparam("new_currency"),
        refunded_amount=bindparam("new_refunded"),
        disputed_amount=bindparam("new_disputed"),
        received_at=bindparam("new_received_at"),
        status=Status.SUCCEEDED,
        failure_reason=None,
        version=_c.version + 1,
        updated_at=bindparam("now"),
    )
)


def record_provider_payment(
    payment: ProviderPayment, *, actor: str, also_write: AlsoWrite | None = None
) -> RecordResult:
    """Count ``payment`` toward its drive, once: a second call, in any order or
    concurrently, returns the same donation and counts nothing again. It commits its
    own transaction, in which the audit row, the ``gift_counted`` announcement (the
    receipt) and ``also_write`` are written too.

    Raises ``InvalidInput`` (``InvalidCurrency`` when the payment is not in the
    drive's currency: a drive's total is a sum in one currency) before writing.
    """
    if payment.method not in tuple(Method):
        raise InvalidInput(f"method must be one of {', '.join(Method)}", "method")
    currency = check_drive_currency(payment.drive, payment.currency)
    new_row = {
        "drive_id": payment.drive.id,
        "amount": check_minor_units(payment.amount),
        "currency": currency,
        "method": payment.method,
        "status": Status.SUCCEEDED,
        "received_at": payment.received_at,
        **payment.donor.cleaned().as_columns(),
        "provider": payment.provider,
        "provider_ref": payment.provider_ref,
        "reference": clean_text(payment.reference, "reference", max_length=200),
        "note": clean_text(payment.note, "note", max_length=2000, multiline=True),
        "entered_by": actor,
        "send_receipt": payment.send_receipt,
        "refunded_amount": 0,
        "disputed_amount": 0,
    }

    def work() -> RecordResult:
        # A gift with an email finds its donor first; one without gets a donor of its
        # own only once it is known to be new (a replay must not make another).
        email = new_row["donor_email"]
        new_row["donor_id"] = donor_for(email, new_row["donor_name"]) if email else None
        result = _write(payment, new_row, actor)
        if also_write is not None:
            also_write()
        return result

    return in_transaction(work)


def _write(payment: ProviderPayment, new_row: dict, actor: str) -> RecordResult:
    key = {"provider": payment.provider, "provider_ref": payment.provider_ref}
    if payment.pending_donation_id is None:
        # Most payments are new and have no pending row to adopt: try the insert
        # first; only a payment we already have goes on to the lookup.
        dialect = db.session.get_bind().dialect.name
        donation_id = db.session.execute(_INSERT_IF_NEW[dialect], new_row).scalar()
        if donation_id is not None:
            return _count_new(donation_id, new_row, actor)
    row = db.session.execute(_BY_KEY, key).first()
    if row is None and payment.pending_donation_id is not None:
        row = db.session.execute(
            _ADOPTABLE,
            {**key, "donation_id": payment.pending_donation_id, "drive_id": new_row["drive_id"]},
        ).first()
    if row is None:
        # A concurrent insert of the same key raises IntegrityError: retried.
        donation_id = db.session.execute(_INSERT, new_row).scalar_one()
        return _count_new(donation_id, new_row, actor)
    if row.status in (Status.SUCCEEDED, Status.VOIDED):
        return RecordResult(row.id, created=False, counted=False)
    return _count_pending(row, new_row, actor)


_SET_DONOR = (
    update(_DONATIONS)
    .where(_c.id == bindparam("donation_id"))
    .values(donor_id=bindparam("new_donor_id"))
)


def _attach_own_donor(donation_id: int, email: str | None, name: str | None) -> int:
    donor_id = donor_for(email, name)
    db.session.execute(_SET_DONOR, {"donation_id": donation_id, "new_donor_id": donor_id})
    return donor_id


def _count_new(donation_id: int, new_row: dict, actor: str) -> RecordResult:
    amount = new_row["amount"]
    donor_id = new_row["donor_id"]
    if donor_id is None:
        donor_id = _attach_own_donor(donation_id, None, new_row["donor_name"])
    move_drive_totals(new_row["drive_id"], amount, 1, donor_id=donor_id)
    move_gift(new_row["drive_id"], None, Share(new_row["method"], new_row["received_at"], amount))
    audit(
        donation_id,
        actor=actor,
        action="payment_recorded",
        amount_delta=amount,
        details={"provider_ref": new_row["provider_ref"], "amount": amount},
    )
    announce_counted(
        Gift(
            donation_id=donation_id,
            drive_id=new_row["drive_id"],
            amount=amount,
            currency=new_row["currency"],
            method=new_row["method"],
            provider=new_row["provider"],
            donor_email=new_row["donor_email"],
            send_receipt=new_row["send_receipt"],
        )
    )
    return RecordResult(donation_id, created=True, counted=True)


def _count_pending(row, new_row: dict, actor: str) -> RecordResult:
    """Settle a row that is not counted yet (pending, failed or canceled at checkout)."""
    amount, currency = new_row["amount"], new_row["currency"]
    if (row.amount, row.currency) != (amount, currency):
        log.warning(
            "payment %s: provider amount %s %s differs from checkout %s %s",
            new_row["provider_ref"],
            amount,
            currency,
            row.amount,
            row.currency,
        )
    # A refund or dispute event can arrive before the payment's success (events
    # come in any order); what it recorded can never exceed what was paid.
    refunded = min(row.refunded_amount, amount)
    disputed = min(row.disputed_amount, amount)
    updated = db.session.execute(
        _MARK_PAID,
        {
            "donation_id": row.id,
            "seen_version": row.version,
            "new_provider_ref": new_row["provider_ref"],
            "new_amount": amount,
            "new_currency": currency,
            "new_refunded": refunded,
            "new_disputed": disputed,
            "new_received_at": new_row["received_at"],
            "now": utcnow(),
        },
    ).rowcount
    if updated != 1:
        raise StaleDataError(f"donation {row.id} changed while its payment was recorded")
    before = counted_amount(row.status, row.amount, row.refunded_amount, row.disputed_amount)
    after = counted_amount(Status.SUCCEEDED, amount, refunded, disputed)
    donor_id = row.donor_id
    if donor_id is None:  # a row written before donors, or around the ledger
        donor_id = _attach_own_donor(row.id, row.donor_email, row.donor_name)
    move_drive_totals(row.drive_id, after - before, (after > 0) - (before > 0), donor_id=donor_id)
    # Settled rows returned above: this one counted nothing before.
    move_gift(row.drive_id, None, Share(row.method, new_row["received_at"], after))
    audit(
        row.id,
        actor=actor,
        action="payment_succeeded",
        amount_delta=after - before,
        details={"provider_ref": new_row["provider_ref"], "amount": amount},
    )
    announce_counted(
        Gift(
            donation_id=row.id,
            drive_id=row.drive_id,
            amount=amount,
            currency=currency,
            method=row.method,
            provider=row.provider,
            donor_email=row.donor_email,
            send_receipt=row.send_receipt,
        )
    )
    return RecordResult(row.id, created=False, counted=True)
