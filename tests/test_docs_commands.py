"""The shell commands shown in README.md and docs/*.md are real.

Every fenced ``sh``/``bash``/``shell``/``console`` block is read (in a ``console``
block only the ``$ `` lines are commands). Each ``donation-drive ...`` command is
checked against the CLI's own command tree without being run: the command exists and
takes the options and arguments shown. Each ``make TARGET`` names a Makefile target.

A block marked safe to run, by this HTML comment on the line before its fence (GitHub
does not render it), is also run: each command in its own bash, from the repository's
root (so ``.venv/bin/...`` and ``bench/...`` resolve), with a temporary instance folder,
a fresh migrated database and the Stripe emulator, and every command must exit 0:

    <!-- docs-test: run -->
    ```sh
    donation-drive db upgrade
    ```

Mark only blocks that finish quickly and touch nothing outside that folder and
database: no servers, no network beyond the emulator, no ``/opt`` paths. A command's
``export`` lasts for that command only; the test sets ``DATABASE_URL``,
``DONATION_DRIVE_INSTANCE_PATH``, ``STRIPE_API_BASE`` and ``ADMIN_PASSWORD`` itself.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from flask import Flask
from flask.cli import ScriptInfo
from markdown_it import MarkdownIt

from donation_drive.cli import cli_group

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_LANGUAGES = {"sh", "bash", "shell", "console"}
RUN_MARKER = "<!-- docs-test: run -->"
CONTROL_OPERATORS = {"&&", "||", ";", "|", "&"}
# What the docs' admin commands would prompt for.
ADMIN_PASSWORD = "docs-test-password-0123"


@dataclass(frozen=True)
class Block:
    document: str  # relative to the repository
    line: int  # of the fence, 1-based
    language: str
    text: str
    runnable: bool


@dataclass(frozen=True)
class Command:
    document: str
    line: int  # where the command starts, 1-based
    text: str  # continuation lines joined, comment and prompt removed

    def __str__(self) -> str:
        return f"{self.document}:{self.line}: {self.text}"

    def simple_commands(self) -> list[list[str]]:
        """The command's words, split at ``&&``, ``;``, ``|`` and the like, without
        leading ``NAME=value`` assignments."""
        lexer = shlex.shlex(self.text, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        commands: list[list[str]] = [[]]
        for word in lexer:
            if word in CONTROL_OPERATORS:
                commands.append([])
            elif commands[-1] or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", word):
                commands[-1].append(word)
        return [words for words in commands if words]


def shell_blocks(path: Path) -> Iterator[Block]:
    tokens = MarkdownIt("commonmark").parse(path.read_text())
    for previous, token in zip([None, *tokens], tokens, strict=False):
        language = token.info.split()[0] if token.info.strip() else ""
        if token.type != "fence" or language not in SHELL_LANGUAGES:
            continue
        marked = (
            previous is not None
            and previous.type == "html_block"
            and previous.content.strip() == RUN_MARKER
        )
        yield Block(
            document=str(path.relative_to(ROOT)),
            line=token.map[0] + 1,
            language=language,
            text=token.content,
            runnable=marked,
        )


def commands_of(block: Block) -> list[Command]:
    commands: list[Command] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(block.text.splitlines(), start=block.line + 1):
        line = raw.rstrip()
        if not pending:
            if block.language == "console":
                if not line.startswith("$ "):
                    continue  # the command's output
                line = line[2:]
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            start = number
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        text = " ".join(part.strip() for part in [*pending, line])
        pending = []
        words = shlex.split(text, comments=True)  # drops a trailing "# comment"
        if words:
            commands.append(Command(block.document, start, shlex.join(words)))
    return commands


BLOCKS = [block for path in DOCUMENTS for block in shell_blocks(path)]
COMMANDS = [command for block in BLOCKS for command in commands_of(block)]
RUNNABLE = [block for block in BLOCKS if block.runnable]


def _is_donation_drive(words: list[str]) -> bool:
    return Path(words[0]).name == "donation-drive"


def _shown(kind: str) -> list[object]:
    """``(command, words)`` for every simple command of this kind in the docs."""
    found = []
    for command in COMMANDS:
        for words in command.simple_commands():
            if (kind == "cli" and _is_donation_drive(words)) or (
                kind == "make" and words[0] == "make"
            ):
                found.append(pytest.param(command, words, id=str(command)))
    return found


def check_against_cli(root: click.Group, info: ScriptInfo, words: list[str]) -> None:
    """Raise ``click.UsageError`` unless ``words`` (after the program name) name a
    command of ``root`` and give it options and arguments it takes. Nothing runs:
    click parses the words exactly as it would before calling the command."""
    context = click.Context(root, info_name="donation-drive", obj=info)
    command: click.Command = root
    args = list(words)
    while isinstance(command, click.Group):
        if not args:
            raise click.UsageError("a group is shown without a command", context)
        name, found, args = command.resolve_command(context, args)
        assert found is not None  # resolve_command raised NoSuchCommand otherwise
        command = found
        context = click.Context(command, info_name=name, parent=context)
    command.parse_args(context, args)


def test_the_docs_show_commands_at_all():
    assert any(_is_donation_drive(words) for c in COMMANDS for words in c.simple_commands())
    assert RUNNABLE, f"no block is marked {RUN_MARKER}"


@pytest.mark.parametrize(("command", "words"), _shown("cli"))
def test_every_donation_drive_command_shown_is_real(
    app: Flask, monkeypatch: pytest.MonkeyPatch, command: Command, words: list[str]
):
    monkeypatch.setenv("ADMIN_PASSWORD", ADMIN_PASSWORD)  # `admin create` prompts otherwise
    info = ScriptInfo(create_app=lambda: app)
    try:
        check_against_cli(cli_group(), info, words[1:])
    except click.UsageError as error:
        pytest.fail(f"{command}\n  {error.format_message()}")


def _make_targets() -> set[str]:
    makefile = (ROOT / "Makefile").read_text()
    return set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", makefile, flags=re.MULTILINE))


@pytest.mark.parametrize(("command", "words"), _shown("make"))
def test_every_make_target_shown_exists(command: Command, words: list[str]):
    targets = [word for word in words[1:] if not word.startswith("-") and "=" not in word]
    missing = set(targets) - _make_targets()
    assert not missing, f"{command}\n  no such Makefile target: {', '.join(sorted(missing))}"


@pytest.mark.parametrize("block", RUNNABLE, ids=lambda block: f"{block.document}:{block.line}")
def test_blocks_marked_safe_run_and_exit_0(
    block: Block, database_url: str, localstripe_base: str, tmp_path: Path
):
    environment = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "DONATION_DRIVE_ENV": "development",
        "DATABASE_URL": database_url,
        "DONATION_DRIVE_INSTANCE_PATH": str(tmp_path / "instance"),
        "STRIPE_API_BASE": localstripe_base,
        "ADMIN_PASSWORD": ADMIN_PASSWORD,
        "LOG_FORMAT": "text",
    }
    failures = []
    for command in commands_of(block):
        finished = subprocess.run(
            ["bash", "-o", "pipefail", "-c", command.text],
            cwd=ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if finished.returncode != 0:
            failures.append(
                f"{command}\n  exit {finished.returncode}: {finished.stderr.strip()[-1500:]}"
            )
    assert not failures, "\n".join(failures)
