"""R1 membership graphs: same sector (default) or same level-1 industry.

Edge (i, j) with weight 1 iff stocks i and j belong to the same group on the rebuild
date (``W_ij = W_ji = 1``, R1 section "adjacency"), i != j. Membership is read from the
contract ``industry_map`` (code, start_date, end_date, industry, sector) as of the
rebuild date: ``start_date <= date`` and (``end_date`` NaT or ``date <= end_date``).
Stocks of the universe without an industry on that date are isolated nodes
(:func:`alpha_core.graph.stats.graph_stats` flags them).

Sectors (SPEC section 2, R1's table "level-1 industry -> sector") are the ``sector``
column of ``industry_map``; for the real Shenwan data the mapping is
:data:`alpha_core.data.qlib.SW_L1` (data layer), e.g. cyclical: coal, machinery, power
equipment, non-ferrous metals, basic chemicals, building materials, petroleum, defence,
steel, mining; consumer: retail, light manufacturing, conglomerates, pharma, textiles,
food & beverage, appliances, autos, consumer services, agriculture, beauty care;
financial: real estate, non-bank finance, banks; growth: electronics, telecom,
computers, media; stable: transportation, utilities, construction, environmental
protection.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alpha_core.data.contract import INDUSTRY_COLUMNS
from alpha_core.errors import DataContractError, Location
from alpha_core.graph.edges import GraphKind, concat_edges, edges_frame
from alpha_core.graph.nodes import Universe, universe_codes

log = logging.getLogger(__name__)


def membership_at(industry_map: pd.DataFrame, date: pd.Timestamp, *, source: str | None = None) -> pd.DataFrame:
    """Rows of ``industry_map`` in force on ``date``: columns code, industry, sector (one row per code).

    Raises:
        DataContractError: a column is missing, or a code has two overlapping rows on ``date``.
    """
    for col in INDUSTRY_COLUMNS:
        if col not in industry_map.columns:
            raise DataContractError("industry_map lacks a column", Location(file=source, column=col))
    date = pd.Timestamp(date)
    end = industry_map["end_date"]
    live = (industry_map["start_date"] <= date) & (end.isna() | (end >= date))
    rows = industry_map.loc[live, ["code", "industry", "sector"]]
    dup = rows["code"].duplicated()
    if dup.any():
        code = rows.loc[dup, "code"].iloc[0]
        raise DataContractError(
            "industry_map has overlapping rows for one code",
            Location(file=source, column="start_date", instrument=str(code), date=str(date.date())),
        )
    return rows.sort_values("code").reset_index(drop=True)


def group_pairs(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All ordered pairs (i, j), i != j, with ``labels[i] == labels[j]``; label -1 = no group.

    Args:
        labels: (N,) int group ids.

    Returns:
        (src, dst) int64 arrays of length sum_g n_g (n_g - 1), sorted by (src, dst).
    """
    labels = np.asarray(labels, dtype=np.int64)
    # group-wise cartesian product without an N x N matrix: sort by group, then for each
    # member emit its whole group block (vectorised with repeat + offsets)
    order = np.argsort(labels, kind="stable")
    lab = labels[order]
    valid = lab >= 0
    order, lab = order[valid], lab[valid]
    if len(lab) == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.flatnonzero(np.r_[True, lab[1:] != lab[:-1]])
    sizes = np.diff(np.r_[starts, len(lab)])
    size_of = np.repeat(sizes, sizes)  # per sorted member: its group size
    start_of = np.repeat(starts, sizes)
    src_sorted = np.repeat(np.arange(len(lab)), size_of)
    # offset within the block for each emitted pair
    block_pos = np.arange(len(src_sorted)) - np.repeat(np.cumsum(size_of) - size_of, size_of)
    dst_sorted = np.repeat(start_of, size_of) + block_pos
    src, dst = order[src_sorted], order[dst_sorted]
    keep = src != dst
    src, dst = src[keep], dst[keep]
    idx = np.argsort(src * max(len(labels), 1) + dst, kind="stable")
    return src[idx], dst[idx]


def membership_graph(
    industry_map: pd.DataFrame,
    rebuild_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    *,
    kind: GraphKind | str = GraphKind.SECTOR,
    universe: Universe = None,
    member_column: str | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Sector or industry graph on each rebuild date, as an edge list (see :mod:`.edges`).

    Args:
        industry_map: contract table (code, start_date, end_date, industry, sector).
        rebuild_dates: dates the graph is built on (and effective from).
        kind: ``GraphKind.SECTOR`` (same sector) or ``GraphKind.INDUSTRY`` (same industry).
        universe: node set per date (long (date, code) table or fixed codes); None = every
            code with an industry on that date. Universe codes without an industry are
            isolated (no edges).
        member_column: optional bool column of a long universe table selecting members.

    Returns:
        Edge list (date, graph, src, dst, weight=1.0), both directions, no self loops.
    """
    kind = GraphKind(kind)
    if kind not in (GraphKind.SECTOR, GraphKind.INDUSTRY):
        raise ValueError(f"membership_graph builds sector/industry graphs, not {kind}")
    column = "sector" if kind is GraphKind.SECTOR else "industry"
    frames = []
    for date in pd.DatetimeIndex(rebuild_dates):
        members = membership_at(industry_map, date, source=source)
        codes = universe_codes(universe, date, member_column=member_column)
        if codes is None:
            codes = members["code"].to_numpy(dtype=object)
        group = pd.Series(members[column].to_numpy(), index=members["code"].to_numpy()).reindex(codes)
        n_missing = int(group.isna().sum())
        if n_missing:
            log.info(
                "%s graph %s: %d of %d nodes have no industry (isolated)", kind, date.date(), n_missing, len(codes)
            )
        labels = np.full(len(codes), -1, dtype=np.int64)
        has = group.notna().to_numpy()
        labels[has] = pd.factorize(group[has])[0]
        src, dst = group_pairs(labels)
        frames.append(edges_frame(date, kind, codes, src, dst, 1.0))
    return concat_edges(frames)
