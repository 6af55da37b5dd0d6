"""Nothing imports back into the ledger: it depends on the models and the database
helpers only, and its callers (the outbox, webhooks, checkout, admin, the widget,
reconciliation, metrics) learn what happened from its signals."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import donation_drive.ledger

from ..test_import_graph import import_graph

LEDGER = Path(donation_drive.ledger.__file__).parent
# What the ledger may use of the rest of the package.
ALLOWED = {"errors", "extensions", "models", "database", "ledger"}
CALLERS = (
    "admin",
    "checkout",
    "cli",
    "cli_errors",
    "demo",
    "devserver",
    "ledger_commands",
    "emails",
    "jobs",
    "observability",
    "reconcile",
    "providers",
    "webhooks",
    "widget",
)


def _package_imports(path: Path) -> set[str]:
    """The first-level ``donation_drive`` modules a ledger module imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:  # from .x import ...: inside the ledger
                found.add("ledger")
            elif node.level == 2:  # from ..x import ...
                found.add(module.split(".")[0] if module else "")
            elif module.startswith("donation_drive"):
                found.add(module.split(".")[1] if "." in module else "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("donation_drive."):
                    found.add(alias.name.split(".")[1])
    return found


def test_the_ledger_imports_only_models_and_database_helpers():
    modules = sorted(LEDGER.rglob("*.py"))
    assert len(modules) > 5
    imported = {path.name: _package_imports(path) - ALLOWED for path in modules}
    assert {name: found for name, found in imported.items() if found} == {}


def test_loading_the_ledger_loads_none_of_its_callers():
    # In a fresh interpreter: what the ledger pulls in, directly or not.
    # (``donation_drive/__init__`` itself loads the app wiring, observability included.)
    script = (
        "import sys, donation_drive.ledger; "
        "print(' '.join(sorted({m.split('.')[1] for m in sys.modules "
        "if m.startswith('donation_drive.')})))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    assert "ledger" in loaded
    assert sorted(set(loaded) & set(CALLERS) - {"observability"}) == []


# Never reached from the ledger, directly or through any module it imports.
NEVER_REACHED = ("emails", "webhooks", "checkout", "admin", "widget", "providers")


def reached_from(graph: dict[str, set[str]], prefix: str) -> dict[str, str]:
    """Every module an import-time chain leads to from the modules under ``prefix``,
    with the module under ``prefix`` the chain starts at."""
    reached: dict[str, str] = {}
    todo = [(m, m) for m in graph if m == prefix or m.startswith(prefix + ".")]
    while todo:
        module, origin = todo.pop()
        for target in graph[module]:
            if target not in reached:
                reached[target] = origin
                todo.append((target, origin))
    return reached


def _callers(reached: dict[str, str]) -> dict[str, str]:
    return {m: origin for m, origin in reached.items() if m.split(".")[1] in NEVER_REACHED}


def test_no_chain_of_imports_leads_from_the_ledger_to_its_callers():
    graph = import_graph()
    reached = reached_from(graph, "donation_drive.ledger")
    assert "donation_drive.models" in reached
    assert _callers(reached) == {}


def test_the_chain_check_finds_a_chain_where_there_is_one():
    # The admin imports the ledger and the providers: the same walk from it sees both.
    reached = reached_from(import_graph(), "donation_drive.admin")
    assert "donation_drive.ledger" in reached
    assert any(m.startswith("donation_drive.providers") for m in _callers(reached))
