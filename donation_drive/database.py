"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db


def insert_ignoring_duplicates(table: Table, values: dict, conflict_columns: list[str]) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING; True when the row was inserted.

    Race-free where check-then-insert is not: two concurrent callers with the same
    key both succeed, and exactly one of them gets True.
    """
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = (
        module.insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=conflict_columns)
    )
    return bool(db.session.execute(stmt).rowcount)


def configure_engine_events(engine) -> None:
    """SQLite: WAL so readers never block the writer, a busy timeout so concurrent
    writers wait instead of failing, and enforced foreign keys."""
    if engine.dialect.name != "sqlite":
        return
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
