"""No import cycles inside ``donation_drive``.

The graph is read from the source (AST), one edge per import that runs when a module
is imported:

- counted: imports at module level, also inside module-level ``if``/``try``/``with``
  blocks and class bodies, since all of these run at import time;
- not counted: imports inside functions (they run when called, once every module is
  loaded) and imports under ``if TYPE_CHECKING:`` (they never run; a cycle there is
  only between annotations, which ``from __future__ import annotations`` leaves as
  strings; type checkers resolve such cycles themselves).

``from package import name`` is an edge to ``package`` (its ``__init__`` runs, or must
already be running) and, when ``name`` is a submodule, to ``package.name`` as well.
The parent packages Python initialises on the way to a module are no edges of their
own: they are always initialised before the module, so they cannot close a cycle the
explicit edges do not show.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import donation_drive

PACKAGE = Path(donation_drive.__file__).parent
ROOT = "donation_drive"


def _module_names() -> dict[str, Path]:
    names = {}
    for path in PACKAGE.rglob("*.py"):
        parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join(parts)] = path
    return names


MODULES = _module_names()


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_time_nodes(body: list[ast.stmt]) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue  # runs when called
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                yield from _import_time_nodes(node.body)
            yield from _import_time_nodes(node.orelse)
        elif isinstance(node, ast.Try | ast.TryStar):
            for block in (node.body, node.orelse, node.finalbody):
                yield from _import_time_nodes(block)
            for handler in node.handlers:
                yield from _import_time_nodes(handler.body)
        elif isinstance(node, ast.With | ast.ClassDef | ast.For | ast.While):
            yield from _import_time_nodes(node.body)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    for _ in range(node.level - 1):
        base.pop()
    return ".".join([*base, node.module] if node.module else base)


def import_graph() -> dict[str, set[str]]:
    """Module → the ``donation_drive`` modules it imports at import time."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        edges: set[str] = set()
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in _import_time_nodes(tree.body):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                source = _resolve(module, path.name == "__init__.py", node)
                targets = [source, *(f"{source}.{alias.name}" for alias in node.names)]
            edges.update(t for t in targets if t in MODULES and t != module)
        graph[module] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each
    sorted, the list sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_graph_is_read_from_the_whole_package():
    graph = import_graph()
    assert len(graph) > 50
    assert {"donation_drive.extensions", "donation_drive.models"} <= graph["donation_drive.leases"]
    # ``from .reconcile import x`` is an edge to the package.
    assert "donation_drive.reconcile" in graph["donation_drive.jobs"]
    # A relative import of a submodule is an edge to it (and to its package).
    assert {"donation_drive.admin.blueprint"} <= graph["donation_drive.admin.navigation"]


def test_no_import_cycles_inside_the_package():
    assert cycles(import_graph()) == []


def first_level(module: str) -> str:
    """``donation_drive.admin.auth.views`` → ``donation_drive.admin``."""
    return ".".join(module.split(".")[:2])


def test_no_import_cycles_between_the_first_level_packages():
    # Coarser: admin may use reconcile, or reconcile admin, not both.
    graph: dict[str, set[str]] = {}
    for module, edges in import_graph().items():
        part = first_level(module)
        graph.setdefault(part, set()).update(
            first_level(e) for e in edges if first_level(e) != part
        )
    assert cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert cycles(graph) == [["a", "b", "c"]]


def test_imports_inside_functions_and_under_type_checking_are_not_edges(tmp_path: Path):
    source = (
        "from typing import TYPE_CHECKING\n"
        "from . import extensions\n"
        "if TYPE_CHECKING:\n"
        "    from .models import Drive\n"
        "try:\n"
        "    from . import errors\n"
        "except ImportError:\n"
        "    pass\n"
        "def later():\n"
        "    from . import ledger\n"
    )
    nodes = list(_import_time_nodes(ast.parse(source).body))
    names = [alias.name for node in nodes for alias in node.names]
    assert names == ["TYPE_CHECKING", "extensions", "errors"]
