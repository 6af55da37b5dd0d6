"""A CSV import between its preview and its confirmation, kept in the database
(``staged_imports``) so that any instance behind the proxy can take the confirmation.

What is kept is the plan the admin saw, every row as it was read, not the file: the
confirming instance records exactly those rows, whatever its settings, the drive's
locale or its parser would make of the file by then. The admin's page carries a
random token; only its SHA-256 is stored. A preview is taken once, by one conditional
UPDATE whose row count says who won, so a double click or two instances confirming at
once import it once. Expiry compares each instance's own clock, as job leases do. A privacy request
reaches the staged rows too (``on_donor_erased``).
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask import current_app
from sqlalchemy import delete, select, update

from ...errors import Conflict
from ...extensions import db
from ...ledger import DonorDetails
from ...models import Drive, StagedImport, utcnow
from .csv_import import ImportPlan, ImportRow, RowStatus

if TYPE_CHECKING:
    from ...ledger.signals import Erasure

# An expired preview is kept this long after it expired, so that confirming it says
# "expired" rather than "unknown"; the next preview anyone makes deletes it.
KEEP_EXPIRED = timedelta(days=1)


class PreviewUnavailable(Conflict):
    """The preview cannot be confirmed (expired, already imported, or not this
    admin's); the message says what to do instead."""


@dataclasses.dataclass(frozen=True, slots=True)
class ConfirmedPreview:
    drive_id: int
    filename: str
    send_receipts: bool
    plan: ImportPlan


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def stage_preview(
    plan: ImportPlan, *, drive: Drive, admin_id: int, filename: str, send_receipts: bool
) -> str:
    """Keep ``plan`` for its admin to confirm within ``IMPORT_PREVIEW_MINUTES``;
    returns the token that confirms it. Commits."""
    now = utcnow()
    token = secrets.token_urlsafe(32)
    db.session.execute(delete(StagedImport).where(StagedImport.expires_at < now - KEEP_EXPIRED))
    db.session.add(
        StagedImport(
            token_hash=_digest(token),
            drive_id=drive.id,
            admin_id=admin_id,
            filename=filename,
            send_receipts=send_receipts,
            plan=_plan_to_json(plan),
            created_at=now,
            expires_at=now + timedelta(minutes=current_app.config["IMPORT_PREVIEW_MINUTES"]),
        )
    )
    db.session.commit()
    return token


def take_preview(token: str, admin_id: int) -> ConfirmedPreview:
    """Mark the preview ``token`` names as confirmed and return it: once only, and only
    for the admin who made it, before it expires. Commits; raises
    ``PreviewUnavailable`` saying why when the preview cannot be confirmed."""
    now = utcnow()
    digest = _digest(token)
    mine = (StagedImport.token_hash == digest, StagedImport.admin_id == admin_id)
    taken = db.session.execute(
        update(StagedImport)
        .where(
            *mine,
            StagedImport.consumed_at.is_(None),
            StagedImport.expires_at > now,
        )
        .values(consumed_at=now)
    )
    if taken.rowcount != 1:
        reason = _why_unavailable(db.session.scalar(select(StagedImport).where(*mine)))
        db.session.rollback()
        raise PreviewUnavailable(reason)
    staged = db.session.scalars(select(StagedImport).where(*mine)).one()
    confirmed = ConfirmedPreview(
        drive_id=staged.drive_id,
        filename=staged.filename,
        send_receipts=staged.send_receipts,
        plan=_plan_from_json(staged.plan),
    )
    db.session.commit()
    return confirmed


def _why_unavailable(staged: StagedImport | None) -> str:
    if staged is None:  # no such token, or another admin's preview
        return "There is no such preview to import. Upload the file again."
    if staged.consumed_at is not None:
        return "This preview was already imported. Upload the file again to see what is still new."
    return "This preview expired; upload the file again."


def _plan_to_json(plan: ImportPlan) -> dict[str, Any]:
    data = dataclasses.asdict(plan)
    for row in data["rows"]:
        if row["received_at"] is not None:
            row["received_at"] = row["received_at"].isoformat()
    return data


def _plan_from_json(data: dict[str, Any]) -> ImportPlan:
    rows = [
        ImportRow(
            **{
                **row,
                "status": RowStatus(row["status"]),
                "donor": DonorDetails(**row["donor"]),
                "received_at": row["received_at"] and datetime.fromisoformat(row["received_at"]),
            }
        )
        for row in data["rows"]
    ]
    return ImportPlan(**{**data, "rows": rows})


def _is_erased_donor(donor: dict[str, Any], emails: set[str], names: set[str]) -> bool:
    """Whether a staged row is the erased donor's: by email, or by name where the row
    has no email (a name beside another email is a namesake)."""
    email, name = donor.get("email"), donor.get("name")
    if email:
        return email.strip().casefold() in emails
    return bool(name) and name.strip().casefold() in names


def on_donor_erased(_app: object, *, erasure: Erasure, **_: object) -> dict[str, int]:
    """On the ledger's ``donor_erased``: staged rows of the erased donor (previews
    waiting for confirmation, or kept a day after) lose the donor's details and the
    row's note, keeping the amount, date and method, so confirming the preview still
    records the gift, anonymously. Returns {"import_rows": rows cleared}."""
    texts = {text.strip().casefold() for text in erasure.texts}
    emails = {text for text in texts if "@" in text}
    names = texts - emails
    cleared = 0
    # Previews live minutes and are deleted a day after they expire: a handful of rows.
    for staged in db.session.scalars(select(StagedImport)):
        # A copy, changed and assigned: the JSON column saves a value unequal to its old one.
        plan = copy.deepcopy(staged.plan)
        hits = [row for row in plan["rows"] if _is_erased_donor(row["donor"], emails, names)]
        for row in hits:
            row["donor"] = dataclasses.asdict(DonorDetails(is_anonymous=True))
            row["note"] = None
        if hits:
            staged.plan = plan
            cleared += len(hits)
    db.session.flush()
    return {"import_rows": cleared}
