"""Benchmark: blockwise correlation graph for 5,000 stocks x 80-day window (goal < 60 s, < 4 GB).

Prints wall time and peak traced memory (numpy allocations, via tracemalloc) of
:func:`alpha_core.graph.correlation.correlation_edges` in threshold and top-k modes, with
1 feature (plain correlation graph) and 4 features (R3 industry edge features), and the
same figures for a dense baseline computed in the same run (``np.corrcoef`` on the full
N x N matrix, then threshold), with the ratio. Also the sector graph of 5,000 stocks.

Run:  .venv/bin/python benchmarks/bench_graphs.py [--n 5000] [--window 80]
"""

from __future__ import annotations

import argparse
import logging
import resource
import time
import tracemalloc

import numpy as np
import pandas as pd

from alpha_core.graph.correlation import CorrelationGraphConfig, correlation_edges
from alpha_core.graph.pyg import GraphTimeline, graph_on, to_edge_index
from alpha_core.graph.sector import membership_graph

log = logging.getLogger("bench_graphs")


def _market(n: int, window: int, n_features: int, seed: int = 0) -> list[np.ndarray]:
    """Factor-model returns: 1 market + 30 'industry' factors + noise, so the graph is not empty."""
    rng = np.random.default_rng(seed)
    out = []
    ind = rng.integers(0, 30, n)
    for _ in range(n_features):
        mkt = rng.standard_normal((window, 1))
        fac = rng.standard_normal((window, 30))
        x = 0.5 * mkt + 0.8 * fac[:, ind] + rng.standard_normal((window, n))
        x[rng.random((window, n)) < 0.02] = np.nan  # suspensions
        out.append(x.astype(np.float32))
    return out


def _measure(fn):
    tracemalloc.start()
    t0 = time.perf_counter()
    result = fn()
    dt = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, dt, peak / 2**30


def _dense_baseline(windows: list[np.ndarray], threshold: float):
    c = np.mean([np.corrcoef(np.nan_to_num(w - np.nanmean(w, axis=0)), rowvar=False) for w in windows], axis=0)
    np.fill_diagonal(c, -np.inf)
    return np.nonzero(c > threshold)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=5000)
    ap.add_argument("--window", type=int, default=80)
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    n, w = args.n, args.window
    log.info("correlation graph benchmark: N=%d stocks, window=%d days (2-core shared machine: pessimistic)", n, w)
    for n_feat in (1, 4):
        wins = _market(n, w, n_feat)
        modes = [
            ("threshold 0.5", CorrelationGraphConfig(window=w, threshold=0.5)),
            ("top-k 20", CorrelationGraphConfig(window=w, threshold=None, top_k=20)),
        ]
        if n_feat > 1:
            modes.append(("thr, min_feat 2", CorrelationGraphConfig(window=w, threshold=0.5, min_features=2)))
        for label, cfg in modes:
            (src, _, _), dt, peak = _measure(lambda cfg=cfg, wins=wins: correlation_edges(wins, cfg))
            log.info("  blockwise  F=%d %-15s: %7.2f s  peak %.3f GB  edges %d", n_feat, label, dt, peak, len(src))
        (s, _), dt_b, peak_b = _measure(lambda wins=wins: _dense_baseline(wins, 0.5))
        (src, _, _), dt, peak = _measure(
            lambda wins=wins: correlation_edges(wins, CorrelationGraphConfig(window=w, threshold=0.5))
        )
        log.info(
            "  dense np.corrcoef baseline F=%d: %7.2f s  peak %.3f GB  edges %d  (ratio blockwise / dense: time %.2fx, "
            "memory %.2fx)",
            n_feat,
            dt_b,
            peak_b,
            len(s),
            dt / dt_b,
            peak / peak_b,
        )
    # sector graph (block-dense, ~N^2/5 directed edges)
    rng = np.random.default_rng(1)
    imap = pd.DataFrame(
        {
            "code": [f"SZ{i:06d}" for i in range(n)],
            "start_date": pd.Timestamp("2010-01-01"),
            "end_date": pd.NaT,
            "industry": rng.integers(0, 30, n).astype(str),
            "sector": np.array(["cyclical", "consumer", "financial", "growth", "stable"])[rng.integers(0, 5, n)],
        }
    )
    e, dt, peak = _measure(lambda: membership_graph(imap, [pd.Timestamp("2020-12-31")], kind="sector"))
    log.info("  sector graph N=%d: %.2f s, peak %.3f GB, %d directed edges", n, dt, peak, len(e))
    t0 = time.perf_counter()
    timeline = GraphTimeline(e, "sector")
    t1 = time.perf_counter()
    codes = list(rng.permutation(imap["code"].to_numpy())[: int(0.8 * n)])
    ei, _ = timeline.on(pd.Timestamp("2021-03-01"), codes)
    t2 = time.perf_counter()
    to_edge_index(graph_on(e, pd.Timestamp("2021-03-01"), "sector"), codes)
    t3 = time.perf_counter()
    log.info(
        "  day tensors (%d of %d codes, %d edges): GraphTimeline index %.2f s once, then %.3f s/day; "
        "to_edge_index(graph_on(...)) %.2f s/day",
        len(codes),
        n,
        ei.shape[1],
        t1 - t0,
        t2 - t1,
        t3 - t2,
    )
    log.info("process max RSS: %.3f GB", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)


if __name__ == "__main__":
    main()
