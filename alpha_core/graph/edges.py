"""The edge-list table every graph builder returns (the ``adjacency`` asset).

Columns (``EDGE_COLUMNS``):
    date: ``datetime64[ns]``, the rebuild date. The graph is built with data up to
        and including this trading day (fundamentals strictly announced before it),
        so it may be used from this day on (the same convention as features at T),
        until the next rebuild date of the same graph.
    graph: :class:`GraphKind` value (str).
    src, dst: canonical instrument codes.
    weight: float64 (1.0 for membership graphs; a correlation / cosine similarity otherwise).

Undirected graphs store both directions (i -> j and j -> i). There are no self
loops: models add them. Rows are ordered by (date, graph), then (src, dst).
"""

from __future__ import annotations

from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location

EDGE_COLUMNS = ["date", "graph", "src", "dst", "weight"]


class GraphKind(StrEnum):
    """The graphs of the three reports."""

    SECTOR = "sector"  # R1 default: same of 5 sectors (SPEC section 2)
    INDUSTRY = "industry"  # R1 variant: same level-1 industry
    R3_INDUSTRY = "r3_industry"  # R3: same Shenwan industry + correlated cross-industry pairs
    R3_FLOW = "r3_flow"  # R3: correlated capital-flow features
    R2_SIMILARITY = "r2_similarity"  # R2: kNN by cosine similarity of fundamentals


def empty_edges() -> pd.DataFrame:
    """An edge list with no rows and the contract dtypes."""
    return pd.DataFrame(
        {
            "date": pd.Series([], dtype="datetime64[ns]"),
            "graph": pd.Series([], dtype="str"),
            "src": pd.Series([], dtype="str"),
            "dst": pd.Series([], dtype="str"),
            "weight": pd.Series([], dtype=np.float64),
        }
    )


def edges_frame(
    date: pd.Timestamp,
    graph: GraphKind | str,
    codes: np.ndarray | pd.Index,
    src: np.ndarray,
    dst: np.ndarray,
    weight: np.ndarray | float = 1.0,
) -> pd.DataFrame:
    """Edge list of one graph on one date from integer node positions into ``codes``.

    Self loops (src == dst) are dropped. Rows sorted by node position (src, dst), i.e. by
    code when ``codes`` is sorted (every builder passes sorted codes).
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    w = np.broadcast_to(np.asarray(weight, dtype=np.float64), src.shape)
    keep = src != dst
    src, dst, w = src[keep], dst[keep], w[keep]
    n_nodes = max(len(codes), 1)
    order = np.argsort(src * n_nodes + dst, kind="stable")  # one int64 sort, cheaper than lexsort
    src, dst, w = src[order], dst[order], w[order]
    n = len(src)
    # string arrays by take() from the N node names: no per-edge Python string conversion
    names = pd.array(np.asarray(codes, dtype=object).astype(str), dtype="str")
    kind = pd.array([str(GraphKind(graph))], dtype="str")
    return pd.DataFrame(
        {
            "date": np.full(n, pd.Timestamp(date).normalize().to_datetime64().astype("datetime64[ns]")),
            "graph": kind.take(np.zeros(n, dtype=np.int64)),
            "src": names.take(src),
            "dst": names.take(dst),
            "weight": np.ascontiguousarray(w),
        }
    )


def symmetrise(
    src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Union of the directed edges and their reverses, duplicates removed.

    Where both (i, j) and (j, i) exist with different weights (e.g. kNN), the pair keeps
    the larger weight in both directions. Returns (src, dst, weight) sorted by (src, dst).
    """
    s = np.concatenate([src, dst]).astype(np.int64)
    d = np.concatenate([dst, src]).astype(np.int64)
    w = np.concatenate([weight, weight]).astype(np.float64)
    key = s * n + d
    # sort by key then by weight descending so the first of each key is the max
    order = np.lexsort((-w, key))
    key, s, d, w = key[order], s[order], d[order], w[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return s[first], d[first], w[first]


def concat_edges(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate edge lists of single (date, graph) frames, ordered by (date, graph).

    Frames are ordered as wholes (rows inside each keep their (src, dst) order), which
    avoids a string sort of millions of rows.
    """
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_edges()
    frames.sort(key=lambda f: (f["date"].iloc[0], str(f["graph"].iloc[0])))
    return pd.concat(frames, ignore_index=True)


def check_edges(edges: pd.DataFrame, *, source: str | None = None) -> pd.DataFrame:
    """Validate an edge list: columns, no self loops, no duplicate (date, graph, src, dst).

    Raises:
        DataContractError: naming the offending column / instrument / date.
    """
    missing = [c for c in EDGE_COLUMNS if c not in edges.columns]
    if missing:
        raise DataContractError(f"edge list lacks columns {missing}", Location(file=source, column=missing[0]))
    loops = edges["src"].to_numpy() == edges["dst"].to_numpy()
    if loops.any():
        row = edges[loops].iloc[0]
        raise DataContractError(
            "edge list contains a self loop (models add self loops themselves)",
            Location(file=source, column="dst", instrument=str(row["src"]), date=str(pd.Timestamp(row["date"]).date())),
        )
    dup = edges.duplicated(["date", "graph", "src", "dst"])
    if dup.any():
        row = edges[dup].iloc[0]
        raise DataContractError(
            f"duplicate edge {row['src']} -> {row['dst']} in graph {row['graph']!r}",
            Location(file=source, column="src", instrument=str(row["src"]), date=str(pd.Timestamp(row["date"]).date())),
        )
    return edges
