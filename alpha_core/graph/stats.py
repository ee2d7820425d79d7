"""Graph statistics for asset metadata.

For one graph on one date with node set V (|V| = N) and undirected edge set E
(each stored pair i -> j, j -> i counted once):
    nodes = N, edges = |E|, density = 2|E| / (N (N - 1)),
    isolated = nodes of V with degree 0 (e.g. stocks without an industry),
    degree quantiles = quantiles (0, 0.25, 0.5, 0.75, 1) of the degree over V.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)


def graph_stats(
    edges_day: pd.DataFrame, nodes: Sequence[str] | np.ndarray | None = None, *, max_listed: int = 20
) -> dict:
    """Statistics of one graph on one date.

    Args:
        edges_day: edge rows of one (date, graph).
        nodes: the node set (the day's universe); default = codes appearing in the edges
            (then nothing can be isolated).
        max_listed: how many isolated codes to list by name.

    Returns:
        dict with nodes, edges, density, isolated, isolated_codes (first ``max_listed``),
        degree_q0 .. degree_q100 (floats), mean_degree.
    """
    src = edges_day["src"].to_numpy(dtype=object)
    dst = edges_day["dst"].to_numpy(dtype=object)
    if nodes is None:
        nodes = np.unique(np.concatenate([src, dst]).astype(str))
    index = pd.Index(np.asarray(nodes, dtype=object))
    n = len(index)
    s = index.get_indexer(src)
    d = index.get_indexer(dst)
    keep = (s >= 0) & (d >= 0) & (s != d)
    s, d = s[keep], d[keep]
    # undirected pairs, counted once even if only one direction is stored
    pairs = np.unique(np.stack([np.minimum(s, d), np.maximum(s, d)]), axis=1) if len(s) else np.zeros((2, 0), int)
    deg = np.bincount(pairs.ravel(), minlength=n) if n else np.zeros(0, int)
    n_edges = pairs.shape[1]
    isolated = index[deg == 0] if n else index
    out = {
        "nodes": int(n),
        "edges": int(n_edges),
        "density": float(2 * n_edges / (n * (n - 1))) if n > 1 else 0.0,
        "isolated": int(len(isolated)),
        "isolated_codes": sorted(str(c) for c in isolated)[:max_listed],
        "mean_degree": float(deg.mean()) if n else 0.0,
    }
    qs = np.quantile(deg, QUANTILES) if n else np.zeros(len(QUANTILES))
    for q, v in zip(QUANTILES, qs, strict=True):
        out[f"degree_q{int(q * 100)}"] = float(v)
    return out


def edge_list_stats(
    edges: pd.DataFrame, nodes_by_date: dict[pd.Timestamp, Sequence[str]] | None = None
) -> pd.DataFrame:
    """:func:`graph_stats` for every (date, graph) of an edge list, one row each."""
    rows = []
    for (date, graph), grp in edges.groupby(["date", "graph"], sort=True):
        nodes = None if nodes_by_date is None else nodes_by_date.get(pd.Timestamp(date))
        st = graph_stats(grp, nodes)
        st.pop("isolated_codes")
        rows.append({"date": pd.Timestamp(date), "graph": graph, **st})
    return pd.DataFrame(rows)


def latest_rebuilds(stats: pd.DataFrame) -> pd.DataFrame:
    """Per graph of :func:`edge_list_stats`: the number of rebuilds and its latest rebuild's statistics.

    Index ``graph``; columns rebuilds, last date (a ``datetime.date``), nodes, edges, density,
    isolated, degree q50, degree max (the degree quantiles 0.5 and 1).
    """
    last = stats.sort_values("date").groupby("graph").tail(1).set_index("graph")
    count = stats.groupby("graph").size()
    return pd.DataFrame(
        {
            "rebuilds": count.reindex(last.index),
            "last date": last["date"].dt.date,
            "nodes": last["nodes"],
            "edges": last["edges"],
            "density": last["density"],
            "isolated": last["isolated"],
            "degree q50": last["degree_q50"],
            "degree max": last["degree_q100"],
        },
        index=last.index,
    )
