"""alpha_core's layers, read from the source with ``ast`` (imports inside functions count).

A node is the first component after ``alpha_core.`` (``alpha_core/training/trainer.py`` ->
``training``; a top-level module such as ``alpha_core/batch.py`` is its own node ``batch``).
Rules: no cycle between nodes; ``models`` imports nothing from ``training``; the data layers
(``data``, ``factors``, ``graph``, ``macro``) import nothing from ``models``, ``training``,
``portfolio``.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "alpha_core"
DATA_LAYERS = ("data", "factors", "graph", "macro")
UPPER = ("models", "training", "portfolio")


def _node(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "alpha_core" or len(parts) < 2:
        return None
    return parts[1]


def _node_of_file(path: Path) -> str:
    rel = path.relative_to(ROOT)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = path.relative_to(ROOT.parent).with_suffix("").parts  # ("alpha_core", "training", "run")
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this file's package
                base = list(here[: len(here) - node.level])
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            out.add(module)
            if module == "alpha_core":  # ``from alpha_core import batch``
                out.update(f"alpha_core.{a.name}" for a in node.names)
    return out


def import_graph() -> dict[str, dict[str, set[str]]]:
    """node -> imported node -> the files (relative to alpha_core/) that import it."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in sorted(ROOT.rglob("*.py")):
        src = _node_of_file(path)
        if src == "__init__":
            continue
        graph[src]  # noqa: B018 - every node, even one that imports nothing
        for module in _imported_modules(path):
            dst = _node(module)
            if dst is not None and dst != src and dst != "__init__":
                graph[src][dst].add(str(path.relative_to(ROOT)))
    return graph


GRAPH = import_graph()


def _cycle(graph: dict[str, dict[str, set[str]]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(n: str) -> list[str] | None:
        state[n] = 1
        stack.append(n)
        for m in sorted(graph.get(n, {})):
            if state.get(m) == 1:
                return stack[stack.index(m) :] + [m]
            if m not in state and (found := visit(m)) is not None:
                return found
        stack.pop()
        state[n] = 2
        return None

    for n in sorted(graph):
        if n not in state and (found := visit(n)) is not None:
            return found
    return None


def _edges(src: str, dst: str) -> str:
    return f"{src} -> {dst} in {sorted(GRAPH[src].get(dst, ()))}"


def test_the_graph_sees_the_packages():
    assert {"models", "training", "data", "factors", "graph", "macro", "portfolio"} <= set(GRAPH)
    assert "models" in GRAPH["training"]  # training builds and trains the models


def test_no_cycle_between_packages():
    cycle = _cycle(GRAPH)
    assert cycle is None, (
        "import cycle " + " -> ".join(cycle) + ": " + "; ".join(_edges(a, b) for a, b in zip(cycle, cycle[1:]))
    )


def test_models_import_nothing_from_training():
    assert "training" not in GRAPH["models"], _edges("models", "training")


@pytest.mark.parametrize("layer", DATA_LAYERS)
def test_data_layers_import_no_model_training_or_portfolio_code(layer):
    bad = [_edges(layer, up) for up in UPPER if up in GRAPH[layer]]
    assert not bad, bad
