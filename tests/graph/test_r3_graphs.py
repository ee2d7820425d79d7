"""R3 industry graph (same industry + correlated cross-industry pairs) and flow graph."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.graph.correlation import CorrelationGraphConfig
from alpha_core.graph.r3_graphs import r3_flow_graph, r3_industry_graph

CODES = ["SH600001", "SH600002", "SH600003", "SZ000001", "SZ000002", "SZ000003"]
IND = ["banks", "banks", "coal", "coal", "media", "media"]


def _industry_map() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "code": CODES,
            "start_date": pd.Timestamp("2019-01-01"),
            "end_date": pd.NaT,
            "industry": IND,
            "sector": ["financial", "financial", "cyclical", "cyclical", "growth", "growth"],
        }
    )


def _features(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    t = 100
    a, b = rng.standard_normal((t, 6)), rng.standard_normal((t, 6))
    # plant: SH600001 ~ SZ000001 (cross-industry) in both features; SH600002 ~ SH600001 (same industry)
    for f in (a, b):
        f[:, 3] = f[:, 0] + 0.2 * rng.standard_normal(t)
        f[:, 1] = f[:, 0] + 0.2 * rng.standard_normal(t)
    dates = pd.bdate_range("2020-01-01", periods=t)
    panel = Panel(dates, pd.Index(CODES), {"lev_diff": a, "cfr": b})
    return panel.to_long(), a, b


def test_r3_industry_graph_has_industry_edges_plus_planted_cross_industry_pair() -> None:
    long, a, b = _features()
    day = pd.Timestamp(long["date"].max())
    e = r3_industry_graph(_industry_map(), long, [day], config=CorrelationGraphConfig(window=80, threshold=0.5))
    pairs = dict(zip(zip(e["src"], e["dst"], strict=True), e["weight"], strict=True))
    same = {("SH600001", "SH600002"), ("SH600003", "SZ000001"), ("SZ000002", "SZ000003")}
    cross = {("SH600001", "SZ000001"), ("SH600002", "SZ000001"), ("SH600001", "SH600003")} & set(pairs)
    expected = same | {("SH600001", "SZ000001"), ("SH600002", "SZ000001")}
    assert set(pairs) == {p for x, y in expected for p in ((x, y), (y, x))}
    assert not cross - {("SH600001", "SZ000001"), ("SH600002", "SZ000001")}
    for p in same:
        assert pairs[p] == 1.0  # same-industry weight 1 even when also correlated
    ref = 0.5 * (np.corrcoef(a[-80:], rowvar=False)[0, 3] + np.corrcoef(b[-80:], rowvar=False)[0, 3])
    assert abs(pairs[("SH600001", "SZ000001")] - ref) < 1e-5
    assert (e["graph"] == "r3_industry").all()


def test_r3_industry_graph_without_enough_history_keeps_industry_edges() -> None:
    long, _, _ = _features()
    day = pd.Timestamp(sorted(long["date"].unique())[10])
    e = r3_industry_graph(_industry_map(), long, [day], config=CorrelationGraphConfig(window=80, threshold=0.5))
    assert len(e) == 6 and (e["weight"] == 1.0).all()


def test_r3_flow_graph_is_the_thresholded_mean_correlation() -> None:
    long, a, b = _features(1)
    day = pd.Timestamp(long["date"].max())
    e = r3_flow_graph(long, [day], config=CorrelationGraphConfig(window=80, threshold=0.5), fields=["lev_diff", "cfr"])
    ref = 0.5 * (np.corrcoef(a[-80:], rowvar=False) + np.corrcoef(b[-80:], rowvar=False))
    np.fill_diagonal(ref, -np.inf)
    s, d = np.nonzero(ref > 0.5)
    assert set(zip(e["src"], e["dst"], strict=True)) == {(CODES[i], CODES[j]) for i, j in zip(s, d, strict=True)}
    assert (e["graph"] == "r3_flow").all()


def test_r3_industry_graph_can_store_cross_industry_edges_only() -> None:
    long, _, _ = _features()
    day = pd.Timestamp(long["date"].max())
    e = r3_industry_graph(
        _industry_map(),
        long,
        [day],
        config=CorrelationGraphConfig(window=80, threshold=0.5),
        include_same_industry=False,
    )
    ind = dict(zip(CODES, IND, strict=True))
    assert len(e) > 0
    assert all(ind[a] != ind[b] for a, b in zip(e["src"], e["dst"], strict=True))


def test_r3_industry_graph_logs_one_line_for_the_dates_without_history(caplog) -> None:
    long, _, _ = _features()
    dates = sorted(long["date"].unique())
    days = [pd.Timestamp(dates[k]) for k in (5, 10, 99)]
    with caplog.at_level(logging.INFO, logger="alpha_core.graph.correlation"):
        r3_industry_graph(_industry_map(), long, days, config=CorrelationGraphConfig(window=80, threshold=0.5))
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        f"r3_industry: 2 of 3 rebuild dates ({days[0].date()}..{days[1].date()}): "
        "fewer than 80 days of edge features; industry edges only"
    ]
