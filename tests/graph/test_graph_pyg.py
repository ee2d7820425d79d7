"""Edge list <-> torch-geometric edge_index / dense mask for one day's universe."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.graph.edges import concat_edges, edges_frame
from alpha_core.graph.pyg import (
    day_graph,
    from_edge_index,
    graph_on,
    mask_to_edge_index,
    to_dense_mask,
    to_edge_index,
)

D = pd.Timestamp
CODES = np.array(["SH600000", "SH600001", "SZ000001", "SZ000002"], dtype=object)


def _edges() -> pd.DataFrame:
    g1 = edges_frame(D("2019-12-31"), "sector", CODES, np.array([0, 1, 2, 3]), np.array([1, 0, 3, 2]), 1.0)
    g2 = edges_frame(D("2020-12-31"), "sector", CODES, np.array([0, 2]), np.array([2, 0]), 1.0)
    s = edges_frame(D("2020-12-31"), "r3_flow", CODES, np.array([1, 3]), np.array([3, 1]), np.array([0.7, 0.7]))
    return concat_edges([g1, g2, s])


def test_round_trip_edge_list_to_edge_index_and_back() -> None:
    day = graph_on(_edges(), D("2021-03-01"), "r3_flow")
    ei, w = to_edge_index(day, CODES)
    assert ei.dtype == torch.long and ei.shape == (2, 2)
    assert ei.tolist() == [[1, 3], [3, 1]]
    np.testing.assert_allclose(w.numpy(), [0.7, 0.7])
    back = from_edge_index(ei, w, CODES, D("2020-12-31"), "r3_flow")
    pd.testing.assert_frame_equal(back.reset_index(drop=True), day.reset_index(drop=True), check_dtype=False, atol=1e-6)


def test_graph_in_force_is_the_latest_rebuild_on_or_before_the_day() -> None:
    e = _edges()
    assert len(graph_on(e, D("2020-06-30"), "sector")) == 4
    assert set(graph_on(e, D("2020-12-31"), "sector")["src"]) == {"SH600000", "SZ000001"}
    assert len(graph_on(e, D("2019-01-02"), "sector")) == 0


def test_edges_outside_the_days_universe_are_dropped_and_positions_follow_its_order() -> None:
    day = graph_on(_edges(), D("2020-06-30"), "sector")
    codes = ["SZ000002", "SH600001", "SH600000"]  # SZ000001 not trading that day
    ei, _ = to_edge_index(day, codes)
    assert sorted(map(tuple, ei.T.tolist())) == [(1, 2), (2, 1)]


def test_dense_mask_round_trip_and_day_graph() -> None:
    day = graph_on(_edges(), D("2020-06-30"), "sector")
    ei, _ = to_edge_index(day, CODES)
    mask = to_dense_mask(ei, 4)
    expected = np.zeros((4, 4), bool)
    expected[[0, 1, 2, 3], [1, 0, 3, 2]] = True
    np.testing.assert_array_equal(mask.numpy(), expected)
    assert not mask.diagonal().any()
    back = mask_to_edge_index(mask)
    assert sorted(map(tuple, back.T.tolist())) == sorted(map(tuple, ei.T.tolist()))
    g = day_graph(_edges(), D("2021-01-04"), CODES, "r3_flow")
    assert set(g) == {"r3_flow", "r3_flow_weight"}
    assert day_graph(_edges(), D("2021-01-04"), CODES, "sector", dense=True)["sector"].shape == (4, 4)


def test_duplicate_codes_raise() -> None:
    with pytest.raises(DataContractError, match="SH600000"):
        to_edge_index(_edges(), ["SH600000", "SH600000"])


def test_graph_timeline_equals_the_per_day_lookup() -> None:
    from alpha_core.graph.pyg import GraphTimeline

    e = _edges()
    tl = GraphTimeline(e, "sector")
    rng = np.random.default_rng(0)
    universe = list(CODES) + ["BJ430047"]  # a code the graph does not know
    for day in ("2019-06-30", "2019-12-31", "2020-06-30", "2021-01-04"):
        codes = list(rng.permutation(universe)[:4])
        ei, w = tl.on(D(day), codes)
        ref_ei, ref_w = to_edge_index(graph_on(e, D(day), "sector"), codes)
        assert sorted(map(tuple, ei.T.tolist())) == sorted(map(tuple, ref_ei.T.tolist()))
        assert len(w) == len(ref_w)
    assert tl.rebuild_date(D("2020-06-30")) == D("2019-12-31")
