"""Resending a receipt on request: the only way a donation gets a second receipt."""

from __future__ import annotations

from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from tenacity import RetryCallState, retry, retry_if_exception_type, stop_after_attempt

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..ledger.validation import clean_text, validate_email
from ..models import Donation, OutboxEmail, utcnow
from .outbox import RECEIPT, RESEND_PREFIX, resend_key
from .receipts import reason_not_to_send


def resend_receipt(donation_id: int, *, to_address: str | None, requested_by: str) -> OutboxEmail:
    """Queue a copy of a donation's receipt as a new outbox row, and commit it.

    The copy goes to ``to_address`` when given (a corrected address; the donation's
    own email is left as it is), else to the donor's email. It has its own dedupe key
    (``resend:<donation id>:<n>``) and remembers ``requested_by``; the sender delivers
    it like any receipt, with the subject and text marking it as a copy. It is sent
    even if the donation was entered with "no receipt": asking is explicit.

    Raises ``NotFound`` (field ``donation``), ``Conflict`` (field ``donation``) for a
    payment that was voided, refunded in full or never completed, and
    ``InvalidInput`` (field ``to_address``) for a bad address or none at all.
    """
    address = validate_email(to_address, "to_address") if to_address else None
    requester = clean_text(requested_by, "requested_by", max_length=320, required=True)
    return _queue_copy(donation_id, address, requester)


class _NumberTaken(Exception):
    """Another resend of the same donation took the copy number meanwhile."""


def _give_up(_state: RetryCallState) -> NoReturn:
    raise Conflict("too many resends at once; try again", "donation")


# Two admins resending at once may pick the same number; the unique key refuses the
# second insert, which then takes the next number (five tries in all).
@retry(
    retry=retry_if_exception_type(_NumberTaken),
    stop=stop_after_attempt(5),
    retry_error_callback=_give_up,
)
def _queue_copy(donation_id: int, address: str | None, requester: str) -> OutboxEmail:
    donation = db.session.get(Donation, donation_id, populate_existing=True)
    if donation is None:
        raise NotFound(f"no donation {donation_id}", "donation")
    reason = reason_not_to_send(donation)
    if reason is not None:
        raise Conflict(f"no receipt can be sent: {reason}", "donation")
    destination = address or donation.donor_email
    if not destination:
        raise InvalidInput(
            "this donation has no email address; give one to send the receipt to",
            "to_address",
        )
    earlier = db.session.scalar(
        select(func.count(OutboxEmail.id)).where(
            OutboxEmail.donation_id == donation.id,
            OutboxEmail.dedupe_key.like(f"{RESEND_PREFIX}:{donation.id}:%"),
        )
    )
    email = OutboxEmail(
        dedupe_key=resend_key(donation.id, (earlier or 0) + 1),
        kind=RECEIPT,
        donation_id=donation.id,
        to_address=destination,
        status="pending",
        attempts=0,
        next_attempt_at=utcnow(),
        requested_by=requester,
    )
    db.session.add(email)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        raise _NumberTaken from None
    return email
