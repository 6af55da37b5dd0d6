"""What a PayPal payment or adjustment does to the ledger, whichever way PayPal told
us (checkout capture, REST webhook, IPN, Transaction Search): the one translation into
``ledger.record_provider_payment`` and the refund/dispute functions, keyed by the
capture id (= PayPal's transaction id, the key the activity CSV import uses too).

Which drive (docs/paypal.md, "Which drive"):

1. a payment that names a drive (``custom_id`` of a checkout order, ``custom`` or
   ``item_number`` of the classic Donate button: the drive's slug, optionally followed
   by ``:<pending donation id>``) counts toward that drive; its currency must be the
   drive's, or it is refused (``Refused``);
2. otherwise toward the one drive whose dates contain the payment time and whose
   currency is the payment's;
3. otherwise (no such drive, or several) it is not counted: ``NeedsDrive``. The
   stored message is marked failed and listed for an admin, who assigns a drive from
   the dashboard (``/admin/paypal/unassigned``).

A payment the ledger already has (recorded by any path, the CSV import included) is
never recorded again and needs no drive.

Refunds, reversals and cancelled reversals are ``PayPalAdjustment`` rows, one per
PayPal transaction id. A payment's refunded figure is the sum of its refunds and its
disputed figure the sum of its reversals less their cancellations (dispute status
``reversed`` holds the money back, ``reversal_canceled`` gives it back), so each
adjustment counts once in any order, and one that arrives before its payment is
applied as soon as the payment is recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from ...extensions import db
from ...ledger import (
    DonorDetails,
    DriveKey,
    ProviderPayment,
    RecordResult,
    apply_provider_dispute,
    apply_provider_refund,
    find_provider_donation,
    record_provider_payment,
)
from ...models import Donation, Drive, Method, PayPalAdjustment, Status, utcnow
from .custom import Named
from .objects import CANCEL_REVERSAL, REFUND, REVERSAL

# The ``provider`` of every PayPal donation: the activity CSV import's too.
PROVIDER = "paypal"
IPN_PROVIDER = "paypal-ipn"  # the intake's provider for stored IPN messages
REVERSED, REVERSAL_CANCELED = "reversed", "reversal_canceled"


class NeedsDrive(Exception):
    """No drive can be told for this payment; an admin has to assign one."""


class Refused(Exception):
    """The payment cannot count as sent (wrong receiver, wrong currency)."""


@dataclass(frozen=True, slots=True)
class PayPalPayment:
    """A payment PayPal says was received, however we heard of it."""

    capture_id: str
    amount: int
    currency: str
    paid_at: datetime
    named: Named = field(default_factory=lambda: Named(None))
    donor: DonorDetails = field(default_factory=DonorDetails)


def ledger_payment(payment: PayPalPayment, drive: Drive | DriveKey) -> ProviderPayment:
    """What the ledger records for ``payment`` toward ``drive``."""
    return ProviderPayment(
        provider=PROVIDER,
        provider_ref=payment.capture_id,
        drive=drive,
        amount=payment.amount,
        currency=payment.currency,
        received_at=payment.paid_at,
        donor=payment.donor,
        pending_donation_id=payment.named.donation_id,
        method=Method.PAYPAL,
        reference=payment.capture_id,
    )


def donor_of(email: str | None, name: str | None) -> DonorDetails:
    """Donor details PayPal gave, dropped rather than refused when malformed."""
    try:
        return DonorDetails(name=name or None, email=email or None).cleaned()
    except Exception:  # a malformed email must not keep money out of the total
        return DonorDetails(name=(name or "")[:200] or None)


def choose_drive(payment: PayPalPayment) -> DriveKey:
    """The drive ``payment`` counts toward, by the rule above."""
    slug = payment.named.drive_slug
    if slug:
        row = db.session.execute(
            select(Drive.id, Drive.slug, Drive.currency).where(Drive.slug == slug)
        ).first()
        if row is not None:
            if row.currency != payment.currency:
                raise Refused(
                    f"payment {payment.capture_id} is in {payment.currency} but drive "
                    f"{row.slug!r} counts {row.currency}; not counted"
                )
            return DriveKey(*row)
    rows = db.session.execute(
        select(Drive.id, Drive.slug, Drive.currency)
        .where(
            Drive.starts_at <= payment.paid_at,
            Drive.ends_at >= payment.paid_at,
            Drive.currency == payment.currency,
        )
        .limit(2)
    ).all()
    if len(rows) == 1:
        return DriveKey(*rows[0])
    named = f"names drive {slug!r}, which does not exist, and " if slug else ""
    why = "several drives" if rows else "no drive"
    raise NeedsDrive(
        f"needs a drive: PayPal payment {payment.capture_id} "
        f"({payment.amount} {payment.currency} minor units, {payment.paid_at:%Y-%m-%d %H:%M} UTC) "
        f"{named}falls in {why} running in {payment.currency} at that time"
    )


def already_recorded(capture_id: str) -> bool:
    return (
        db.session.scalar(
            select(Donation.id).where(
                Donation.provider == PROVIDER,
                Donation.provider_ref == capture_id,
                Donation.status.in_((Status.SUCCEEDED, Status.VOIDED)),
            )
        )
        is not None
    )


def record_payment(
    payment: PayPalPayment,
    *,
    actor: str,
    also_write: Callable[[], object] | None = None,
    drive: Drive | DriveKey | None = None,
) -> RecordResult | None:
    """Count ``payment`` once. Returns None when the ledger already had it (then
    ``also_write`` is not run: the caller settles its own record). Raises
    ``NeedsDrive`` or ``Refused`` before writing anything."""
    if already_recorded(payment.capture_id):
        db.session.rollback()
        sync_adjustments(payment.capture_id, actor=actor)
        return None
    chosen = drive if drive is not None else choose_drive(payment)
    if chosen.currency != payment.currency:
        raise Refused(
            f"payment {payment.capture_id} is in {payment.currency}, drive {chosen.slug!r} "
            f"counts {chosen.currency}; not counted"
        )
    db.session.rollback()  # the ledger opens its own transaction
    result = record_provider_payment(
        ledger_payment(payment, chosen), actor=actor, also_write=also_write
    )
    sync_adjustments(payment.capture_id, actor=actor)
    return result


@dataclass(frozen=True, slots=True)
class Adjustment:
    id: str
    capture_id: str
    kind: str  # REFUND, REVERSAL or CANCEL_REVERSAL
    amount: int  # positive minor units
    currency: str
    at: datetime


def record_adjustment(adjustment: Adjustment, *, source: str) -> bool:
    """Keep ``adjustment`` once (by its PayPal id), committed. True if it was new."""
    if adjustment.kind not in (REFUND, REVERSAL, CANCEL_REVERSAL) or adjustment.amount <= 0:
        raise Refused(f"adjustment {adjustment.id}: not a refund or reversal of money")
    table = PayPalAdjustment.__table__
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = (
        insert.values(
            adjustment_id=adjustment.id[:64],
            capture_id=adjustment.capture_id[:64],
            kind=adjustment.kind,
            amount=adjustment.amount,
            currency=adjustment.currency,
            occurred_at=adjustment.at,
            source=source,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["adjustment_id"])
        .returning(table.c.id)
    )
    db.session.rollback()
    # RETURNING, not rowcount: PostgreSQL's driver reports no count for this statement.
    created = db.session.execute(statement).scalar() is not None
    db.session.commit()
    return created


@dataclass(frozen=True, slots=True)
class AdjustedTotals:
    refunded: int
    reversed: int
    has_reversals: bool


def adjusted_totals(capture_id: str) -> AdjustedTotals:
    sums = dict(
        db.session.execute(
            select(PayPalAdjustment.kind, func.sum(PayPalAdjustment.amount))
            .where(PayPalAdjustment.capture_id == capture_id)
            .group_by(PayPalAdjustment.kind)
        ).all()
    )
    reversed_total = int(sums.get(REVERSAL) or 0) - int(sums.get(CANCEL_REVERSAL) or 0)
    return AdjustedTotals(
        refunded=int(sums.get(REFUND) or 0),
        reversed=max(reversed_total, 0),
        has_reversals=bool(sums.get(REVERSAL) or sums.get(CANCEL_REVERSAL)),
    )


def sync_adjustments(capture_id: str, *, actor: str) -> Donation | None:
    """Bring the ledger's refunded and disputed figures for a payment in line with
    its adjustments. None when the ledger does not have the payment (yet)."""
    totals = adjusted_totals(capture_id)
    db.session.rollback()
    donation = None
    if totals.refunded:
        donation = apply_provider_refund(
            PROVIDER, capture_id, refunded_total=totals.refunded, actor=actor
        )
    if totals.has_reversals:
        donation = apply_provider_dispute(
            PROVIDER,
            capture_id,
            dispute_status=REVERSED if totals.reversed else REVERSAL_CANCELED,
            disputed_amount=totals.reversed,
            actor=actor,
        )
    if donation is None and not (totals.refunded or totals.has_reversals):
        donation = find_provider_donation(PROVIDER, capture_id)
    return donation
