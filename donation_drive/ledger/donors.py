"""Donors as the ledger keeps them: every gift it writes is attached to one, found by
the gift's normalized email (``models.normalize_email``); a gift without an email is
its own donor (``donor_for``, inside the ledger's transactions). Merging two donors
and erasing one on a privacy request are ledger writes too: they move the per-drive
donor sums and the drives' donor counts, never a total.
"""

from __future__ import annotations

import re

from flask import current_app
from sqlalchemy import bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from ..errors import Conflict, InvalidInput, NotFound
from ..extensions import db
from ..models import (
    Donation,
    DonationEvent,
    Donor,
    DonorEvent,
    DriveDonor,
    normalize_email,
    utcnow,
)
from .signals import Erasure, donor_erased, donors_merged
from .transactions import audit, in_transaction, move_donor_sum
from .validation import clean_text

_DONORS = Donor.__table__
_BY_KEY = select(_DONORS.c.id).where(_DONORS.c.email_key == bindparam("email_key"))
_NEW = insert(_DONORS).returning(_DONORS.c.id)
# Two first gifts from one email at once: one INSERT wins, the other returns no row
# (on PostgreSQL after the winner commits) and reads the winner's.
_NEW_IF_ABSENT = {
    module.__name__.rsplit(".", 1)[-1]: module.insert(_DONORS)
    .on_conflict_do_nothing(index_elements=["email_key"])
    .returning(_DONORS.c.id)
    for module in (postgresql, sqlite)
}


def donor_for(email: str | None, name: str | None) -> int:
    """The id of the donor a gift from ``email`` belongs to, made if new (with
    ``name``). Without an email, a new donor of its own. Inside a ledger transaction."""
    now = utcnow()
    row = {"email": email, "name": name, "created_at": now, "updated_at": now}
    key = normalize_email(email)
    if key is None:
        return db.session.execute(_NEW, {**row, "email_key": None}).scalar_one()
    found = db.session.execute(_BY_KEY, {"email_key": key}).scalar()
    if found is not None:
        return found
    dialect = db.session.get_bind().dialect.name
    made = db.session.execute(_NEW_IF_ABSENT[dialect], {**row, "email_key": key}).scalar()
    if made is not None:
        return made
    return db.session.execute(_BY_KEY, {"email_key": key}).scalar_one()


def find_donor(email: str) -> Donor | None:
    """The live donor of ``email`` (normalized), or None."""
    key = normalize_email(email)
    if key is None:
        return None
    return db.session.scalar(select(Donor).where(Donor.email_key == key))


def _live_donor(donor_id: int) -> Donor:
    donor = db.session.get(Donor, donor_id, populate_existing=True)
    if donor is None:
        raise NotFound(f"no donor {donor_id}", "donor")
    if donor.merged_into_id is not None:
        raise Conflict(f"donor {donor_id} was merged into donor {donor.merged_into_id}", "donor")
    return donor


def donor_audit(donor_id: int, *, actor: str, action: str, details: dict | None = None) -> None:
    """Write an audit row about a donor (the one writer of ``donor_events``)."""
    db.session.add(DonorEvent(donor_id=donor_id, actor=actor, action=action, details=details or {}))


def merge_donors(keep_id: int, other_id: int, *, actor: str) -> Donor:
    """Make ``other_id`` part of ``keep_id``: its gifts, statements and per-drive sums
    move to the kept donor, whose missing contact details it fills in; its row stays
    (``merged_into_id``, no email key) so the audit trail keeps both. A drive both gave
    to loses one from its donor count; no total changes. Audited on both donors."""
    if keep_id == other_id:
        raise InvalidInput("a donor cannot be merged into itself", "donor")

    def work() -> Donor:
        keep, other = _live_donor(keep_id), _live_donor(other_id)
        if keep.erased_at is not None or other.erased_at is not None:
            raise Conflict("an erased donor cannot be merged", "donor")
        gifts = (
            db.session.execute(select(Donation.id).where(Donation.donor_id == other.id))
            .scalars()
            .all()
        )
        sums = db.session.execute(
            select(DriveDonor.drive_id, DriveDonor.counted_amount).where(
                DriveDonor.donor_id == other.id
            )
        ).all()
        for drive_id, amount in sums:
            if amount:
                move_donor_sum(drive_id, other.id, -amount)
                move_donor_sum(drive_id, keep.id, amount)
        db.session.execute(
            update(Donation).where(Donation.donor_id == other.id).values(donor_id=keep.id)
        )
        donors_merged.send(current_app._get_current_object(), kept_id=keep.id, merged_id=other.id)
        for donation_id in gifts:
            audit(
                donation_id,
                actor=actor,
                action="donor_merged",
                amount_delta=0,
                details={"from_donor": other.id, "to_donor": keep.id},
            )
        merged_email = other.email
        if other.email_key is not None:
            other.email_key = None  # free the key before the kept donor may take it
            db.session.flush()
        keep.name = keep.name or other.name
        keep.address = keep.address or other.address
        if keep.email_key is None and normalize_email(merged_email):
            keep.email, keep.email_key = merged_email, normalize_email(merged_email)
        other.merged_into_id = keep.id
        details = {"kept": keep.id, "merged": other.id, "gifts_moved": len(gifts)}
        donor_audit(keep.id, actor=actor, action="merged", details=details)
        donor_audit(other.id, actor=actor, action="merged_into", details=details)
        return keep

    return in_transaction(work)


ERASED = "[erased]"
# "note": an admin's note on a gift is about its donor (who called, what they asked).
PERSONAL_FIELDS = ("donor_name", "donor_email", "display_name", "message", "note")


def erase_donor(donor_id: int, *, actor: str) -> dict[str, int]:
    """A privacy request: remove the donor's name, email, message and address from the
    donor, every gift and every email to them (statement PDFs included), and the
    admins' notes on their gifts (and their email from notes on other gifts), keeping
    amounts, dates, receipt numbers and the audit rows, so totals and accounts still
    reconcile. The ledger clears its own rows and announces ``donor_erased``, on
    which the outbox and webhook intake clear theirs in the same transaction. The
    erasure itself is audited (with counts, not the data). Returns what was cleared:
    {"gifts": n, "notes": j, "emails": m, "webhook_events": k, ...} (one count per
    receiver's table)."""

    def work() -> dict[str, int]:
        donor = _live_donor(donor_id)
        merged = db.session.scalars(select(Donor.id).where(Donor.merged_into_id == donor.id))
        ids = [donor.id, *merged]
        held = db.session.execute(
            select(
                Donation.id,
                Donation.donor_name,
                Donation.donor_email,
                Donation.display_name,
                Donation.message,
                Donation.note,
            ).where(Donation.donor_id.in_(ids))
        ).all()
        people = db.session.execute(
            select(Donor.name, Donor.email, Donor.address).where(Donor.id.in_(ids))
        ).all()
        texts = {text for row in held for text in row[1:5] if text}
        texts |= {text for row in people for text in row if text}
        emails = {text for text in texts if "@" in text}
        gifts = db.session.execute(
            update(Donation)
            .where(Donation.donor_id.in_(ids))
            .values(
                donor_name=None,
                donor_email=None,
                display_name=None,
                message=None,
                note=None,
                is_anonymous=True,
                version=Donation.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        gift_ids = select(Donation.id).where(Donation.donor_id.in_(ids))
        erasure = Erasure(
            donor_ids=tuple(ids),
            donation_ids=tuple(row[0] for row in held),
            texts=tuple(sorted(texts)),
        )
        cleared: dict[str, int] = {}
        for _receiver, counts in donor_erased.send(
            current_app._get_current_object(), erasure=erasure
        ):
            for key, value in (counts or {}).items():
                cleared[key] = cleared.get(key, 0) + value
        # The audit rows keep what happened to the money; the donor text an edit
        # recorded in them goes.
        events = db.session.scalars(
            select(DonationEvent).where(DonationEvent.donation_id.in_(gift_ids))
        ).all()
        for event in events:
            details = dict(event.details or {})
            personal = [key for key in details if key in PERSONAL_FIELDS]
            if personal:
                for key in personal:
                    details[key] = ERASED
                event.details = details
        for each in db.session.scalars(select(Donor).where(Donor.id.in_(ids))):
            each.name = each.email = each.email_key = each.address = None
            each.erased_at = utcnow()
        notes = sum(1 for row in held if row.note) + _redact_notes(emails, ids, actor)
        done = {"gifts": gifts or 0, "notes": notes, **cleared}
        donor_audit(donor.id, actor=actor, action="erased", details=done)
        return done

    return in_transaction(work)


def _redact_notes(emails: set[str], donor_ids: list[int], actor: str) -> int:
    """Replace the erased donor's email addresses (any case) in admins' notes on other
    donors' gifts ("refund of jane@example.org's duplicate"); audited on each gift.
    Names are left: a name in another gift's note cannot be told from a namesake's.
    Returns how many notes changed."""
    folded = sorted({email.strip().casefold() for email in emails})
    if not folded:
        return 0
    pattern = re.compile("|".join(re.escape(email) for email in folded), re.IGNORECASE)
    others = or_(Donation.donor_id.not_in(donor_ids), Donation.donor_id.is_(None))
    mentions = or_(*(func.lower(Donation.note).contains(email) for email in folded))
    found = db.session.execute(
        select(Donation.id, Donation.note).where(Donation.note.is_not(None), others, mentions)
    ).all()
    for donation_id, note in found:
        db.session.execute(
            update(Donation)
            .where(Donation.id == donation_id)
            .values(note=pattern.sub(ERASED, note), version=Donation.version + 1)
            .execution_options(synchronize_session=False)
        )
        audit(
            donation_id,
            actor=actor,
            action="note_redacted",
            amount_delta=0,
            details={"reason": "another donor's data was erased on request"},
        )
    return len(found)


def note_donor_event(
    donor_id: int, *, actor: str, action: str, details: dict | None = None
) -> None:
    """Audit something done with a donor's data that changes no money (a privacy
    export, a statement queued), in its own transaction."""

    def work() -> None:
        if db.session.get(Donor, donor_id) is None:
            raise NotFound(f"no donor {donor_id}", "donor")
        donor_audit(donor_id, actor=actor, action=action, details=details)

    in_transaction(work)


def update_donor_contact(
    donor_id: int, *, actor: str, name: str | None, address: str | None
) -> Donor:
    """Correct a donor's name or postal address (shown on statements); audited with
    which fields changed, not their values. The email, which finds the donor, is
    changed on the gifts instead."""
    new_name = clean_text(name, "name", max_length=200)
    new_address = clean_text(address, "address", max_length=1000, multiline=True)

    def work() -> Donor:
        donor = _live_donor(donor_id)
        if donor.erased_at is not None:
            raise Conflict("an erased donor's details cannot be set again", "donor")
        changed = [
            field
            for field, old, new in (
                ("name", donor.name, new_name),
                ("address", donor.address, new_address),
            )
            if old != new
        ]
        donor.name, donor.address = new_name, new_address
        if changed:
            donor_audit(
                donor.id, actor=actor, action="contact_updated", details={"fields": changed}
            )
        return donor

    return in_transaction(work)
