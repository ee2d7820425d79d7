"""Blockwise correlation graphs: planted pairs, top-k, causality, missing data."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.panel import Panel
from alpha_core.graph.correlation import CorrelationGraphConfig, correlation_edges, rolling_correlation_graph
from alpha_core.graph.edges import check_edges

PLANTED = [(0, 1), (2, 3), (4, 5)]


def _planted(t: int = 120, n: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((t, n))
    for i, j in PLANTED:
        x[:, j] = x[:, i] + 0.3 * rng.standard_normal(t)
    return x


def _panel(x: np.ndarray, name: str = "f") -> Panel:
    dates = pd.bdate_range("2020-01-01", periods=x.shape[0])
    codes = pd.Index([f"SH{600000 + i}" for i in range(x.shape[1])])
    return Panel(dates, codes, {name: x})


def test_threshold_graph_finds_planted_pairs_only_with_pearson_weights() -> None:
    x = _planted()[-80:]
    src, dst, w = correlation_edges([x], CorrelationGraphConfig(window=80, threshold=0.6, block_size=7))
    found = set(zip(src.tolist(), dst.tolist(), strict=True))
    assert found == {p for a, b in PLANTED for p in ((a, b), (b, a))}
    ref = np.corrcoef(x, rowvar=False)  # independent dense reference
    np.testing.assert_allclose(w, ref[src, dst], atol=1e-5)


def test_blockwise_equals_single_block() -> None:
    x = _planted(seed=5)[-80:]
    a = correlation_edges([x], CorrelationGraphConfig(threshold=0.1, block_size=4))
    b = correlation_edges([x], CorrelationGraphConfig(threshold=0.1, block_size=4096))
    for u, v in zip(a, b, strict=True):
        np.testing.assert_allclose(u, v, atol=1e-6)


def test_top_k_mode_is_the_union_of_each_row_argmax() -> None:
    x = _planted(seed=1)[-80:]
    src, dst, w = correlation_edges([x], CorrelationGraphConfig(threshold=None, top_k=1))
    c = np.corrcoef(x, rowvar=False)
    np.fill_diagonal(c, -np.inf)
    best = c.argmax(axis=1)
    expected = {p for i, j in enumerate(best) for p in ((i, int(j)), (int(j), i))}
    assert set(zip(src.tolist(), dst.tolist(), strict=True)) == expected
    for i, j in PLANTED:
        assert best[i] == j and best[j] == i
    np.testing.assert_allclose(w, c[src, dst], atol=1e-5)
    assert not (src == dst).any()


def test_mean_over_features_is_the_equal_weighted_mean_of_correlations() -> None:
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((80, 12)), rng.standard_normal((80, 12))
    src, dst, w = correlation_edges([a, b], CorrelationGraphConfig(threshold=-1.0))
    ref = 0.5 * (np.corrcoef(a, rowvar=False) + np.corrcoef(b, rowvar=False))
    assert len(src) == 12 * 11
    np.testing.assert_allclose(w, ref[src, dst], atol=1e-5)


def test_stock_with_too_few_observations_or_constant_is_isolated() -> None:
    x = _planted()[-80:].copy()
    x[:30, 0] = np.nan  # 50 of 80 valid < 0.8 * 80
    x[:, 2] = 7.0  # constant
    src, dst, _ = correlation_edges([x], CorrelationGraphConfig(threshold=0.6))
    nodes = set(src.tolist()) | set(dst.tolist())
    assert 0 not in nodes and 2 not in nodes
    assert (4, 5) in set(zip(src.tolist(), dst.tolist(), strict=True))


def test_rolling_graph_uses_the_window_ending_at_the_rebuild_date_only() -> None:
    x = _planted(t=200)
    panel = _panel(x)
    day = panel.dates[150]
    cfg = CorrelationGraphConfig(window=80, threshold=0.6)
    base = rolling_correlation_graph(panel, [day], kind="r3_flow", config=cfg)
    future = x.copy()
    future[151:] = np.random.default_rng(9).standard_normal(future[151:].shape) * 100
    past = x.copy()
    past[:71] = 0.0  # before the window: irrelevant
    for other in (future, past):
        e = rolling_correlation_graph(_panel(other), [day], kind="r3_flow", config=cfg)
        pd.testing.assert_frame_equal(e, base)
    ref = np.corrcoef(x[71:151], rowvar=False)
    s = panel.codes.get_indexer(base["src"])
    d = panel.codes.get_indexer(base["dst"])
    np.testing.assert_allclose(base["weight"], ref[s, d], atol=1e-5)
    check_edges(base)


def test_rolling_graph_accepts_a_long_table_and_skips_short_history() -> None:
    x = _planted(t=100)
    panel = _panel(x)
    long = panel.to_long()
    cfg = CorrelationGraphConfig(window=80, threshold=0.6)
    e = rolling_correlation_graph(long, [panel.dates[50], panel.dates[99]], kind="r3_flow", config=cfg)
    assert set(e["date"]) == {panel.dates[99]}  # 51 days < window: no graph on the first date
    assert len(e) == 2 * len(PLANTED)


def test_config_requires_a_rule() -> None:
    with pytest.raises(ValueError):
        CorrelationGraphConfig(threshold=None, top_k=None)


def test_min_features_averages_over_the_features_valid_for_both_stocks() -> None:
    rng = np.random.default_rng(4)
    a = rng.standard_normal((80, 10))
    a[:, 1] = a[:, 0] + 0.3 * rng.standard_normal(80)
    b = rng.standard_normal((80, 10))
    b[:, 1] = 3.0  # stock 1 constant in feature b: its correlation there is undefined
    strict = correlation_edges([a, b], CorrelationGraphConfig(threshold=0.5))
    assert 1 not in set(strict[0].tolist())  # default: every feature must be valid
    src, dst, w = correlation_edges([a, b], CorrelationGraphConfig(threshold=-1.0, min_features=1))
    got = dict(zip(zip(src.tolist(), dst.tolist(), strict=True), w, strict=True))
    with np.errstate(invalid="ignore", divide="ignore"):  # the constant column's row is NaN
        ca, cb = np.corrcoef(a, rowvar=False), np.corrcoef(b, rowvar=False)
    assert got[(0, 1)] == pytest.approx(ca[0, 1], abs=1e-5)  # only feature a valid for the pair
    assert got[(0, 2)] == pytest.approx(0.5 * (ca[0, 2] + cb[0, 2]), abs=1e-5)
    assert len(got) == 90
    two = correlation_edges([a, b], CorrelationGraphConfig(threshold=-1.0, min_features=2))
    assert 1 not in set(two[0].tolist()) and len(two[0]) == 72


def test_rolling_graph_logs_one_summary_line_for_all_skipped_dates(caplog: pytest.LogCaptureFixture) -> None:
    panel = _panel(_planted(t=100))
    cfg = CorrelationGraphConfig(window=80, threshold=0.6)
    days = [panel.dates[10], panel.dates[30], panel.dates[50], panel.dates[99]]  # first three: < 80 days
    with caplog.at_level(logging.INFO, logger="alpha_core.graph.correlation"):
        e = rolling_correlation_graph(panel, days, kind="r3_flow", config=cfg)
    assert set(e["date"]) == {panel.dates[99]}
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1
    assert lines[0] == (
        f"r3_flow graph: 3 of 4 rebuild dates ({panel.dates[10].date()}..{panel.dates[50].date()}): "
        "fewer than 80 days of data, no edges"
    )


def test_rolling_graph_logs_nothing_when_no_date_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    panel = _panel(_planted(t=100))
    with caplog.at_level(logging.INFO, logger="alpha_core.graph.correlation"):
        rolling_correlation_graph(
            panel, [panel.dates[99]], kind="r3_flow", config=CorrelationGraphConfig(window=80, threshold=0.6)
        )
    assert not caplog.records
