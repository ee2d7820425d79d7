"""One day's graph as torch-geometric tensors for that day's ordered universe.

For the day's codes c_0..c_{N-1} (the row order of ``DayBatch.x``), edge (src, dst) of
the edge list becomes column [pos(src), pos(dst)] of ``edge_index`` (2, E) (PyG
convention: row 0 = source j, row 1 = target i; messages flow j -> i). Edges with an
end outside the day's codes are dropped. The graph in force on day t is the one with
the latest rebuild ``date <= t``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch

from alpha_core.errors import DataContractError, Location
from alpha_core.graph.edges import EDGE_COLUMNS, GraphKind, edges_frame


def graph_on(edges: pd.DataFrame, day: pd.Timestamp, graph: GraphKind | str) -> pd.DataFrame:
    """Rows of ``graph`` built on its latest rebuild date on or before ``day`` (empty if none)."""
    sub = edges[edges["graph"] == str(GraphKind(graph))]
    dates = sub["date"][sub["date"] <= pd.Timestamp(day)]
    if len(dates) == 0:
        return sub.iloc[:0]
    return sub[sub["date"] == dates.max()]


def to_edge_index(
    edges_day: pd.DataFrame, codes: list[str] | np.ndarray | pd.Index
) -> tuple[torch.Tensor, torch.Tensor]:
    """Edge list of one graph and date -> (edge_index LongTensor (2, E), weight FloatTensor (E,)).

    Raises:
        DataContractError: ``codes`` has duplicates (positions would be ambiguous).
    """
    index = pd.Index(np.asarray(codes, dtype=object))
    if index.has_duplicates:
        dup = index[index.duplicated()][0]
        raise DataContractError("the day's codes contain a duplicate", Location(column="code", instrument=str(dup)))
    src = index.get_indexer(edges_day["src"])
    dst = index.get_indexer(edges_day["dst"])
    keep = (src >= 0) & (dst >= 0)
    ei = torch.from_numpy(np.stack([src[keep], dst[keep]]).astype(np.int64))
    w = torch.from_numpy(edges_day["weight"].to_numpy(dtype=np.float32)[keep])
    return ei, w


def to_dense_mask(edge_index: torch.Tensor, n: int) -> torch.Tensor:
    """(2, E) edge_index -> boolean (N, N) mask with mask[dst, src] = True (row i attends to j).

    For the symmetric graphs stored here mask[i, j] == mask[j, i]. No self loops are added.
    """
    mask = torch.zeros((n, n), dtype=torch.bool)
    mask[edge_index[1], edge_index[0]] = True
    return mask


def mask_to_edge_index(mask: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`to_dense_mask`: (N, N) bool -> (2, E) with rows (src, dst)."""
    dst, src = torch.nonzero(mask, as_tuple=True)
    return torch.stack([src, dst])


def from_edge_index(
    edge_index: torch.Tensor,
    weight: torch.Tensor | None,
    codes: list[str] | np.ndarray,
    date: pd.Timestamp,
    graph: GraphKind | str,
) -> pd.DataFrame:
    """(2, E) positions back to an edge list (the round trip of :func:`to_edge_index`)."""
    ei = edge_index.detach().cpu().numpy()
    w = np.ones(ei.shape[1]) if weight is None else weight.detach().cpu().numpy().astype(np.float64)
    return edges_frame(date, graph, np.asarray(codes, dtype=object), ei[0], ei[1], w)[EDGE_COLUMNS]


class GraphTimeline:
    """One graph's edge lists indexed once, for fast per-day tensors in a training loop.

    Codes are mapped to integer ids once (strings hashed once, not once per day); a day's
    tensors are then an integer gather: pos = position of each id in the day's codes
    (-1 if absent), edge_index = pos[[src_id, dst_id]] restricted to both ends present.
    Equal to :func:`to_edge_index` on :func:`graph_on` for every day.

    Args:
        edges: edge list (any graphs; only ``graph`` is kept).
        graph: the :class:`GraphKind` to index.
    """

    def __init__(self, edges: pd.DataFrame, graph: GraphKind | str):
        self.graph = GraphKind(graph)
        sub = edges[edges["graph"] == str(self.graph)]
        n = len(sub)
        # one factorize of all endpoint strings (hashing 2E strings once)
        ids, uniques = pd.factorize(pd.concat([sub["src"], sub["dst"]], ignore_index=True).astype(str), sort=True)
        self.codes = pd.Index(np.asarray(uniques, dtype=object))
        src_id, dst_id = ids[:n].astype(np.int64), ids[n:].astype(np.int64)
        dates = sub["date"].to_numpy()
        self.dates = pd.DatetimeIndex(np.unique(dates))
        self._parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        weight = sub["weight"].to_numpy(dtype=np.float32)
        for d in self.dates.values:
            m = dates == d
            self._parts.append((src_id[m], dst_id[m], weight[m]))

    def rebuild_date(self, day: pd.Timestamp) -> pd.Timestamp | None:
        """Rebuild date of the graph in force on ``day`` (None before the first)."""
        i = self.dates.searchsorted(pd.Timestamp(day), side="right") - 1
        return None if i < 0 else self.dates[i]

    def on(self, day: pd.Timestamp, codes: list[str] | np.ndarray | pd.Index) -> tuple[torch.Tensor, torch.Tensor]:
        """(edge_index (2, E), weight (E,)) of the graph in force on ``day`` for the day's ordered ``codes``."""
        index = pd.Index(np.asarray(codes, dtype=object))
        if index.has_duplicates:
            dup = index[index.duplicated()][0]
            raise DataContractError("the day's codes contain a duplicate", Location(column="code", instrument=str(dup)))
        i = self.dates.searchsorted(pd.Timestamp(day), side="right") - 1
        if i < 0:
            return torch.zeros((2, 0), dtype=torch.long), torch.zeros(0)
        src_id, dst_id, w = self._parts[i]
        pos = np.full(len(self.codes) + 1, -1, dtype=np.int64)  # last slot: codes unknown to the graph
        ids = self.codes.get_indexer(index)
        pos[ids] = np.where(ids >= 0, np.arange(len(index)), -1)
        pos[-1] = -1
        s, d = pos[src_id], pos[dst_id]
        keep = (s >= 0) & (d >= 0)
        return torch.from_numpy(np.stack([s[keep], d[keep]])), torch.from_numpy(w[keep])


def day_graph(
    edges: pd.DataFrame,
    day: pd.Timestamp,
    codes: list[str] | np.ndarray,
    graph: GraphKind | str,
    *,
    dense: bool = False,
) -> dict[str, torch.Tensor]:
    """The entries for ``DayBatch.graphs``: ``{name: edge_index (2, E), name_weight: (E,)}``,
    or ``{name: (N, N) bool mask}`` when ``dense`` (block-dense sector/industry graphs)."""
    name = str(GraphKind(graph))
    ei, w = to_edge_index(graph_on(edges, day, graph), codes)
    if dense:
        return {name: to_dense_mask(ei, len(codes))}
    return {name: ei, f"{name}_weight": w}
