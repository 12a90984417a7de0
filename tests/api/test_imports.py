"""The API package's import rule: every import at the top of its module, and no cycle between modules.

A cycle is what made imports move into functions (the portfolio read several areas that imported
it back); the read models that span areas live in their own modules instead (`app/api/portfolio.py`).
"""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
API = APP / "api"
# Where an import may wait, each for its reason: the CLI and the bench import per command what only
# that command needs (the bench's optional profiler among it), so that `fcio --help` stays quick;
# the embedded servers are imported only when no server URL is set, after silencing their warnings.
PER_COMMAND = {APP / "cli.py", APP / "db" / "embedded.py", *(APP / "bench").rglob("*.py")}


def module_name(path: Path) -> str:
    parts = path.relative_to(API.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path = API) -> dict[str, ast.Module]:
    return {module_name(p): ast.parse(p.read_text(), str(p)) for p in sorted(root.rglob("*.py")) if p not in PER_COMMAND}


def imported(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The app.api modules `name` imports at its top level (`from app.api import ids` names a module)."""
    found = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            base = node.module if node.level == 0 else ".".join(name.split(".")[: -node.level] + [node.module])
            found.add(base)
            found |= {f"{base}.{a.name}" for a in node.names}
    # A module's own packages are initialised before it runs: importing from them closes no cycle.
    return {m for m in found if m in known and name != m and not name.startswith(m + ".")}


def nested_imports(tree: ast.Module) -> list[int]:
    """Line numbers of imports anywhere but the module's top level (functions, classes, if blocks)."""
    top = {id(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)}
    return [node.lineno for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in top]


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of the graph, or None."""
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt]
            if nxt not in state and (found := visit(nxt, path + [nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_every_import_is_at_the_top_of_its_module():
    """In the API and in every area below it (the areas no longer import each other back either)."""
    nested = {name: lines for name, tree in modules(APP).items() if (lines := nested_imports(tree))}
    assert nested == {}


def test_no_module_of_the_api_imports_itself_back():
    trees = modules()
    graph = {name: imported(name, tree, set(trees)) for name, tree in trees.items()}
    assert cycle(graph) is None, " -> ".join(cycle(graph))


def test_the_scan_sees_a_cycle_and_a_nested_import():
    """The checks above can fail: a two-module cycle and an import in a function are found."""
    assert cycle({"a": {"b"}, "b": {"a"}}) in (["a", "b", "a"], ["b", "a", "b"])
    assert nested_imports(ast.parse("import os\ndef f():\n    import sys\n")) == [3]
    assert imported("app.api.x", ast.parse("from app.api import ids\nfrom app.api.y import z\n"),
                    {"app.api.ids", "app.api.y", "app.api.x"}) == {"app.api.ids", "app.api.y"}
