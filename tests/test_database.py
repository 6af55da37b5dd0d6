"""The busy-SQLite retry the webhook intake's short writes use: five tries in all,
and only for "database is locked"."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from donation_drive.database import is_database_busy, retry_while_busy

LOCKED = OperationalError("INSERT", {}, Exception("database is locked"))
GONE = OperationalError("INSERT", {}, Exception("server closed the connection"))


def _failing(times: int, error: Exception) -> tuple[list[int], object]:
    calls: list[int] = []

    @retry_while_busy
    def write() -> str:
        calls.append(1)
        if len(calls) <= times:
            raise error
        return "written"

    return calls, write


def test_a_busy_file_is_tried_again_up_to_five_times_in_all():
    calls, write = _failing(4, LOCKED)
    assert write() == "written"
    assert len(calls) == 5

    calls, write = _failing(5, LOCKED)
    with pytest.raises(OperationalError, match="locked"):
        write()
    assert len(calls) == 5


def test_other_errors_are_not_retried():
    calls, write = _failing(1, GONE)
    with pytest.raises(OperationalError, match="server closed"):
        write()
    assert len(calls) == 1
    assert not is_database_busy(ValueError("database is locked"))
