"""The Python package's modules import one way: no module imports another that imports it
back, at load time or inside a function (imports only for type checking do not count)."""

from __future__ import annotations

import ast
from pathlib import Path

import hiili

PACKAGE = Path(hiili.__file__).parent


def _type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)


def _sibling_imports(path: Path) -> set[str]:
    """The modules of the package `path` imports (relative imports at any depth)."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if _type_checking_block(node):
            return
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return found


def _graph() -> dict[str, set[str]]:
    modules = {p.stem: p for p in PACKAGE.glob("*.py") if p.stem != "__init__"}
    return {name: _sibling_imports(path) & modules.keys() for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 on the current path, 2 done

    def walk(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := walk(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := walk(start, [start])):
            return found
    return None


def test_the_package_has_no_import_cycle():
    graph = _graph()
    assert {"lca", "analysis", "scenario", "result", "plots", "_common"} <= graph.keys()
    assert _cycle(graph) is None, " -> ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_one():
    assert _cycle({"lca": {"analysis"}, "analysis": {"plots", "lca"}, "plots": set()}) == [
        "analysis",
        "lca",
        "analysis",
    ]
    assert _cycle({"lca": {"analysis"}, "analysis": {"plots"}, "plots": set()}) is None


def test_analysis_keeps_its_public_names():
    from hiili import analysis, scenario

    assert analysis.Scenario is scenario.Scenario is hiili.Scenario
    assert analysis.what_if is scenario.what_if
    assert analysis.WhatIf is scenario.WhatIf
    assert hiili.lca.Result is hiili.Result
