"""docs/ARCHITECTURE.md draws the real asset graph.

The Mermaid ``flowchart`` block of the doc is compared with the Definitions that
``alpha_dagster.definitions.build_definitions`` builds (synthetic market, ALPHA_HOME in a temp
dir): every asset is a node whose label names its partitioning, every drawn edge ``a --> b`` is
a real dependency of ``b`` on ``a``, every real dependency is drawn, and an edge's label is the
partition mapping (none for identity / whole-table reads). One more rule the doc states is
checked here: ``alpha_core`` never imports dagster.

The same code prints the graph and a fresh Mermaid block (paste it into the doc when the graph
changes)::

    .venv/bin/python tests/test_architecture_doc.py            # listing + Mermaid block
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "ARCHITECTURE.md"
GROUP_ORDER = ("data", "features", "graphs", "models", "portfolio", "rebalance")


@dataclass(frozen=True)
class AssetNode:
    key: str
    group: str
    partitions: str  # monthly | fold x model | model | strategy | blend | unpartitioned
    upstream: dict[str, str | None]  # upstream key -> mapping label (None: identity / whole table)


# ----------------------------------------------------------------------------------------------
# The real graph
# ----------------------------------------------------------------------------------------------


def _partition_kind(pdef, specs) -> str:
    import dagster as dg

    from alpha_dagster.definitions import BLEND, preset_strategies, r1_models, r2_r3_models, strategy_key

    if pdef is None:
        return "unpartitioned"
    if isinstance(pdef, dg.TimeWindowPartitionsDefinition):
        return "monthly" if isinstance(pdef, dg.MonthlyPartitionsDefinition) else f"time window {pdef.cron_schedule}"
    if isinstance(pdef, dg.MultiPartitionsDefinition):
        return " x ".join(d.name for d in pdef.partitions_defs)
    keys = set(pdef.get_partition_keys())
    if keys == {*r1_models(specs), *r2_r3_models(specs)}:
        return "model"
    if keys == {strategy_key(m, p) for m, p in preset_strategies(specs)}:
        return "strategy"
    if keys == {BLEND}:
        return "blend"
    return f"static {sorted(keys)}"


def _months(n: int) -> str:
    return f"{n} month" + ("s" if n != 1 else "")


def _mapping_label(mapping, down_kind: str, up_kind: str) -> str | None:
    """What a downstream partition reads of the upstream, in words (None: the same partition,
    or the whole of an unpartitioned table)."""
    import dagster as dg

    if up_kind == "unpartitioned":
        return None
    if mapping is None:
        if down_kind == up_kind:
            return None
        if down_kind == "unpartitioned":
            return "all"
        return f"default {up_kind} -> {down_kind}"
    if isinstance(mapping, dg.TimeWindowPartitionMapping):
        start, end = mapping.start_offset, mapping.end_offset
        if end == 0 and start < 0:
            return f"lookback {_months(-start)}"
        if start == 0 and end > 0:
            return f"lead {_months(end)}"
        if start == end == -1:
            return "previous month"
        if start == end == 0:
            return None
        return f"months {start:+d}..{end:+d}"
    if isinstance(mapping, dg.AllPartitionMapping):
        return "all"
    if isinstance(mapping, dg.MultiToSingleDimensionPartitionMapping):
        return f"by {mapping.partition_dimension_name}"
    if isinstance(mapping, dg.StaticPartitionMapping):
        return f"by {up_kind}"
    if isinstance(mapping, dg.IdentityPartitionMapping):
        return None
    if isinstance(mapping, dg.LastPartitionMapping):
        return "last"
    return type(mapping).__name__


def build_defs(home: str | Path | None = None):
    """The project's Definitions on the default synthetic market, ALPHA_HOME = ``home`` (a new
    temp dir when None)."""
    from alpha_core.settings import Settings
    from alpha_dagster.definitions import build_definitions

    home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="archdoc_"))
    return build_definitions(Settings(data="synthetic", home=home))


def asset_graph(defs) -> list[AssetNode]:
    """Every asset of ``defs`` (definition order) with its partitioning and upstream mappings."""
    import dagster as dg

    from alpha_core.training.specs import MODEL_SPECS

    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    kinds = {k: _partition_kind(a.partitions_def, MODEL_SPECS) for a in assets for k in a.keys}
    nodes = []
    for a in assets:
        for key in a.keys:
            explicit = {d.asset_key: d.partition_mapping for s in a.specs if s.key == key for d in s.deps}
            upstream = {}
            for up in sorted(a.asset_deps[key], key=lambda k: k.to_user_string()):
                up_kind = kinds.get(up, "external")
                upstream[up.to_user_string()] = _mapping_label(explicit.get(up), kinds[key], up_kind)
            nodes.append(AssetNode(key.to_user_string(), a.group_names_by_key[key], kinds[key], upstream))
    return nodes


def real_edges(nodes: list[AssetNode]) -> dict[tuple[str, str], str | None]:
    return {(up, n.key): label for n in nodes for up, label in n.upstream.items()}


def mermaid(nodes: list[AssetNode]) -> str:
    """A ``flowchart LR`` block of ``nodes``: one subgraph per asset group, edges labelled with
    their partition mapping where it is not identity."""
    lines = ["flowchart LR"]
    groups = sorted({n.group for n in nodes}, key=lambda g: (GROUP_ORDER.index(g) if g in GROUP_ORDER else 99, g))
    for g in groups:
        lines.append(f"  subgraph grp_{g} [{g}]")
        for n in nodes:
            if n.group == g:
                lines.append(f'    {n.key}["{n.key}<br/><i>{n.partitions}</i>"]')
        lines.append("  end")
    for n in nodes:
        for up, label in n.upstream.items():
            lines.append(f"  {up} -->|{label}| {n.key}" if label else f"  {up} --> {n.key}")
    return "\n".join(lines)


# ----------------------------------------------------------------------------------------------
# The doc's graph
# ----------------------------------------------------------------------------------------------

NODE_RE = re.compile(r'^\s*(\w+)\s*(?:\[\(|\(\[|\[\[|\(\(|\[|\(|\{)"?(.*?)"?(?:\)\]|\]\)|\]\]|\)\)|\]|\)|\})\s*$')
EDGE_RE = re.compile(r"^\s*(\w+)\s*(?:-->\s*\|([^|]*)\|\s*|--\s*([^>]*?)\s*-->\s*|-->\s*)(\w+)\s*$")
SKIP_RE = re.compile(r"^\s*(flowchart|graph|subgraph|end\b|classDef|class\b|style|linkStyle|%%|click)")


def doc_mermaid(text: str) -> str:
    blocks = re.findall(r"```mermaid\n(.*?)```", text, flags=re.S)
    flow = [b for b in blocks if b.lstrip().startswith("flowchart")]
    assert len(flow) == 1, f"{DOC} must hold exactly one Mermaid flowchart block (found {len(flow)})"
    return flow[0]


def parse_mermaid(block: str) -> tuple[dict[str, str], dict[tuple[str, str], str | None]]:
    """(node id -> label, (src, dst) -> edge label or None)."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str | None] = {}
    for raw in block.splitlines():
        line = raw.strip()
        if not line or SKIP_RE.match(line):
            continue
        if m := EDGE_RE.match(line):
            label = (m.group(2) or m.group(3) or "").strip() or None
            edges[(m.group(1), m.group(4))] = label
        elif m := NODE_RE.match(line):
            nodes[m.group(1)] = m.group(2)
        else:
            raise AssertionError(f"unparsed Mermaid line in {DOC.name}: {raw!r}")
    return nodes, edges


def _label_parts(label: str) -> list[str]:
    """``'raw_bars<br/><i>monthly</i>'`` -> ``['raw_bars', 'monthly']``."""
    return [re.sub(r"<[^>]+>", "", part).strip() for part in re.split(r"<br\s*/?>", label)]


# ----------------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real(tmp_path_factory) -> list[AssetNode]:
    return asset_graph(build_defs(tmp_path_factory.mktemp("alpha_home")))


@pytest.fixture(scope="module")
def drawn() -> tuple[dict[str, str], dict[tuple[str, str], str | None]]:
    return parse_mermaid(doc_mermaid(DOC.read_text(encoding="utf-8")))


def test_every_asset_is_drawn_with_its_partitioning(real, drawn):
    nodes, _ = drawn
    keys = {n.key for n in real}
    assert not keys - set(nodes), f"assets missing from the doc's graph: {sorted(keys - set(nodes))}"
    assert not set(nodes) - keys, f"the doc's graph draws assets that do not exist: {sorted(set(nodes) - keys)}"
    wrong = [
        f"{n.key}: drawn {nodes[n.key]!r}, partitioned {n.partitions!r}"
        for n in real
        if _label_parts(nodes[n.key]) != [n.key, n.partitions]
    ]
    assert not wrong, wrong


def test_every_edge_is_a_real_dependency_and_every_dependency_is_drawn(real, drawn):
    _, edges = drawn
    actual = real_edges(real)
    ghost = sorted(set(edges) - set(actual))
    missing = sorted(set(actual) - set(edges))
    assert not ghost, f"edges in the doc that are no dependency: {ghost}"
    assert not missing, f"dependencies not drawn in the doc: {missing}"


def test_edge_labels_are_the_partition_mappings(real, drawn):
    _, edges = drawn
    wrong = [
        f"{a} --> {b}: drawn {edges[(a, b)]!r}, mapping {label!r}"
        for (a, b), label in real_edges(real).items()
        if (a, b) in edges and edges[(a, b)] != label
    ]
    assert not wrong, wrong


def test_alpha_core_never_imports_dagster():
    """The doc's fourth layer rule (tests/test_import_layers.py checks the other three)."""
    import ast

    root = DOC.parents[1] / "alpha_core"
    bad = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            )
            bad += [
                f"{path.relative_to(root.parent)}:{node.lineno} imports {n}"
                for n in names
                if n.split(".")[0].startswith("dagster")
            ]
    assert not bad, bad


def main() -> int:
    home = tempfile.mkdtemp(prefix="archdoc_")
    os.environ["ALPHA_HOME"] = home  # this process only: nothing is written outside the temp dir
    nodes = asset_graph(build_defs(home))
    for n in nodes:
        ups = ", ".join(f"{u} [{lab}]" if lab else u for u, lab in n.upstream.items()) or "-"
        sys.stdout.write(f"{n.key:18s} {n.group:10s} {n.partitions:14s} <- {ups}\n")
    sys.stdout.write("\n```mermaid\n" + mermaid(nodes) + "\n```\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
