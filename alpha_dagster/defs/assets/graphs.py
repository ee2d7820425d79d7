"""Graph and macro assets: ``adjacency`` (edge lists of every graph) and ``macro_series``.

Thin wrappers over :mod:`alpha_core.graph` and :mod:`alpha_core.macro`; the maths and the
causality rules live there.
"""


import dagster as dg
import pandas as pd

from alpha_core.graph.build import AdjacencyBuildConfig, build_adjacency
from alpha_core.graph.edges import GraphKind
from alpha_core.graph.r3_graphs import R3_EDGE_FEATURES, R3_FLOW_FEATURES
from alpha_core.graph.stats import edge_list_stats
from alpha_core.macro.state import GapPolicy, MacroStateConfig, build_macro_state
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.lib.resources import MarketData

GRAPH_GROUP = "graphs"


class AdjacencyConfig(dg.Config):
    """Run config of ``adjacency`` (frequencies: yearly / quarterly / monthly / weekly)."""

    graphs: list[str] = [str(g) for g in GraphKind]
    r1_frequency: str = "yearly"  # R1: year end
    r2_frequency: str = "quarterly"  # fundamentals change quarterly
    r3_frequency: str = "monthly"  # R3 rebalances monthly
    r3_window: int = 80
    r3_industry_threshold: float = 0.5
    r3_flow_threshold: float = 0.5
    r3_min_features: int | None = None  # None: all features valid; m: mean over >= m valid features
    r3_edge_fields: list[str] = list(R3_EDGE_FEATURES)
    r3_flow_fields: list[str] = list(R3_FLOW_FEATURES)
    r2_k: int = 10


class MacroSeriesConfig(dg.Config):
    """Run config of ``macro_series``; ``gap_policy`` is a :class:`GapPolicy` value."""

    gap_policy: str = str(GapPolicy.FORWARD_FILL_WITH_FLAG)
    hp_lambda: float = 14400.0
    hp_min_periods: int = 24
    r_star_window: int = 252
    r_star_min_periods: int = 60
    max_gap_days: int = 45


def _stats_markdown(stats: pd.DataFrame) -> str:
    """Per graph: rebuilds and the latest rebuild's statistics, as a markdown table."""
    if stats.empty:
        return "no edges"
    last = stats.sort_values("date").groupby("graph").tail(1).set_index("graph")
    count = stats.groupby("graph").size()
    lines = ["| graph | rebuilds | last date | nodes | edges | density | isolated | degree q50 | degree max |",
             "|---|---|---|---|---|---|---|---|---|"]
    for g, row in last.iterrows():
        lines.append(f"| {g} | {count[g]} | {row['date'].date()} | {row['nodes']} | {row['edges']} | "
                     f"{row['density']:.4f} | {row['isolated']} | {row['degree_q50']:.0f} | {row['degree_q100']:.0f} |")
    return "\n".join(lines)


def _listed_codes(instruments: pd.DataFrame, day: pd.Timestamp) -> list[str]:
    """Stocks listed on ``day`` (indices excluded): the node set that exposes isolated stocks."""
    live = ((instruments["list_date"] <= day) & (instruments["delist_date"].isna() | (instruments["delist_date"] > day))
            & (instruments["board"] != "index"))
    return sorted(instruments.loc[live, "code"].astype(str).unique())


def _adjacency(context: dg.AssetExecutionContext, config: AdjacencyConfig, market: MarketData,
               industry_map: pd.DataFrame, fundamentals: pd.DataFrame,
               r3_features: pd.DataFrame | None) -> dg.Output[pd.DataFrame]:
    """Body of the ``adjacency`` asset (``r3_features`` None: no R3 input wired)."""
    source = market.open()
    cfg = AdjacencyBuildConfig(
        graphs=tuple(GraphKind(g) for g in config.graphs), r1_frequency=config.r1_frequency,
        r2_frequency=config.r2_frequency, r2_k=config.r2_k, r3_frequency=config.r3_frequency,
        r3_window=config.r3_window, r3_industry_threshold=config.r3_industry_threshold,
        r3_flow_threshold=config.r3_flow_threshold, r3_min_features=config.r3_min_features,
        r3_edge_fields=tuple(config.r3_edge_fields), r3_flow_fields=tuple(config.r3_flow_fields))
    edges, skipped = build_adjacency(source.calendar(), industry_map, fundamentals, r3_features, cfg)
    for kind, why in skipped.items():
        context.log.warning("adjacency: graph %s not built: %s", kind, why)
    # node set of every rebuild date: the stocks listed that day, so stocks without an
    # industry / features show up as isolated nodes in the statistics
    instruments = source.instruments()
    nodes = {pd.Timestamp(d): _listed_codes(instruments, pd.Timestamp(d)) for d in edges["date"].unique()}
    stats = edge_list_stats(edges, nodes)
    per_graph = {str(g): int((edges["graph"] == str(g)).sum()) for g in GraphKind}
    return versioned(
        edges,
        graph_stats=dg.MetadataValue.md(_stats_markdown(stats)),
        edges_per_graph=dg.MetadataValue.json(per_graph),
        skipped_graphs=dg.MetadataValue.json(skipped),
        stats_by_date=dg.MetadataValue.json(
            stats.assign(date=stats["date"].dt.strftime("%Y-%m-%d")).to_dict(orient="records") if len(stats) else []),
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
    description = ("Edge lists (date = rebuild date the graph is effective from, graph, src, dst, weight) of the "
                   "sector / industry graphs (R1, year end), R3 industry + capital-flow graphs (monthly, 80-day "
                   "correlations) and R2 fundamental-similarity kNN graph (quarterly). Both directions, no self loops.")
    ins = {"industry_map": dg.AssetIn("industry_map"), "fundamentals": dg.AssetIn("fundamentals")}
    if r3_features_asset is not None:
        @dg.asset(name="adjacency", group_name=GRAPH_GROUP, kinds={"parquet"}, description=description,
                  ins={**ins, "r3_features": dg.AssetIn(r3_features_asset)})
        def adjacency(context: dg.AssetExecutionContext, config: AdjacencyConfig, market: MarketData,
                      industry_map: pd.DataFrame, fundamentals: pd.DataFrame,
                      r3_features: pd.DataFrame) -> dg.Output[pd.DataFrame]:
            return _adjacency(context, config, market, industry_map, fundamentals, r3_features)
    else:
        @dg.asset(name="adjacency", group_name=GRAPH_GROUP, kinds={"parquet"}, description=description, ins=ins)
        def adjacency(context: dg.AssetExecutionContext, config: AdjacencyConfig, market: MarketData,
                      industry_map: pd.DataFrame, fundamentals: pd.DataFrame) -> dg.Output[pd.DataFrame]:
            return _adjacency(context, config, market, industry_map, fundamentals, None)

    @dg.asset(
        group_name=GRAPH_GROUP,
        kinds={"parquet"},
        description="R3 macro state per trading day with publication lags: ln M2, d ln M2, ONE-SIDED HP trend "
        "ln M2* and gap, 10y yield r, rolling r*, r - r*, and imputation flags. Gaps reported in metadata.",
    )
    def macro_series(context: dg.AssetExecutionContext, config: MacroSeriesConfig, market: MarketData,
                     macro_raw: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        cfg = MacroStateConfig(hp_lambda=config.hp_lambda, hp_min_periods=config.hp_min_periods,
                               r_star_window=config.r_star_window, r_star_min_periods=config.r_star_min_periods,
                               max_gap_days=config.max_gap_days, gap_policy=GapPolicy(config.gap_policy))
        table, summary = build_macro_state(macro_raw, market.open().calendar(), cfg)
        gaps = [f"| {name} | {g['after']} | {g['before']} | {g['first_missing_month']}..{g['last_missing_month']} "
                f"| {g['months']} |" for name, s in summary["series"].items() for g in s["gaps"]]
        md = "| series | last obs before | first obs after | missing months | n |\n|---|---|---|---|---|\n" + \
            ("\n".join(gaps) if gaps else "| - | - | - | none | 0 |")
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
