"""A CSV import between its preview and its confirmation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .types import UTCDateTime, utcnow


class StagedImport(db.Model):
    """The rows of a previewed import, kept in the database so that whichever instance
    takes the confirmation imports exactly what the admin saw, once.

    The key is the SHA-256 of the random token on the admin's preview page, so the
    table alone does not let anyone confirm an import.
    """

    __tablename__ = "staged_imports"
    __table_args__ = (Index("ix_staged_imports_expires", "expires_at"),)

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    drive_id: Mapped[int] = mapped_column(ForeignKey("drives.id"))
    admin_id: Mapped[int] = mapped_column(ForeignKey("admin_users.id"))
    filename: Mapped[str] = mapped_column(String(200))
    send_receipts: Mapped[bool] = mapped_column(Boolean)
    plan: Mapped[dict] = mapped_column(JSON)  # the ImportPlan as previewed
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
