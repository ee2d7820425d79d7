"""build_adjacency dispatches on a table GraphKind -> GraphSpec: a new kind is a builder plus one entry."""

from __future__ import annotations

from enum import StrEnum

import pandas as pd
import pytest

from alpha_core.graph.build import (
    GRAPH_KINDS,
    AdjacencyBuildConfig,
    GraphInputs,
    GraphSpec,
    build_adjacency,
    rebuild_frequency,
)
from alpha_core.graph.edges import EDGE_COLUMNS, GraphKind
from alpha_core.graph.schedule import RebuildFrequency

CAL = pd.bdate_range("2021-01-04", "2021-04-30")
INDUSTRY_MAP = pd.DataFrame(
    {
        "code": ["SH600000", "SH600001", "SZ000001"],
        "start_date": pd.Timestamp("2000-01-01"),
        "end_date": pd.NaT,
        "industry": ["banks", "banks", "coal"],
        "sector": ["financial", "financial", "cyclical"],
    }
)


class ToyKind(StrEnum):
    TOY = "toy"


def _toy_builder(inputs: GraphInputs, dates: pd.DatetimeIndex, config: AdjacencyBuildConfig) -> pd.DataFrame:
    """Per rebuild date the pair (first, last code of the industry map), both directions, weight 0.5."""
    a, b = min(inputs.industry_map["code"]), max(inputs.industry_map["code"])
    return pd.DataFrame(
        {
            "date": dates.repeat(2),
            "graph": str(ToyKind.TOY),
            "src": [a, b] * len(dates),
            "dst": [b, a] * len(dates),
            "weight": 0.5,
        }
    )[EDGE_COLUMNS]


def test_a_temporary_table_with_a_throwaway_kind_builds_its_edges() -> None:
    table = {ToyKind.TOY: GraphSpec(_toy_builder, RebuildFrequency.MONTHLY)}
    edges, skipped = build_adjacency(
        CAL, INDUSTRY_MAP, None, None, AdjacencyBuildConfig(graphs=(ToyKind.TOY,)), table=table
    )
    assert skipped == {}
    assert set(edges["graph"]) == {"toy"}
    # month ends plus the first trading day; the calendar's last day closes April (next weekday is May)
    expect = pd.DatetimeIndex(["2021-01-04", "2021-01-29", "2021-02-26", "2021-03-31", "2021-04-30"])
    assert pd.DatetimeIndex(edges["date"].unique()).equals(expect)
    assert len(edges) == 2 * len(expect) and (edges["weight"] == 0.5).all()
    # the library's table is untouched and read-only
    assert ToyKind.TOY not in GRAPH_KINDS
    with pytest.raises(TypeError):
        GRAPH_KINDS[ToyKind.TOY] = table[ToyKind.TOY]  # type: ignore[index]


def test_an_entry_whose_inputs_are_absent_is_skipped_with_its_reason() -> None:
    table = {ToyKind.TOY: GraphSpec(_toy_builder, RebuildFrequency.MONTHLY, absent=lambda i, c: "no toys")}
    edges, skipped = build_adjacency(
        CAL, INDUSTRY_MAP, None, None, AdjacencyBuildConfig(graphs=(ToyKind.TOY,)), table=table
    )
    assert edges.empty and skipped == {"toy": "no toys"}


def test_a_kind_without_an_entry_is_refused() -> None:
    with pytest.raises(ValueError, match="toy"):
        build_adjacency(CAL, INDUSTRY_MAP, None, None, AdjacencyBuildConfig(graphs=(ToyKind.TOY,)))


def test_every_graph_kind_has_an_entry_and_its_default_frequency() -> None:
    assert set(GRAPH_KINDS) == set(GraphKind)
    defaults = {k: rebuild_frequency(k) for k in GraphKind}
    assert defaults == {
        GraphKind.SECTOR: RebuildFrequency.YEARLY,
        GraphKind.INDUSTRY: RebuildFrequency.YEARLY,
        GraphKind.R2_SIMILARITY: RebuildFrequency.QUARTERLY,
        GraphKind.R3_INDUSTRY: RebuildFrequency.MONTHLY,
        GraphKind.R3_FLOW: RebuildFrequency.MONTHLY,
    }


def test_frequencies_override_the_table_default_per_kind() -> None:
    cfg = AdjacencyBuildConfig(
        graphs=(GraphKind.SECTOR, GraphKind.INDUSTRY), frequencies={GraphKind.INDUSTRY: "monthly"}
    )
    assert rebuild_frequency(GraphKind.INDUSTRY, cfg) is RebuildFrequency.MONTHLY
    edges, skipped = build_adjacency(CAL, INDUSTRY_MAP, None, None, cfg)
    assert skipped == {}
    dates = {g: list(pd.DatetimeIndex(d["date"].unique())) for g, d in edges.groupby("graph")}
    assert dates["sector"] == [pd.Timestamp("2021-01-04")]  # yearly: no year end in the calendar
    assert len(dates["industry"]) == 5
    # same sector: the two banks, both directions
    assert edges[edges["graph"] == "sector"].groupby("date").size().tolist() == [2]


def test_the_shipped_graphs_skip_absent_inputs_in_table_order() -> None:
    edges, skipped = build_adjacency(CAL, INDUSTRY_MAP, pd.DataFrame(), None)
    assert list(skipped) == ["r2_similarity", "r3_industry", "r3_flow"]
    assert skipped["r2_similarity"] == "no fundamentals" and skipped["r3_flow"] == "no R3 feature table"
    assert set(edges["graph"]) == {"sector", "industry"}
    r3 = pd.DataFrame({"date": CAL[:1], "code": ["SH600000"], "cor_ret": [0.0]})
    _, skipped = build_adjacency(CAL, INDUSTRY_MAP, None, r3, AdjacencyBuildConfig(graphs=(GraphKind.R3_INDUSTRY,)))
    assert skipped == {"r3_industry": "missing feature columns ['dlev', 'z_rev', 'cfr']"}
