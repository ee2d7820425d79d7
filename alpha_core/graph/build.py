"""One entry point for every graph of the ``adjacency`` table: :func:`build_adjacency`.

The ``adjacency`` asset and the real-data experiments both call it. Every graph kind is one
entry of the read-only table :data:`GRAPH_KINDS` (:class:`GraphKind` -> :class:`GraphSpec`):
its builder, its default rebuild frequency and the check of its inputs. Adding a graph kind
takes its builder plus one entry. The defaults:

===============  =========================================================  ==========
graph            builder                                                    rebuilt
===============  =========================================================  ==========
sector           R1 membership graph of ``industry_map`` (same sector)      yearly
industry         R1 membership graph (same level-1 industry)                yearly
r2_similarity    R2 kNN graph of point-in-time fundamentals (k = 10)        quarterly
r3_industry      R3 industry + cross-industry graph, 80-day mean corr. > .5 monthly
r3_flow          R3 capital-flow graph, 80-day mean correlation > 0.5       monthly
===============  =========================================================  ==========

Rebuild dates are the last trading day of each period plus the first trading day
(:func:`~alpha_core.graph.schedule.rebuild_dates` with ``include_first``). A graph whose inputs
are absent is skipped and named in the returned ``skipped`` mapping with the reason. Every
builder is causal: a rebuild dated T reads rows dated <= T only (tested per module).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

import pandas as pd

from alpha_core.graph.correlation import CorrelationGraphConfig
from alpha_core.graph.edges import GraphKind, check_edges, concat_edges
from alpha_core.graph.r3_graphs import R3_EDGE_FEATURES, R3_FLOW_FEATURES, r3_flow_graph, r3_industry_graph
from alpha_core.graph.schedule import RebuildFrequency, rebuild_dates
from alpha_core.graph.sector import membership_graph
from alpha_core.graph.similarity import SimilarityConfig, similarity_graph


@dataclass(frozen=True)
class GraphInputs:
    """The tables graphs are built from.

    Args:
        industry_map: contract industry map (sector / industry / R3 industry graph).
        fundamentals: contract fundamentals (R2 similarity); None or empty = absent.
        r3_features: long (date, code, *R3 edge / flow series) table, e.g. ``factor_table``;
            None = absent.
    """

    industry_map: pd.DataFrame
    fundamentals: pd.DataFrame | None = None
    r3_features: pd.DataFrame | None = None


@dataclass(frozen=True)
class AdjacencyBuildConfig:
    """Which graphs, per graph kind an optional rebuild frequency, and the builders' parameters.

    Args:
        graphs: the kinds to build (default every :class:`GraphKind`).
        frequencies: rebuild frequency per kind, overriding the table's default
            (:attr:`GraphSpec.frequency`); kinds not named keep theirs.
        r2_k: neighbours of the R2 kNN similarity graph (default 10).
        r3_window: trading days of the R3 rolling correlations (default 80).
        r3_industry_threshold, r3_flow_threshold: mean-correlation thresholds c_ij > t of the
            cross-industry and capital-flow edges (default 0.5).
        r3_min_features: None: a pair's mean correlation needs every feature valid; m: the
            mean over >= m valid features.
        r3_edge_fields, r3_flow_fields: the R3 edge / flow series (columns of ``r3_features``).
    """

    graphs: tuple[GraphKind, ...] = tuple(GraphKind)
    frequencies: Mapping[GraphKind, RebuildFrequency] = field(default_factory=lambda: MappingProxyType({}))
    r2_k: int = 10
    r3_window: int = 80
    r3_industry_threshold: float = 0.5
    r3_flow_threshold: float = 0.5
    r3_min_features: int | None = None
    r3_edge_fields: tuple[str, ...] = tuple(R3_EDGE_FEATURES)
    r3_flow_fields: tuple[str, ...] = tuple(R3_FLOW_FEATURES)

    def __post_init__(self) -> None:  # a read-only copy, values as enums
        object.__setattr__(
            self, "frequencies", MappingProxyType({k: RebuildFrequency(v) for k, v in self.frequencies.items()})
        )


GraphBuilder = Callable[[GraphInputs, pd.DatetimeIndex, AdjacencyBuildConfig], pd.DataFrame]
"""(inputs, rebuild dates, config) -> edge list (:data:`~alpha_core.graph.edges.EDGE_COLUMNS`)."""
InputCheck = Callable[[GraphInputs, AdjacencyBuildConfig], "str | None"]
"""(inputs, config) -> why the graph cannot be built, or None when its inputs are there."""


def _always_present(inputs: GraphInputs, config: AdjacencyBuildConfig) -> None:
    return None


@dataclass(frozen=True)
class GraphSpec:
    """One graph kind: how it is built and how often by default.

    Args:
        build: the builder (:data:`GraphBuilder`); called only when ``absent`` returns None.
        frequency: default rebuild frequency (:class:`RebuildFrequency`).
        absent: the check of the builder's inputs (:data:`InputCheck`; default: always present).
    """

    build: GraphBuilder
    frequency: RebuildFrequency
    absent: InputCheck = _always_present


def _membership(kind: GraphKind) -> GraphBuilder:
    def build(inputs: GraphInputs, dates: pd.DatetimeIndex, config: AdjacencyBuildConfig) -> pd.DataFrame:
        return membership_graph(inputs.industry_map, dates, kind=kind)

    return build


def _similarity(inputs: GraphInputs, dates: pd.DatetimeIndex, config: AdjacencyBuildConfig) -> pd.DataFrame:
    return similarity_graph(inputs.fundamentals, dates, config=SimilarityConfig(k=config.r2_k))


def _no_fundamentals(inputs: GraphInputs, config: AdjacencyBuildConfig) -> str | None:
    return None if inputs.fundamentals is not None and len(inputs.fundamentals) else "no fundamentals"


def _r3_missing(inputs: GraphInputs, fields: tuple[str, ...]) -> str | None:
    if inputs.r3_features is None:
        return "no R3 feature table"
    missing = [f for f in fields if f not in inputs.r3_features.columns]
    if missing:
        return f"missing feature columns {missing}"
    return None if len(inputs.r3_features) else "empty R3 feature input"


def _no_r3_edge_features(inputs: GraphInputs, config: AdjacencyBuildConfig) -> str | None:
    return _r3_missing(inputs, config.r3_edge_fields)


def _no_r3_flow_features(inputs: GraphInputs, config: AdjacencyBuildConfig) -> str | None:
    return _r3_missing(inputs, config.r3_flow_fields)


def _r3_config(config: AdjacencyBuildConfig, threshold: float) -> CorrelationGraphConfig:
    return CorrelationGraphConfig(window=config.r3_window, threshold=threshold, min_features=config.r3_min_features)


def _r3_industry(inputs: GraphInputs, dates: pd.DatetimeIndex, config: AdjacencyBuildConfig) -> pd.DataFrame:
    fields = list(config.r3_edge_fields)
    return r3_industry_graph(
        inputs.industry_map,
        inputs.r3_features[["date", "code", *fields]],
        dates,
        config=_r3_config(config, config.r3_industry_threshold),
        fields=fields,
    )


def _r3_flow(inputs: GraphInputs, dates: pd.DatetimeIndex, config: AdjacencyBuildConfig) -> pd.DataFrame:
    fields = list(config.r3_flow_fields)
    return r3_flow_graph(
        inputs.r3_features[["date", "code", *fields]],
        dates,
        config=_r3_config(config, config.r3_flow_threshold),
        fields=fields,
    )


GRAPH_KINDS: Mapping[GraphKind, GraphSpec] = MappingProxyType(
    {
        GraphKind.SECTOR: GraphSpec(_membership(GraphKind.SECTOR), RebuildFrequency.YEARLY),  # R1: year end
        GraphKind.INDUSTRY: GraphSpec(_membership(GraphKind.INDUSTRY), RebuildFrequency.YEARLY),
        # fundamentals change quarterly
        GraphKind.R2_SIMILARITY: GraphSpec(_similarity, RebuildFrequency.QUARTERLY, _no_fundamentals),
        # R3 rebalances monthly
        GraphKind.R3_INDUSTRY: GraphSpec(_r3_industry, RebuildFrequency.MONTHLY, _no_r3_edge_features),
        GraphKind.R3_FLOW: GraphSpec(_r3_flow, RebuildFrequency.MONTHLY, _no_r3_flow_features),
    }
)
"""The graph kinds of the ``adjacency`` table (read only), in build order."""


def rebuild_frequency(
    kind: StrEnum,
    config: AdjacencyBuildConfig = AdjacencyBuildConfig(),
    table: Mapping[StrEnum, GraphSpec] = GRAPH_KINDS,
) -> RebuildFrequency:
    """The rebuild frequency of ``kind``: ``config.frequencies[kind]``, else the table's default."""
    return RebuildFrequency(config.frequencies.get(kind, table[kind].frequency))


def build_adjacency(
    calendar: Sequence[pd.Timestamp] | pd.DatetimeIndex,
    industry_map: pd.DataFrame,
    fundamentals: pd.DataFrame | None,
    r3_features: pd.DataFrame | None,
    config: AdjacencyBuildConfig = AdjacencyBuildConfig(),
    *,
    table: Mapping[StrEnum, GraphSpec] = GRAPH_KINDS,
) -> tuple[pd.DataFrame, dict[str, str]]:
    """(edges, skipped): the checked edge list (date, graph, src, dst, weight) of ``config.graphs``
    and, per graph not built, why.

    For each kind of ``table`` (in its order) that ``config.graphs`` names: rebuild dates =
    ``rebuild_dates(calendar, rebuild_frequency(kind), include_first=True)``, then the entry's
    builder, unless its input check names what is absent.

    Args:
        calendar: the trading days (rebuild dates are chosen among them).
        industry_map, fundamentals, r3_features: see :class:`GraphInputs` (None = absent).
        config: :class:`AdjacencyBuildConfig`.
        table: graph kind -> :class:`GraphSpec` (default :data:`GRAPH_KINDS`).

    Raises:
        ValueError: ``config.graphs`` names a kind the table lacks.
    """
    unknown = [str(g) for g in config.graphs if g not in table]
    if unknown:
        raise ValueError(f"no builder for graph kind(s) {unknown}; known: {[str(k) for k in table]}")
    wanted = set(config.graphs)
    inputs = GraphInputs(industry_map, fundamentals, r3_features)
    dates: dict[RebuildFrequency, pd.DatetimeIndex] = {}
    frames, skipped = [], {}
    for kind, spec in table.items():
        if kind not in wanted:
            continue
        why = spec.absent(inputs, config)
        if why is not None:
            skipped[str(kind)] = why
            continue
        freq = rebuild_frequency(kind, config, table)
        if freq not in dates:
            dates[freq] = rebuild_dates(calendar, freq, include_first=True)
        frames.append(spec.build(inputs, dates[freq], config))
    return check_edges(concat_edges(frames), source="adjacency"), skipped
