"""R3 (PINN-MTICG) graphs: industry graph with cross-industry edges, and capital-flow graph.

Industry graph (R3 section 3.1): on each rebuild date,
    edge (i, j), weight 1        if i and j share a Shenwan level-1 industry, plus
    edge (i, j), weight c_ij     if they do not and c_ij > threshold,
where c_ij is the equal-weighted mean of the 80-day correlations of the EDGE features
(correlation with the industry return, leverage difference, revenue-growth z-score,
cash-flow share; R3 table 5) — see :mod:`alpha_core.graph.correlation`.

Capital-flow graph: edge (i, j), weight c_ij, iff the mean 80-day correlation of the
FLOW features (signed amount, turnover change, price-volume correlation) exceeds the
threshold.

Both take generic feature inputs, so they do not depend on who computes the features:
a long (date, code, feature...) table or a :class:`~alpha_core.data.panel.Panel`, plus
the names of the columns to use. Windows end at the rebuild date (inclusive).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.graph.correlation import (
    CorrelationGraphConfig,
    as_panel,
    correlation_edges,
    log_skipped_dates,
    rolling_correlation_graph,
    window_arrays,
)
from alpha_core.graph.edges import GraphKind, concat_edges, edges_frame, symmetrise
from alpha_core.graph.nodes import Universe, universe_codes
from alpha_core.graph.sector import group_pairs, membership_at

log = logging.getLogger(__name__)

R3_EDGE_FEATURES = ("cor_ret", "dlev", "z_rev", "cfr")
"""Edge-feature columns of :mod:`alpha_core.factors.r3_nodes` (``EDGE_FACTORS``)."""
R3_FLOW_FEATURES = ("flow_f", "deltatr", "corpv")
"""Flow-feature columns of :mod:`alpha_core.factors.r3_nodes` (``FLOW_FACTORS``)."""


def r3_industry_graph(
    industry_map: pd.DataFrame,
    edge_features: Panel | pd.DataFrame,
    rebuild_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    *,
    config: CorrelationGraphConfig = CorrelationGraphConfig(window=80, threshold=0.5),
    fields: Sequence[str] | None = None,
    universe: Universe = None,
    member_column: str | None = None,
    include_same_industry: bool = True,
) -> pd.DataFrame:
    """R3 industry graph: same-industry edges (weight 1) + cross-industry correlation edges.

    Args:
        industry_map: contract table; industries as of each rebuild date.
        edge_features: long (date, code, *fields) table or Panel of edge features.
        rebuild_dates: build dates (window of ``config.window`` days ending there).
        config: correlation threshold (and optional top-k) for cross-industry edges.
        fields: edge-feature columns (default: all feature columns of ``edge_features``;
            with the factor table pass ``R3_EDGE_FEATURES``).
        universe: node set per date (default: codes with an industry on that date).
        include_same_industry: False stores only the cross-industry edges (the same-industry
            block is the ``industry`` graph; about N^2 / n_industries rows per rebuild, which
            for 5,000 stocks rebuilt monthly is ~10^8 rows a decade).

    Returns:
        Edge list with graph = ``r3_industry``.
    """
    panel, names = as_panel(edge_features, fields)
    frames, skipped = [], []
    for date in pd.DatetimeIndex(rebuild_dates):
        members = membership_at(industry_map, date)
        codes = universe_codes(universe, date, member_column=member_column)
        codes = members["code"].to_numpy(dtype=object) if codes is None else codes
        ind = pd.Series(members["industry"].to_numpy(), index=members["code"].to_numpy()).reindex(codes)
        labels = np.full(len(codes), -1, dtype=np.int64)
        has = ind.notna().to_numpy()
        labels[has] = pd.factorize(ind[has])[0]
        s_in, d_in = group_pairs(labels) if include_same_industry else (np.zeros(0, np.int64),) * 2
        w_in = np.ones(len(s_in))
        wins = window_arrays(panel, date, codes, names, config.window)
        if wins is None:
            skipped.append(pd.Timestamp(date))
            s_x = d_x = np.zeros(0, np.int64)
            w_x = np.zeros(0)
        else:
            s_x, d_x, w_x = correlation_edges(wins, config, exclude_labels=labels)
        src, dst, w = symmetrise(np.r_[s_in, s_x], np.r_[d_in, d_x], np.r_[w_in, w_x], len(codes))
        frames.append(edges_frame(date, GraphKind.R3_INDUSTRY, codes, src, dst, w))
    log_skipped_dates(
        str(GraphKind.R3_INDUSTRY),
        skipped,
        len(rebuild_dates),
        f"fewer than {config.window} days of edge features; industry edges only",
    )
    return concat_edges(frames)


def r3_flow_graph(
    flow_features: Panel | pd.DataFrame,
    rebuild_dates: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    *,
    config: CorrelationGraphConfig = CorrelationGraphConfig(window=80, threshold=0.5),
    fields: Sequence[str] | None = None,
    universe: Universe = None,
    member_column: str | None = None,
) -> pd.DataFrame:
    """R3 capital-flow graph: edges where the mean 80-day flow-feature correlation > threshold.

    Returns:
        Edge list with graph = ``r3_flow`` and weight = mean correlation.
    """
    return rolling_correlation_graph(
        flow_features,
        rebuild_dates,
        kind=GraphKind.R3_FLOW,
        config=config,
        fields=fields,
        universe=universe,
        member_column=member_column,
    )
