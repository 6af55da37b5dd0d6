"""`donation-drive` commands refuse an unreachable database or a schema behind the
migrations with a message saying what to do, never a traceback; `db ...` commands
still work so the operator can fix it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from donation_drive.extensions import db

from .conftest import unreachable_database_urls


@pytest.mark.parametrize(
    "args",
    [
        ["drive", "list"],
        ["demo"],
        ["donation", "add", "--drive", "x", "--amount", "5", "--method", "check"],
        ["send-emails"],
        ["reconcile"],
        ["resend-receipt", "1"],
        ["admin", "create", "ops@example.org", "--password", "x" * 20],
    ],
)
def test_commands_explain_an_unreachable_database(unreachable_app, args):
    result = unreachable_app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: the database is unreachable")
    assert result.stderr.count("\n") == 1  # one line, where it looked included
    assert "***" in result.output or "sqlite" in result.output  # where it looked
    assert "s3cret-pw" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_commands_explain_a_database_that_was_never_migrated(unmigrated_app):
    runner = unmigrated_app.test_cli_runner()
    result = runner.invoke(args=["drive", "list"])
    assert result.exit_code == 1
    assert "no schema yet: run `donation-drive db upgrade`" in result.output

    upgraded = runner.invoke(args=["db", "upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    assert runner.invoke(args=["drive", "list"]).exit_code == 0


def test_commands_explain_a_schema_behind_the_code(app, runner, drive):
    with db.engine.begin() as connection:
        connection.execute(text("DELETE FROM alembic_version"))
    result = runner.invoke(args=["drive", "list"])
    assert result.exit_code == 1
    assert "db upgrade" in result.output
    assert "eoy" not in result.output  # the command itself never ran


def test_commands_run_when_the_schema_is_at_the_head(runner, drive):
    result = runner.invoke(args=["drive", "list"])
    assert result.exit_code == 0, result.output
    assert "eoy" in result.output


def test_help_needs_no_database(unreachable_app):
    result = unreachable_app.test_cli_runner().invoke(args=["drive", "create", "--help"])
    assert result.exit_code == 0
    assert "--goal" in result.output


def test_db_commands_are_not_checked(unmigrated_app):
    result = unmigrated_app.test_cli_runner().invoke(args=["db", "current"])
    assert result.exit_code == 0, result.output


def test_console_script_prints_one_clear_line_for_an_unreachable_database(tmp_path: Path):
    environment = dict(os.environ)
    environment.update(
        DONATION_DRIVE_ENV="development",
        DATABASE_URL=unreachable_database_urls(tmp_path)["postgresql"],
    )
    result = subprocess.run(
        [str(Path(sys.executable).parent / "donation-drive"), "drive", "list"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("Error: the database is unreachable")
    assert "Traceback" not in result.stderr
    assert "s3cret-pw" not in result.stderr
