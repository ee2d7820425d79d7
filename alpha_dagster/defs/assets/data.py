"""Data layer assets: the source's tables, normalised, validated and stored as Parquet."""

import hashlib
import json
from collections.abc import Iterable, Mapping

import dagster as dg
import pandas as pd

from alpha_core.data.quality import check_bars
from alpha_core.data.repairs import RepairCounts, ReportsRepairs
from alpha_core.store.parquet import frame_digest
from alpha_dagster.defs.partitions import PartitionScheme, window_bounds
from alpha_dagster.lib.io_manager import split_by_window
from alpha_dagster.lib.lineage import DIGESTS, LatestMaterialisations, record_reads
from alpha_dagster.lib.resources import MarketData

DATA_GROUP = "data"


def _digest(df: pd.DataFrame) -> str:
    return frame_digest(df)[:16]


def _unchanged_version(context: dg.AssetExecutionContext, digests: dict[str, str]) -> str | None:
    """The Dagster data version the partitions already carry when every one of them has the same
    rows as at its latest materialisation and those materialisations share one version (a no-op
    rerun, of one month or of a range written by one earlier run); None otherwise."""
    latest = LatestMaterialisations(context.instance).of(context.asset_key)
    versions = set()
    for key, digest in digests.items():
        m = latest.get(key)
        if m is None or m.version != digest:
            return None
        versions.add(m.dagster_version)
    return versions.pop() if len(versions) == 1 else None


def versioned(
    df: pd.DataFrame,
    context: dg.AssetExecutionContext | None = None,
    *,
    reads: Mapping[str, Iterable[str]] | None = None,
    **metadata: object,
) -> dg.Output[pd.DataFrame]:
    """Wrap ``df`` with a content-hash data version and record what the run read.

    Each partition's version (what downstream partitions compare, :mod:`alpha_dagster.lib.lineage`)
    is the digest of its own rows, recorded in :data:`DIGESTS` for time-partitioned assets; the
    version of any other asset is the digest of its table. Dagster gives every partition of a
    range run the run's one data version: here the digest of the partitions' digests, unless the
    rows are unchanged (then the version they already carry), so an identical rerun stales nothing
    in the UI either. ``reads``: upstream asset -> the partitions actually read, for assets that
    read a precise subset (``model_checkpoint``); other inputs are recorded from their declared
    partition mappings (:func:`alpha_dagster.lib.lineage.record_reads`). ``context`` defaults to
    the asset being executed; outside an execution (a plain function call) nothing is recorded."""
    if context is None:
        try:
            context = dg.AssetExecutionContext.get()
        except dg.DagsterInvariantViolationError:  # not inside an asset execution
            context = None
    if context is not None:
        record_reads(context, reads)
    if (
        context is None
        or not (context.has_partition_key or context.has_partition_key_range)
        or not isinstance(context.assets_def.partitions_def, dg.TimeWindowPartitionsDefinition)
    ):
        return dg.Output(df, data_version=dg.DataVersion(_digest(df)), metadata={"rows": len(df), **metadata})
    keys = list(context.partition_keys)
    if len(keys) == 1:
        digests = {keys[0]: _digest(df)}
    else:  # the frame is hashed once, partition by partition
        digests = {k: _digest(part) for k, part in split_by_window(df, keys, context.assets_def.partitions_def).items()}
    version = _unchanged_version(context, digests) or (
        digests[keys[0]]
        if len(keys) == 1
        else hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16]
    )
    return dg.Output(
        df,
        data_version=dg.DataVersion(version),
        metadata={"rows": len(df), DIGESTS: dg.MetadataValue.json(digests), **metadata},
    )


def _static_table(name: str, description: str, reader: str) -> dg.AssetsDefinition:
    @dg.asset(name=name, group_name=DATA_GROUP, description=description, kinds={"parquet"})
    def _asset(context: dg.AssetExecutionContext, market: MarketData) -> dg.Output[pd.DataFrame]:
        source = market.open()
        df = getattr(source, reader)()
        return versioned(df, source=source.name)

    return _asset


def _ranged_table(name: str, description: str, reader: str, scheme: PartitionScheme) -> dg.AssetsDefinition:
    @dg.asset(
        name=name,
        group_name=DATA_GROUP,
        description=description,
        partitions_def=scheme.monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
    )
    def _asset(context: dg.AssetExecutionContext, market: MarketData) -> dg.Output[pd.DataFrame]:
        source = market.open()
        start, end = window_bounds(context)
        df = getattr(source, reader)(start, end)
        return versioned(df, context, source=source.name, start=str(start.date()), end=str(end.date()))

    return _asset


def build_data_assets(scheme: PartitionScheme, *, with_ground_truth: bool) -> list[dg.AssetsDefinition]:
    @dg.asset(
        group_name=DATA_GROUP,
        partitions_def=scheme.monthly,
        backfill_policy=dg.BackfillPolicy.single_run(),
        kinds={"parquet"},
        description="Daily bars (raw prices + adjustment factor, tradable flag, price limits, ST flag), "
        "one Parquet file per month. Validated before writing: a bad month never replaces a good one.",
    )
    def raw_bars(context: dg.AssetExecutionContext, market: MarketData) -> dg.Output[pd.DataFrame]:
        source = market.open()
        start, end = window_bounds(context)
        bars = source.bars(start, end)
        for outcome in check_bars(bars, source.calendar()):
            outcome.raise_if_failed(source_file=source.name)
        context.log.info(
            "raw_bars %s..%s: %d rows, %d instruments", start.date(), end.date(), len(bars), bars["code"].nunique()
        )
        repairs = source.repairs(start, end) if isinstance(source, ReportsRepairs) else RepairCounts()
        if repairs.counts:
            context.log.warning("raw_bars %s..%s: repaired rows: %s", start.date(), end.date(), repairs.summary())
        return versioned(
            bars,
            context,
            source=source.name,
            instruments=int(bars["code"].nunique()),
            trading_days=int(bars["date"].nunique()),
            suspended_rows=int((~bars["tradable"]).sum()),
            repaired_rows=repairs.total,
            repairs=dg.MetadataValue.json(repairs.as_metadata()),
        )

    assets = [
        raw_bars,
        _static_table("instruments", "Instrument master: code, name, board, list and delist dates.", "instruments"),
        _static_table("industry_map", "Level-1 industry and R1 sector of each stock over time.", "industry_map"),
        _static_table("fundamentals", "Point-in-time quarterly fundamentals by announcement date.", "fundamentals"),
        _static_table("macro_raw", "Macro series as published (M2, 10-year yield) with release dates.", "macro"),
        _ranged_table("index_levels", "Daily index closes (CSI 300/500/1000 ...).", "index_levels", scheme),
        _ranged_table("index_weights", "Index constituent weights per day.", "index_weights", scheme),
        _ranged_table("consensus", "Analyst FY1 consensus (empty when the source lacks it).", "consensus", scheme),
    ]
    if with_ground_truth:
        assets.append(
            _ranged_table(
                "ground_truth",
                "Synthetic market only: the planted expected return of every stock and day, by part. "
                "For evaluation (oracle IC) only; never an input of features or models.",
                "ground_truth",
                scheme,
            )
        )
    return assets
