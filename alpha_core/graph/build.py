"""One entry point for every graph of the ``adjacency`` table: :func:`build_adjacency`.

The ``adjacency`` asset and the real-data benchmarks both call it, so a graph kind, its rebuild
frequency and its thresholds are defined once (:class:`AdjacencyBuildConfig`):

- ``sector`` / ``industry`` (R1): membership graphs from ``industry_map``, rebuilt at
  ``r1_frequency`` (year end);
- ``r2_similarity`` (R2): kNN graph of point-in-time fundamentals, ``r2_frequency`` (quarterly);
- ``r3_industry`` / ``r3_flow`` (R3): 80-day mean-correlation graphs of the R3 edge / flow
  series, ``r3_frequency`` (monthly), threshold 0.5.

A graph whose inputs are absent is skipped and named in the returned ``skipped`` mapping with the
reason. Every builder is causal: a rebuild dated T reads rows dated <= T only (tested per module).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from alpha_core.graph.correlation import CorrelationGraphConfig
from alpha_core.graph.edges import GraphKind, check_edges, concat_edges
from alpha_core.graph.r3_graphs import R3_EDGE_FEATURES, R3_FLOW_FEATURES, r3_flow_graph, r3_industry_graph
from alpha_core.graph.schedule import rebuild_dates
from alpha_core.graph.sector import membership_graph
from alpha_core.graph.similarity import SimilarityConfig, similarity_graph


@dataclass(frozen=True)
class AdjacencyBuildConfig:
    """Which graphs, how often each is rebuilt (yearly / quarterly / monthly / weekly) and their parameters."""

    graphs: tuple[GraphKind, ...] = tuple(GraphKind)
    r1_frequency: str = "yearly"  # R1: year end
    r2_frequency: str = "quarterly"  # fundamentals change quarterly
    r2_k: int = 10
    r3_frequency: str = "monthly"  # R3 rebalances monthly
    r3_window: int = 80
    r3_industry_threshold: float = 0.5
    r3_flow_threshold: float = 0.5
    r3_min_features: int | None = None  # None: all features valid; m: mean over >= m valid features
    r3_edge_fields: tuple[str, ...] = tuple(R3_EDGE_FEATURES)
    r3_flow_fields: tuple[str, ...] = tuple(R3_FLOW_FEATURES)


def build_adjacency(calendar: Sequence[pd.Timestamp] | pd.DatetimeIndex, industry_map: pd.DataFrame,
                    fundamentals: pd.DataFrame | None, r3_features: pd.DataFrame | None,
                    config: AdjacencyBuildConfig = AdjacencyBuildConfig()) -> tuple[pd.DataFrame, dict[str, str]]:
    """(edges, skipped): the checked edge list (date, graph, src, dst, weight) of ``config.graphs``
    and, per graph not built, why.

    Args:
        calendar: the trading days (rebuild dates are chosen among them).
        industry_map: contract industry map (sector / industry / R3 industry graph).
        fundamentals: contract fundamentals (R2 similarity); None or empty = skipped.
        r3_features: long (date, code, *R3 edge / flow series) table, e.g. ``factor_table``;
            None = the R3 graphs are skipped.
    """
    wanted = {GraphKind(g) for g in config.graphs}
    frames, skipped = [], {}
    r1 = rebuild_dates(calendar, config.r1_frequency, include_first=True)
    for kind in (GraphKind.SECTOR, GraphKind.INDUSTRY):
        if kind in wanted:
            frames.append(membership_graph(industry_map, r1, kind=kind))
    if GraphKind.R2_SIMILARITY in wanted:
        if fundamentals is not None and len(fundamentals):
            r2 = rebuild_dates(calendar, config.r2_frequency, include_first=True)
            frames.append(similarity_graph(fundamentals, r2, config=SimilarityConfig(k=config.r2_k)))
        else:
            skipped[str(GraphKind.R2_SIMILARITY)] = "no fundamentals"
    r3 = rebuild_dates(calendar, config.r3_frequency, include_first=True)
    for kind, fields, thr in ((GraphKind.R3_INDUSTRY, config.r3_edge_fields, config.r3_industry_threshold),
                              (GraphKind.R3_FLOW, config.r3_flow_fields, config.r3_flow_threshold)):
        if kind not in wanted:
            continue
        if r3_features is None:
            skipped[str(kind)] = "no R3 feature table"
            continue
        missing = [f for f in fields if f not in r3_features.columns]
        if missing or not len(r3_features):
            skipped[str(kind)] = f"missing feature columns {missing}" if missing else "empty R3 feature input"
            continue
        table = r3_features[["date", "code", *fields]]
        cfg = CorrelationGraphConfig(window=config.r3_window, threshold=thr, min_features=config.r3_min_features)
        if kind is GraphKind.R3_INDUSTRY:
            frames.append(r3_industry_graph(industry_map, table, r3, config=cfg, fields=list(fields)))
        else:
            frames.append(r3_flow_graph(table, r3, config=cfg, fields=list(fields)))
    return check_edges(concat_edges(frames), source="adjacency"), skipped
