"""A CSV import between its preview and its confirmation, kept in the database
(``staged_imports``) so that any instance behind the proxy can take the confirmation.

What is kept is the plan the admin saw, every row as it was read, not the file: the
confirming instance records exactly those rows, whatever its settings, the drive's
locale or its parser would make of the file by then. The admin's page carries a
random token; only its SHA-256 is stored. A preview is taken once, by one conditional
UPDATE whose row count says who won, so a double click or two instances confirming at
once import it once. Expiry compares each instance's own clock, as job leases do.
"""

from __future__ import annotations

import dataclasses
import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, select, update

from ...errors import Conflict
from ...extensions import db
from ...ledger import DonorDetails
from ...models import Drive, StagedImport, utcnow
from .csv_import import ImportPlan, ImportRow, RowStatus

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
