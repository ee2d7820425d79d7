"""Feature assets: ``universe``, ``factor_table`` and ``labels`` (monthly partitions).

Thin wrappers over :mod:`alpha_core.universe`, :mod:`alpha_core.factors` and
:mod:`alpha_core.labels`; the maths and the causality rules live there. Lookbacks and the
label horizon are partition mappings, so rerunning one ``raw_bars`` month marks exactly the
downstream months that read it as stale:

- ``universe`` reads ``raw_bars`` 15 months back (the 1-year means at the previous quarter end);
- ``factor_table`` reads ``raw_bars`` / ``consensus`` 26 months back (``MAX_LOOKBACK_MONTHS``; bias_turn_1m: 504 days);
  its fundamentals / consensus expire ``FactorTableConfig`` days after their announcement, and it
  reports the age of each stock's newest report (metadata and the ``fundamentals_fresh`` check);
- ``labels`` reads ``raw_bars`` 2 months ahead (y_month: T+22) -- labels are for training and
  evaluation only, never features.
"""

from collections.abc import Iterator

import dagster as dg
import pandas as pd

from alpha_core.factors import FACTOR_SETS, FactorInputs, FactorSet, compute_factors, factor_coverage
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.pit import DEFAULT_MAX_AGE_DAYS, PitConfig
from alpha_core.factors.staleness import ReportStaleness, report_staleness
from alpha_core.labels import LABELS, compute_labels
from alpha_core.progress import ProgressLog
from alpha_core.reports.tears import markdown_table
from alpha_core.universe import UNIVERSE_COLUMNS, UniverseConfig, build_universe
from alpha_dagster.defs.assets.data import versioned
from alpha_dagster.defs.checks.staleness import stale_reports_result, stale_reports_spec
from alpha_dagster.defs.partitions import PartitionScheme, lead, lookback, window_bounds

FEATURE_GROUP = "features"
UNIVERSE_LOOKBACK_MONTHS = 15


class FactorTableConfig(dg.Config):
    """Run config of ``factor_table``: the named factor sets (:class:`FactorSet` values) to compute and
    the point-in-time expiry in calendar days (:class:`~alpha_core.factors.pit.PitConfig`; None: never).

    Default: every set but ``alpha360`` (360 float32 columns, ~9x the rest of the table; the
    sequence models read their windows from the bars instead): add it here when a model needs it."""

    factor_sets: list[str] = [str(s) for s in FactorSet if s is not FactorSet.ALPHA360]
    fundamentals_max_age_days: int | None = DEFAULT_MAX_AGE_DAYS
    consensus_max_age_days: int | None = DEFAULT_MAX_AGE_DAYS


class UniverseAssetConfig(dg.Config):
    """Run config of ``universe`` (SPEC section 2 defaults)."""

    min_listed_days: int = 63
    top: float = 0.6
    top_xgb: float = 0.9


def _coverage_markdown(coverage: dict[str, float], absent: dict[str, str]) -> str:
    """Per factor: its coverage (3 decimals) and why it is absent (blank when computed)."""
    table = pd.DataFrame(
        {"coverage": list(coverage.values()), "note": [str(absent.get(name, "")) for name in coverage]},
        index=pd.Index(list(coverage), name="factor"),
    )
    return markdown_table(table, percent=set(), digits=3)


def _optional(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return df if df is not None and len(df) > 0 else None


def _report_staleness(
    table: pd.DataFrame, fundamentals: pd.DataFrame | None, max_age_days: int | None
) -> ReportStaleness:
    """Newest-report ages of the stocks with a row on the table's last date."""
    last = table["date"].max() if len(table) else pd.Timestamp("NaT")
    codes = pd.Index(table.loc[table["date"] == last, "code"].astype(str).unique()) if len(table) else pd.Index([])
    return report_staleness(fundamentals, codes, last, max_age_days)


def build_feature_assets(scheme: PartitionScheme) -> list[dg.AssetsDefinition]:
    """The three feature assets on ``scheme.monthly``."""

    @dg.asset(
        group_name=FEATURE_GROUP,
        partitions_def=scheme.monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        ins={
            "raw_bars": dg.AssetIn(partition_mapping=lookback(UNIVERSE_LOOKBACK_MONTHS)),
            "index_weights": dg.AssetIn(partition_mapping=lookback(3)),
        },
        description="Universe flags per (date, code): listed >= 63 days, not ST, quarter-end top 60% / 90% "
        "by 1-year amount and market cap, CSI 300/500/1000 membership; r1 and r1_xgb.",
    )
    def universe(
        context: dg.AssetExecutionContext,
        config: UniverseAssetConfig,
        raw_bars: pd.DataFrame,
        instruments: pd.DataFrame,
        index_weights: pd.DataFrame,
    ) -> dg.Output[pd.DataFrame]:
        start, end = window_bounds(context)
        cfg = UniverseConfig(min_listed_days=config.min_listed_days, top=config.top, top_xgb=config.top_xgb)
        df = build_universe(raw_bars, _optional(instruments), _optional(index_weights), start, end, cfg)
        daily = df.groupby("date")[UNIVERSE_COLUMNS[2:]].sum()
        return versioned(
            df,
            context,
            mean_daily_size=dg.MetadataValue.json({k: float(v) for k, v in daily.mean().items()}),
            r1_mean_size=dg.MetadataValue.float(float(daily["r1"].mean()) if len(daily) else 0.0),
        )

    @dg.asset(
        group_name=FEATURE_GROUP,
        partitions_def=scheme.monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        ins={
            "raw_bars": dg.AssetIn(partition_mapping=lookback()),
            "consensus": dg.AssetIn(partition_mapping=lookback()),
        },
        description="Factor values per (date, code), one float32 column per factor, names exactly as SPEC "
        "(R1 table 15, table 32, R3 tables 1 and 5). Factors whose inputs the source lacks are absent "
        "(listed in metadata), never filled. Fundamentals and consensus expire a set time after their "
        "announcement; the metadata shows the age of each stock's newest report.",
        check_specs=[stale_reports_spec("factor_table")],
    )
    def factor_table(
        context: dg.AssetExecutionContext,
        config: FactorTableConfig,
        raw_bars: pd.DataFrame,
        fundamentals: pd.DataFrame,
        consensus: pd.DataFrame,
        industry_map: pd.DataFrame,
        instruments: pd.DataFrame,
    ) -> Iterator[dg.Output[pd.DataFrame] | dg.AssetCheckResult]:
        start, end = window_bounds(context)
        names = list(dict.fromkeys(n for s in config.factor_sets for n in FACTOR_SETS[FactorSet(s)]))
        inputs = FactorInputs(
            raw_bars, _optional(fundamentals), _optional(consensus), _optional(industry_map), _optional(instruments)
        )
        pit = PitConfig(
            fundamentals_max_age_days=config.fundamentals_max_age_days,
            consensus_max_age_days=config.consensus_max_age_days,
        )
        progress = ProgressLog(context.log).with_prefix(f"factor_table {start.date()}..{end.date()}: ")
        df = compute_factors(inputs, names, start, end, context=FactorContext(inputs, pit), progress_log=progress)
        absent = dict(df.attrs.get("absent", {}))
        empty = list(df.attrs.get("empty", []))
        coverage = factor_coverage(df)
        df.attrs = {}  # attrs do not belong in the stored table
        context.log.info(
            "factor_table %s..%s: %d rows, %d factors, %d absent",
            start.date(),
            end.date(),
            len(df),
            len(df.columns) - 2,
            len(absent),
        )
        staleness = _report_staleness(df, inputs.fundamentals, pit.fundamentals_max_age_days)
        if staleness.n_stale:
            context.log.warning(
                "factor_table %s: %d of %d stocks' newest report is older than %s days (expired)",
                staleness.date.date(),
                staleness.n_stale,
                staleness.n_stocks,
                staleness.max_age_days,
            )
        yield versioned(
            df,
            context,
            n_factors=len(df.columns) - 2,
            factor_sets=dg.MetadataValue.json(list(config.factor_sets)),
            absent_factors=dg.MetadataValue.json(absent),
            empty_factors=dg.MetadataValue.json(empty),
            coverage=dg.MetadataValue.json(coverage),
            coverage_table=dg.MetadataValue.md(_coverage_markdown(coverage, absent)),
            mean_coverage=dg.MetadataValue.float(float(sum(coverage.values()) / max(len(coverage), 1))),
            pit_expiry_days=dg.MetadataValue.json(
                {"fundamentals": pit.fundamentals_max_age_days, "consensus": pit.consensus_max_age_days}
            ),
            report_age=dg.MetadataValue.json(staleness.as_dict()),
            report_age_median_days=dg.MetadataValue.float(staleness.median_age_days),
            report_age_max_days=dg.MetadataValue.float(staleness.oldest_age_days),
            n_stale_reports=dg.MetadataValue.int(staleness.n_stale),
        )
        yield stale_reports_result("factor_table", staleness)

    @dg.asset(
        group_name=FEATURE_GROUP,
        partitions_def=scheme.monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        ins={"raw_bars": dg.AssetIn(partition_mapping=lead())},
        description="Forward-return labels (y_vwap10 default, y_close10, y_vwap5, y_month) and their per-date "
        "rank-standardised versions. Read prices up to T+22: training / evaluation only.",
    )
    def labels(context: dg.AssetExecutionContext, raw_bars: pd.DataFrame) -> dg.Output[pd.DataFrame]:
        start, end = window_bounds(context)
        df = compute_labels(raw_bars, start, end)
        coverage = {name: float(df[name].notna().mean()) if len(df) else 0.0 for name in LABELS}
        return versioned(df, context, coverage=dg.MetadataValue.json(coverage))

    return [universe, factor_table, labels]
