"""Portfolio stage: signals -> portfolio_weights -> backtest -> backtest_report (per strategy),
plus the blends (R1: GAT+residual and XGBoost, equal weight, 60-day rebalance).

A *strategy* partition key names a model's signal, a preset and a benchmark
(:class:`StrategySpec`); the lead's definitions pass the mapping. Each asset is a thin call
into ``alpha_core.portfolio`` / ``alpha_core.backtest`` / ``alpha_core.reports``.

What each asset reads (every read is a declared input, so lineage records it,
:mod:`alpha_dagster.lib.lineage`):

- ``portfolio_weights``: ``signals`` (the strategy's model), ``raw_bars`` and ``index_weights``
  (every month), ``industry_map``, and the ``bp_lf`` column of ``factor_table`` over the months
  of the decision dates (a dep read through the store, only that column; recorded month by
  month). Only a preset that constrains the BP style (R1, R2) reads it, and then it is required:
  a month of the decision window that is not stored, or a stored month without ``bp_lf``, fails
  the run naming ``factor_table`` and the column. A preset without a BP bound (R3) reads nothing
  of ``factor_table`` (recorded as such).
- ``backtest``: ``portfolio_weights`` (same strategy), ``raw_bars`` and ``index_levels`` (every month).
- ``backtest_report``: ``backtest`` (same strategy), ``signals`` (its model), ``raw_bars``
  (every month); it writes the tear sheet under ``ALPHA_HOME/backtest_report/<strategy>/`` and
  reads nothing else from the store.
- ``strategy_blend``: ``backtest`` of its two strategies; writes its tear sheet under
  ``ALPHA_HOME/strategy_blend/<blend>/``.

Each returns :func:`~alpha_dagster.defs.assets.data.versioned` (content version + recorded reads).
"""

from collections.abc import Mapping
from dataclasses import dataclass

import dagster as dg
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from alpha_core.backtest.costs import CostModel, FillPrice
from alpha_core.backtest.engine import BacktestConfig, bars_panel, benchmark_returns, run_backtest
from alpha_core.metrics.performance import HEADLINE, performance_summary
from alpha_core.portfolio.blend import blend_daily, excess_correlation
from alpha_core.portfolio.enhance import optimize_portfolios, style_frame
from alpha_core.portfolio.presets import BP, PRESETS, PresetName
from alpha_core.portfolio.relaxation import OptimizeStatus
from alpha_core.reports.inline import finite_floats, sparkline_markdown
from alpha_core.reports.signal_inputs import signal_diagnostics
from alpha_core.reports.tears import markdown_table, write_tear_sheet
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.defs.partitions import PartitionScheme, partitions_between
from alpha_dagster.lib.resources import AlphaStore

PORTFOLIO_GROUP = "portfolio"
FACTOR_TABLE = "factor_table"


@dataclass(frozen=True)
class StrategySpec:
    """model: the ``signals`` partition; preset: a :class:`PresetName` (or its value, e.g. ``r1``);
    index_code: the benchmark."""

    model: str
    preset: PresetName = PresetName.R1
    index_code: str = "SH000905"

    def __post_init__(self) -> None:
        object.__setattr__(self, "preset", PresetName(self.preset))


class PortfolioConfig(dg.Config):
    """Run config of ``portfolio_weights``: override the strategy's preset (a :class:`PresetName`
    name, e.g. ``R3``) / benchmark, restrict the decision dates (``start``/``end``, ISO dates, e.g.
    the test folds), block padding."""

    preset: PresetName | None = None
    index_code: str | None = None
    start: str | None = None
    end: str | None = None
    pad: int = 16


class BacktestRunConfig(dg.Config):
    """Run config of ``backtest``: fill price (a :class:`FillPrice` name: VWAP / CLOSE / OPEN),
    execution lag in trading days, cost rates per side (None = the preset's)."""

    fill: FillPrice = FillPrice.VWAP
    lag: int = 1
    buy_rate: float | None = None
    sell_rate: float | None = None


def _floats(summary: Mapping[str, float]) -> dict[str, dg.MetadataValue]:
    return {k: dg.MetadataValue.float(v) for k, v in finite_floats(summary, HEADLINE).items()}


def build_portfolio_assets(
    scheme: PartitionScheme, strategies: Mapping[str, StrategySpec], blends: Mapping[str, tuple[str, str]] | None = None
) -> list[dg.AssetsDefinition]:
    """Assets ``portfolio_weights``, ``backtest``, ``backtest_report`` (partitioned by
    ``scheme.strategies``, whose keys must be the keys of ``strategies``) and, when ``blends``
    maps a blend name to two strategy keys, ``strategy_blend`` partitioned by blend name."""
    missing = set(strategies) - set(scheme.strategies.get_partition_keys())
    if missing:
        raise ValueError(f"strategies {sorted(missing)} are not partitions of scheme.strategies")
    by_model: dict[str, list[str]] = {}
    for key, spec in strategies.items():
        by_model.setdefault(spec.model, []).append(key)
    all_months = dg.AllPartitionMapping()

    @dg.asset(
        group_name=PORTFOLIO_GROUP,
        partitions_def=scheme.strategies,
        kinds={"parquet"},
        ins={
            "signals": dg.AssetIn(partition_mapping=dg.StaticPartitionMapping(by_model)),
            "raw_bars": dg.AssetIn(partition_mapping=all_months),
            "index_weights": dg.AssetIn(partition_mapping=all_months),
        },
        # bp_lf only, read through the store over the decision months (recorded in versioned's reads)
        deps=[dg.AssetDep(FACTOR_TABLE, partition_mapping=all_months)],
        description="Target weights [date, code, weight] of the strategy on its rebalance days (decision "
        "date T; traded on T+1). Index-enhancement LP per preset; relaxations recorded in metadata. Presets "
        "with a BP style bound (R1, R2) read factor_table's bp_lf over the decision months and fail without it.",
    )
    def portfolio_weights(
        context: dg.AssetExecutionContext,
        config: PortfolioConfig,
        alpha_store: AlphaStore,
        signals: pd.DataFrame,
        raw_bars: pd.DataFrame,
        index_weights: pd.DataFrame,
        industry_map: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        spec = strategies[context.partition_key]
        preset = PRESETS[config.preset or spec.preset]
        index_code = config.index_code or spec.index_code
        sig = signals[signals["model"] == spec.model] if "model" in signals else signals
        if config.start:
            sig = sig[sig["date"] >= pd.Timestamp(config.start)]
        if config.end:
            sig = sig[sig["date"] <= pd.Timestamp(config.end)]
        if preset.style_columns([BP]):  # the preset bounds the BP exposure: bp_lf is required
            months = partitions_between(scheme.monthly, sig["date"].min(), sig["date"].max()) if len(sig) else []
            factors = _read_bp(
                alpha_store.store, months, f"portfolio_weights {context.partition_key} (preset {preset.name})"
            )
        else:
            months, factors = [], None
        styles = style_frame(raw_bars, factors)
        panel = bars_panel(raw_bars)
        adj_close = pd.DataFrame(panel["close"] * panel["adj_factor"], index=panel.dates, columns=panel.codes).ffill()
        res = optimize_portfolios(
            sig[["date", "code", "score"]],
            index_weights,
            industry_map,
            preset,
            styles=styles,
            adj_close=adj_close,
            index_code=index_code,
            pad=config.pad,
        )
        relaxed = res.log[res.log["status"] != OptimizeStatus.OPTIMAL]
        out = res.weights.assign(strategy=context.partition_key)
        return versioned(
            out,
            reads={FACTOR_TABLE: months},
            rebalances=len(res.log),
            preset=str(preset.name),
            benchmark=index_code,
            styles=[c for c in styles.columns if c not in ("date", "code")],
            relaxed_rebalances=len(relaxed),
            relaxations=dg.MetadataValue.json(relaxed[["date", "status", "relaxed"]].astype(str).to_dict("records")),
            median_solve_s=dg.MetadataValue.float(float(res.log["seconds"].median()) if len(res.log) else 0.0),
        )

    @dg.asset(
        group_name=PORTFOLIO_GROUP,
        partitions_def=scheme.strategies,
        kinds={"parquet"},
        ins={
            "raw_bars": dg.AssetIn(partition_mapping=all_months),
            "index_levels": dg.AssetIn(partition_mapping=all_months),
        },
        description="Daily backtest (A-share rules, costs, fills): date, nav, ret, bench_ret, excess_ret, cost, "
        "turnover (two-way), cash_weight, n_holdings, blocked_weight.",
    )
    def backtest(
        context: dg.AssetExecutionContext,
        config: BacktestRunConfig,
        portfolio_weights: pd.DataFrame,
        raw_bars: pd.DataFrame,
        index_levels: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        spec = strategies[context.partition_key]
        preset = PRESETS[spec.preset]
        costs = CostModel(
            config.buy_rate if config.buy_rate is not None else preset.costs.buy_rate,
            config.sell_rate if config.sell_rate is not None else preset.costs.sell_rate,
        )
        panel = bars_panel(raw_bars)
        bench = benchmark_returns(index_levels, spec.index_code, panel.dates)
        res = run_backtest(
            panel,
            portfolio_weights[["date", "code", "weight"]],
            BacktestConfig(costs=costs, fill=config.fill, lag=config.lag),
            bench_ret=bench,
        )
        summary = performance_summary(res.daily)
        return versioned(
            res.daily.assign(strategy=context.partition_key),
            rebalances=len(res.trades),
            rebalances_with_locked_names=int((res.trades["n_locked"] > 0).sum()),
            total_cost=dg.MetadataValue.float(float(res.daily["cost"].sum())),
            **_floats(summary),
        )

    @dg.asset(
        group_name=PORTFOLIO_GROUP,
        partitions_def=scheme.strategies,
        kinds={"parquet"},
        ins={
            "signals": dg.AssetIn(partition_mapping=dg.StaticPartitionMapping(by_model)),
            "raw_bars": dg.AssetIn(partition_mapping=all_months),
        },
        description="Tear sheet (cumulative excess + drawdown, RankIC, deciles, monthly heatmap, turnover) as "
        "PNG/HTML under ALPHA_HOME/backtest_report/<strategy>/; the table is the per-year metrics. Metadata: "
        "the cumulative excess / drawdown chart inline and the headline metrics as plottable floats.",
    )
    def backtest_report(
        context: dg.AssetExecutionContext,
        alpha_store: AlphaStore,
        backtest: pd.DataFrame,
        signals: pd.DataFrame,
        raw_bars: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        key = context.partition_key
        spec = strategies[key]
        sig = signals[signals["model"] == spec.model] if "model" in signals else signals
        ic, deciles = signal_diagnostics(sig, bars_panel(raw_bars))
        summary, metadata = _report(
            alpha_store, "backtest_report", key, backtest.drop(columns="strategy"), ic=ic, deciles=deciles
        )
        return versioned(summary, **metadata)

    assets = [portfolio_weights, backtest, backtest_report]
    if blends:
        blend_parts = dg.StaticPartitionsDefinition(list(blends))
        members = {s: [b for b, pair in blends.items() if s in pair] for pair in blends.values() for s in pair}

        @dg.asset(
            group_name=PORTFOLIO_GROUP,
            partitions_def=blend_parts,
            kinds={"parquet"},
            ins={"backtest": dg.AssetIn(partition_mapping=dg.StaticPartitionMapping(members))},
            description="Equal-weight blend of two strategies' backtests, sleeves reset every 60 trading days; "
            "metadata: the daily excess-return correlation of the two, tear sheet links.",
        )
        def strategy_blend(
            context: dg.AssetExecutionContext, alpha_store: AlphaStore, backtest: pd.DataFrame
        ) -> dg.Output[pd.DataFrame]:
            a_key, b_key = blends[context.partition_key]
            a, b = backtest[backtest["strategy"] == a_key], backtest[backtest["strategy"] == b_key]
            daily = blend_daily(a.drop(columns="strategy"), b.drop(columns="strategy"), every=60)
            _, metadata = _report(alpha_store, "strategy_blend", context.partition_key, daily)
            metadata["excess_correlation"] = dg.MetadataValue.float(excess_correlation(a, b))
            return versioned(daily.assign(strategy=context.partition_key), **metadata)

        assets.append(strategy_blend)
    return assets


def _read_bp(store: ParquetStore, months: list[str], who: str) -> pd.DataFrame:
    """[date, code, bp_lf] of ``factor_table`` over ``months``, for a preset that bounds the BP style.

    Raises dg.Failure naming the table and the column when a month is not stored or a stored
    month has no ``bp_lf`` column: without it the portfolio would silently drop a constraint."""
    absent = [m for m in months if not store.exists(FACTOR_TABLE, m)]
    if absent:
        raise dg.Failure(
            description=f"{who} bounds the {BP} style: {FACTOR_TABLE} is not stored for "
            f"{len(absent)} month(s) of its decision dates ({', '.join(absent[:6])}"
            f"{', ...' if len(absent) > 6 else ''}); materialise {FACTOR_TABLE} first"
        )
    lacking = [m for m in months if BP not in pq.read_schema(store.path(FACTOR_TABLE, m)).names]
    if lacking:
        raise dg.Failure(
            description=f"{who} bounds the {BP} style: {FACTOR_TABLE} has no column {BP!r} in "
            f"{len(lacking)} month(s) ({', '.join(lacking[:6])}{', ...' if len(lacking) > 6 else ''})"
        )
    return store.read(FACTOR_TABLE, months, columns=["date", "code", BP])


def _report(
    alpha_store: AlphaStore, table: str, key: str, daily: pd.DataFrame, **charts
) -> tuple[pd.DataFrame, dict[str, object]]:
    """Write the tear sheet next to the table's Parquet files; (per-year table, UI metadata).

    Metadata: the summary / headline tables (Markdown), the HTML and PNG paths, the key charts as
    inline Markdown images (``<chart>_chart``) and the whole period's :data:`HEADLINE` metrics as
    floats (one point per partition in the asset's Plots tab)."""
    out_dir = alpha_store.store.artifact_dir(table, key)
    sheet = write_tear_sheet(out_dir, daily, name=key, **charts)
    excess = np.cumprod(1.0 + daily["excess_ret"].to_numpy(float)) - 1.0
    summary = sheet.summary.reset_index()
    headline = sheet.summary.loc[["all"], HEADLINE]
    return summary.assign(strategy=key), {
        # first, and drawn inside the metadata table (an SVG line under the UI's 1000-character inline limit)
        "cumulative_excess": dg.MetadataValue.md(sparkline_markdown(excess, f"{key} cumulative excess return"))
        if np.isfinite(excess).any()
        else "no backtest day",
        "summary": dg.MetadataValue.md(sheet.summary_md),
        "headline": dg.MetadataValue.md(markdown_table(headline)),
        "html": dg.MetadataValue.path(str(sheet.html)),
        "charts": dg.MetadataValue.json({k: str(p) for k, p in sheet.charts.items()}),
        # inline base64 PNGs: the UI renders data: image sources (under "[Show Markdown]")
        **{f"{k}_chart": dg.MetadataValue.md(md) for k, md in sheet.inline.items()},
        **_floats(sheet.summary.loc["all"]),
    }
