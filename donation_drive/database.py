"""Small database helpers that must behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import time

from sqlalchemy import Engine, Table, event, exc
from sqlalchemy.dialects import postgresql, sqlite
from tenacity import retry, retry_if_exception, stop_after_attempt

from .extensions import db


def is_database_busy(error: BaseException) -> bool:
    """SQLite refused a statement because another connection held the file
    ("database is locked"): the same statement may well pass a moment later."""
    return isinstance(error, exc.OperationalError) and "locked" in str(error)


# Run again, five tries in all, while a busy SQLite file refuses the work; no pause
# in between, since SQLite's busy timeout (below) already waited inside each try.
retry_while_busy = retry(
    retry=retry_if_exception(is_database_busy), stop=stop_after_attempt(5), reraise=True
)


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


# A pooled connection that sat unused this long is pinged before it is handed out;
# one in steady use is not (see ``_ping_idle_connections``).
PING_AFTER_IDLE_SECONDS = 1.0


def configure_engine_events(engine: Engine) -> None:
    """PostgreSQL: ping connections that sat idle. SQLite: WAL so readers never block
    the writer, a busy timeout so concurrent writers wait instead of failing, and
    enforced foreign keys."""
    if engine.dialect.name != "sqlite":
        _ping_idle_connections(engine)
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping`` with a cutoff: ping a connection at checkout
    only when it was last returned more than ``PING_AFTER_IDLE_SECONDS`` ago.

    ``pool_pre_ping`` costs a round trip on every checkout, and a webhook delivery
    checks out two or three times. A connection returned a moment ago is as alive
    as a ping would show; and should the server restart under load, the first
    statement that meets a dead connection makes SQLAlchemy discard every pooled
    connection of the process (its disconnect handling), so only the requests in
    flight at that moment fail, as they would with a ping."""

    @event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection, record) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection, record, _proxy) -> None:
        returned_at = record.info.get("returned_at")
        if returned_at is None or time.monotonic() - returned_at < PING_AFTER_IDLE_SECONDS:
            return  # new, or in steady use
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # As a failed pre-ping does: drop this connection and every older one,
            # and let the pool hand out a new connection.
            raise exc.InvalidatePoolError(f"idle connection failed its ping: {error}") from error
