"""How ``donation-drive`` starts (docs/benchmarks.md, CLI start-up): building the app
leaves the slow imports that only some commands or requests need for later; ``--help``
lists the commands without building the app; a command that serves no page builds it
without its web side; only the ``db`` commands and upgrades bind Flask-Migrate (and so
import Alembic). None of this may change what a command does or what ``--help`` says."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import click
from alembic.script import ScriptDirectory
from click.testing import CliRunner
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo
from sqlalchemy import create_engine, text

from donation_drive import create_app, schema
from donation_drive.cli import COMMANDS, SERVES_PAGES, cli_group

# Imported by the functions that use them, never at start-up.
DEFERRED = {
    "stripe": "providers.stripe, on the first call to Stripe",
    "prometheus_client": "observability.metrics(), on the first metric bumped or scraped",
    "apscheduler": "jobs.Worker, when a worker starts",
    "alembic": "schema.bind_migrations, for the db commands and upgrades",
}

BUILD_APP = """
import json, sys
from donation_drive import create_app

create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=sys.argv[1])
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})))
"""


def test_building_the_app_imports_none_of_the_deferred_modules(tmp_path: Path):
    finished = subprocess.run(
        [sys.executable, "-c", BUILD_APP, str(tmp_path / "instance")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    imported = set(json.loads(finished.stdout.splitlines()[-1]))
    early = {name: why for name, why in DEFERRED.items() if name in imported}
    assert not early, f"imported at start-up, but meant for later: {early}"


CONSOLE_SCRIPT = str(Path(sys.executable).with_name("donation-drive"))

# Runs the console script's entry point, then prints the top-level packages and the
# package's own modules that the command imported.
RUN_AND_LIST_IMPORTS = """
import json, sys
from donation_drive.cli import main
sys.argv = ["donation-drive", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imports_of(*args: str, env: dict[str, str] | None = None) -> set[str]:
    finished = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_IMPORTS, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=True,
    )
    report = json.loads(finished.stdout.splitlines()[-1])
    assert report["code"] in (0, None), finished.stdout + finished.stderr
    return set(report["modules"])


def command_env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DONATION_DRIVE_INSTANCE_PATH": str(tmp_path / "instance"),
    }


def test_help_says_what_flasks_own_group_says_after_building_the_app(app: Flask):
    flask_help = CliRunner().invoke(
        FlaskGroup(create_app=lambda: app, help="Donation Drive."), ["--help"]
    )
    our_help = CliRunner().invoke(cli_group(), ["--help"])
    assert flask_help.exit_code == our_help.exit_code == 0, our_help.output
    assert our_help.output == flask_help.output


def test_the_listed_commands_are_the_apps_and_flasks(app: Flask):
    group = FlaskGroup(create_app=lambda: app)
    context = click.Context(group, obj=ScriptInfo(create_app=lambda: app))
    assert sorted(COMMANDS) == group.list_commands(context)
    assert set(COMMANDS) >= SERVES_PAGES


def test_help_imports_none_of_the_app():
    imported = imports_of("--help")
    assert "donation_drive.extensions" not in imported
    assert not {"sqlalchemy", "alembic", "flask_limiter"} & imported


def test_a_command_serving_no_page_leaves_out_the_web_side_and_alembic(
    database_url: str, tmp_path: Path
):
    imported = imports_of("drive", "list", env=command_env(database_url, tmp_path))
    assert "donation_drive.ledger_commands" in imported
    views = {"donation_drive.web", "donation_drive.admin.blueprint", "donation_drive.widget.views"}
    assert not views & imported
    assert "alembic" not in imported


def test_the_app_without_its_web_side_has_the_same_commands_and_no_blueprints(app: Flask):
    cli_app = create_app(
        {"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]},
        instance_path=app.instance_path,
        web=False,
    )
    context = click.Context(cli_app.cli)
    assert cli_app.cli.list_commands(context) == app.cli.list_commands(context)
    assert app.blueprints
    assert not cli_app.blueprints


def test_a_gift_recorded_by_the_console_script_queues_its_receipt(
    database_url: str, tmp_path: Path
):
    """The ledger's receivers are connected in the app a command builds without its
    web side: the receipt is queued in the same transaction as the gift."""
    env = command_env(database_url, tmp_path)
    create = [CONSOLE_SCRIPT, "drive", "create", "--slug", "startup", "--title", "Start-up"]
    create += ["--goal", "1000", "--starts", "2026-01-01", "--ends", "2099-12-31"]
    add = [CONSOLE_SCRIPT, "donation", "add", "--drive", "startup", "--amount", "25.00"]
    add += ["--method", "check", "--email", "donor@example.org", "--name", "Ada"]
    for command in (create, add):
        finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert finished.returncode == 0, finished.stdout + finished.stderr
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            queued = connection.execute(text("SELECT kind, to_address FROM outbox_emails")).all()
    finally:
        engine.dispose()
    assert [tuple(row) for row in queued] == [("receipt", "donor@example.org")]


def test_db_commands_bind_flask_migrate_when_used(database_url: str, tmp_path: Path):
    finished = subprocess.run(
        [CONSOLE_SCRIPT, "db", "current"],
        env=command_env(database_url, tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stderr
    assert f"{schema.heads()[0]} (head)" in finished.stdout


def test_the_revisions_read_from_the_files_are_alembics():
    script = ScriptDirectory(str(schema.directory()))
    assert schema.heads() == tuple(sorted(script.get_heads()))
    assert schema.revisions() == {
        revision.revision: (
            () if revision.down_revision is None else schema._as_tuple(revision.down_revision)
        )
        for revision in script.walk_revisions()
    }
