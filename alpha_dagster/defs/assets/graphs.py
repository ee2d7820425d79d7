"""Graph and macro assets: ``adjacency`` (edge lists of every graph) and ``macro_series``.

Thin wrappers over :mod:`alpha_core.graph` and :mod:`alpha_core.macro`; the maths and the
causality rules live there.
"""

import dagster as dg
import pandas as pd
from pydantic import Field

from alpha_core.graph.build import AdjacencyBuildConfig, build_adjacency
from alpha_core.graph.edges import GraphKind
from alpha_core.graph.nodes import listed_stocks
from alpha_core.graph.schedule import RebuildFrequency
from alpha_core.graph.stats import edge_list_stats, latest_rebuilds
from alpha_core.macro.state import GapPolicy, MacroStateConfig, build_macro_state, gap_table
from alpha_core.reports.tears import markdown_table
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.lib.resources import MarketData

GRAPH_GROUP = "graphs"
_ADJ = AdjacencyBuildConfig()  # the library's defaults, shown as the run config's
_MACRO = MacroStateConfig()


class AdjacencyConfig(dg.Config):
    """Run config of ``adjacency`` (:class:`~alpha_core.graph.build.AdjacencyBuildConfig`).

    Enum fields by member name, e.g. ``graphs: [INDUSTRY, R3_FLOW]``; ``frequencies`` maps a
    graph kind (value, e.g. ``industry``) to a :class:`RebuildFrequency` name (``QUARTERLY``)
    overriding the kind's default (sector / industry yearly, r2_similarity quarterly, r3 monthly).
    """

    graphs: list[GraphKind] = Field(default_factory=lambda: list(_ADJ.graphs))
    frequencies: dict[str, RebuildFrequency] = {}
    r3_window: int = _ADJ.r3_window
    r3_industry_threshold: float = _ADJ.r3_industry_threshold
    r3_flow_threshold: float = _ADJ.r3_flow_threshold
    r3_min_features: int | None = _ADJ.r3_min_features  # None: all features valid; m: mean over >= m valid
    r3_edge_fields: list[str] = list(_ADJ.r3_edge_fields)
    r3_flow_fields: list[str] = list(_ADJ.r3_flow_fields)
    r2_k: int = _ADJ.r2_k

    def build_config(self) -> AdjacencyBuildConfig:
        """The library config (graph-kind keys of ``frequencies`` checked against :class:`GraphKind`)."""
        return AdjacencyBuildConfig(
            graphs=tuple(self.graphs),
            frequencies={GraphKind(k): v for k, v in self.frequencies.items()},
            r2_k=self.r2_k,
            r3_window=self.r3_window,
            r3_industry_threshold=self.r3_industry_threshold,
            r3_flow_threshold=self.r3_flow_threshold,
            r3_min_features=self.r3_min_features,
            r3_edge_fields=tuple(self.r3_edge_fields),
            r3_flow_fields=tuple(self.r3_flow_fields),
        )


class MacroSeriesConfig(dg.Config):
    """Run config of ``macro_series`` (:class:`~alpha_core.macro.state.MacroStateConfig`);
    ``gap_policy`` a :class:`GapPolicy` name, e.g. ``RAISE``."""

    gap_policy: GapPolicy = _MACRO.gap_policy
    hp_lambda: float = _MACRO.hp_lambda
    hp_min_periods: int = _MACRO.hp_min_periods
    r_star_window: int = _MACRO.r_star_window
    r_star_min_periods: int = _MACRO.r_star_min_periods
    max_gap_days: int = _MACRO.max_gap_days


def _stats_markdown(stats: pd.DataFrame) -> str:
    """Per graph: rebuilds and the latest rebuild's statistics, as a markdown table."""
    if stats.empty:
        return "no edges"
    return markdown_table(latest_rebuilds(stats), percent=set(), digits=0, column_digits={"density": 4})


def _adjacency(
    context: dg.AssetExecutionContext,
    config: AdjacencyConfig,
    market: MarketData,
    industry_map: pd.DataFrame,
    fundamentals: pd.DataFrame,
    r3_features: pd.DataFrame | None,
) -> dg.Output[pd.DataFrame]:
    """Body of the ``adjacency`` asset (``r3_features`` None: no R3 input wired)."""
    source = market.open()
    edges, skipped = build_adjacency(source.calendar(), industry_map, fundamentals, r3_features, config.build_config())
    for kind, why in skipped.items():
        context.log.warning("adjacency: graph %s not built: %s", kind, why)
    # node set of every rebuild date: the stocks listed that day, so stocks without an
    # industry / features show up as isolated nodes in the statistics
    instruments = source.instruments()
    nodes = {pd.Timestamp(d): listed_stocks(instruments, pd.Timestamp(d)) for d in edges["date"].unique()}
    stats = edge_list_stats(edges, nodes)
    per_graph = {str(g): int((edges["graph"] == str(g)).sum()) for g in GraphKind}
    return versioned(
        edges,
        graph_stats=dg.MetadataValue.md(_stats_markdown(stats)),
        edges_per_graph=dg.MetadataValue.json(per_graph),
        skipped_graphs=dg.MetadataValue.json(skipped),
        stats_by_date=dg.MetadataValue.json(
            stats.assign(date=stats["date"].dt.strftime("%Y-%m-%d")).to_dict(orient="records") if len(stats) else []
        ),
        max_isolated=dg.MetadataValue.float(float(stats["isolated"].max()) if len(stats) else 0.0),
    )


def build_graph_assets(*, r3_features_asset: str | None = "factor_table") -> list[dg.AssetsDefinition]:
    """``adjacency`` and ``macro_series``.

    Args:
        r3_features_asset: asset holding the R3 edge/flow series as columns of a long
            (date, code, ...) table (default ``factor_table``); None = no such input (R3
            graphs skipped). Graphs whose columns are absent are skipped; both cases are
            listed in the ``skipped_graphs`` metadata.
    """
    description = (
        "Edge lists (date = rebuild date the graph is effective from, graph, src, dst, weight) of the "
        "sector / industry graphs (R1, year end), R3 industry + capital-flow graphs (monthly, 80-day "
        "correlations) and R2 fundamental-similarity kNN graph (quarterly). Both directions, no self loops."
    )
    ins = {"industry_map": dg.AssetIn("industry_map"), "fundamentals": dg.AssetIn("fundamentals")}
    if r3_features_asset is not None:

        @dg.asset(
            name="adjacency",
            group_name=GRAPH_GROUP,
            kinds={"parquet"},
            description=description,
            ins={**ins, "r3_features": dg.AssetIn(r3_features_asset)},
        )
        def adjacency(
            context: dg.AssetExecutionContext,
            config: AdjacencyConfig,
            market: MarketData,
            industry_map: pd.DataFrame,
            fundamentals: pd.DataFrame,
            r3_features: pd.DataFrame,
        ) -> dg.Output[pd.DataFrame]:
            return _adjacency(context, config, market, industry_map, fundamentals, r3_features)
    else:

        @dg.asset(name="adjacency", group_name=GRAPH_GROUP, kinds={"parquet"}, description=description, ins=ins)
        def adjacency(
            context: dg.AssetExecutionContext,
            config: AdjacencyConfig,
            market: MarketData,
            industry_map: pd.DataFrame,
            fundamentals: pd.DataFrame,
        ) -> dg.Output[pd.DataFrame]:
            return _adjacency(context, config, market, industry_map, fundamentals, None)

    @dg.asset(
        group_name=GRAPH_GROUP,
        kinds={"parquet"},
        description="R3 macro state per trading day with publication lags: ln M2, d ln M2, ONE-SIDED HP trend "
        "ln M2* and gap, 10y yield r, rolling r*, r - r*, and imputation flags. Gaps reported in metadata.",
    )
    def macro_series(
        context: dg.AssetExecutionContext, config: MacroSeriesConfig, market: MarketData, macro_raw: pd.DataFrame
    ) -> dg.Output[pd.DataFrame]:
        cfg = MacroStateConfig(
            hp_lambda=config.hp_lambda,
            hp_min_periods=config.hp_min_periods,
            r_star_window=config.r_star_window,
            r_star_min_periods=config.r_star_min_periods,
            max_gap_days=config.max_gap_days,
            gap_policy=config.gap_policy,
        )
        table, summary = build_macro_state(macro_raw, market.open().calendar(), cfg)
        md = markdown_table(gap_table(summary), percent=set(), digits=0)
        return versioned(
            table,
            gap_policy=summary["gap_policy"],
            causal=summary["causal"],
            gaps=dg.MetadataValue.md(md),
            summary=dg.MetadataValue.json(summary),
            r_imputed_days=dg.MetadataValue.float(float(summary["series"]["cgb10y"]["flagged_trading_days"])),
            m2_imputed_days=dg.MetadataValue.float(float(summary["series"]["m2"]["flagged_trading_days"])),
        )

    return [adjacency, macro_series]
