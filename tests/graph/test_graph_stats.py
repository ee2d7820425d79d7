"""Graph statistics for metadata and edge-list validation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.graph.edges import check_edges, edges_frame, symmetrise
from alpha_core.graph.stats import edge_list_stats, graph_stats

CODES = np.array(["A0", "B0", "C0", "D0", "E0"], dtype=object)


def test_stats_of_a_star_with_one_isolated_node() -> None:
    # star centred on A0 over B0, C0, D0; E0 isolated
    s, d, w = symmetrise(np.array([0, 0, 0]), np.array([1, 2, 3]), np.ones(3), 5)
    e = edges_frame(pd.Timestamp("2020-12-31"), "sector", CODES, s, d, w)
    st = graph_stats(e, CODES)
    assert st["nodes"] == 5 and st["edges"] == 3
    assert st["density"] == pytest.approx(3 / 10)
    assert st["isolated"] == 1 and st["isolated_codes"] == ["E0"]
    deg = np.array([3, 1, 1, 1, 0])
    assert st["degree_q50"] == np.quantile(deg, 0.5) and st["degree_q100"] == 3 and st["degree_q0"] == 0
    assert st["mean_degree"] == pytest.approx(deg.mean())
    table = edge_list_stats(e, {pd.Timestamp("2020-12-31"): list(CODES)})
    assert table.loc[0, "isolated"] == 1 and table.loc[0, "graph"] == "sector"


def test_symmetrise_keeps_the_larger_weight_of_a_pair() -> None:
    s, d, w = symmetrise(np.array([0, 1]), np.array([1, 0]), np.array([0.2, 0.9]), 2)
    assert s.tolist() == [0, 1] and d.tolist() == [1, 0] and w.tolist() == [0.9, 0.9]


def test_edges_frame_drops_self_loops_and_check_edges_catches_them() -> None:
    e = edges_frame(pd.Timestamp("2020-12-31"), "industry", CODES, np.array([0, 1]), np.array([0, 2]), 1.0)
    assert len(e) == 1
    bad = pd.concat([e, e.assign(dst=e["src"])], ignore_index=True)
    with pytest.raises(DataContractError, match="self loop.*instrument=B0"):
        check_edges(bad)
    with pytest.raises(DataContractError, match="duplicate"):
        check_edges(pd.concat([e, e], ignore_index=True))


def test_latest_rebuilds_counts_rebuilds_and_keeps_the_last() -> None:
    from alpha_core.graph.stats import latest_rebuilds

    stats = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-12-31", "2021-12-31", "2021-06-30"]),
            "graph": ["sector", "sector", "r3_flow"],
            "nodes": [10, 12, 12],
            "edges": [5, 6, 1],
            "density": [0.1, 0.2, 0.01],
            "isolated": [0, 1, 9],
            "degree_q50": [1.0, 1.0, 0.0],
            "degree_q100": [3.0, 4.0, 1.0],
        }
    )
    t = latest_rebuilds(stats)
    assert t.loc["sector", "rebuilds"] == 2 and t.loc["r3_flow", "rebuilds"] == 1
    assert str(t.loc["sector", "last date"]) == "2021-12-31" and t.loc["sector", "degree max"] == 4.0


def test_listed_stocks_excludes_indices_and_the_delisted() -> None:
    from alpha_core.graph.nodes import listed_stocks

    ins = pd.DataFrame(
        {
            "code": ["SH000300", "SH600000", "SH600001", "SH600002"],
            "board": ["index", "main", "main", "main"],
            "list_date": pd.to_datetime(["2005-01-04", "2000-01-04", "2021-01-04", "2000-01-04"]),
            "delist_date": pd.to_datetime([None, None, None, "2020-06-30"]),
        }
    )
    assert listed_stocks(ins, pd.Timestamp("2020-06-30")) == ["SH600000"]  # delisting day: gone
    assert listed_stocks(ins, pd.Timestamp("2021-01-04")) == ["SH600000", "SH600001"]
