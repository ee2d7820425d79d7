"""Data layer assets: the source's tables, normalised, validated and stored as Parquet."""


import hashlib
import json

import dagster as dg
import pandas as pd

from alpha_core.data.quality import check_bars
from alpha_core.data.repairs import RepairCounts, ReportsRepairs
from alpha_core.store.parquet import frame_digest
from alpha_dagster.defs.partitions import PartitionScheme, window_bounds
from alpha_dagster.lib.io_manager import split_by_window
from alpha_dagster.lib.resources import MarketData

DATA_GROUP = "data"


DIGESTS = "partition_digests"  # metadata: partition key -> content digest of its rows
DATA_VERSION_TAG = "dagster/data_version"


def _digest(df: pd.DataFrame) -> str:
    return frame_digest(df)[:16]


def _unchanged_version(context: dg.AssetExecutionContext, key: str, digest: str) -> str | None:
    """The data version of ``key``'s latest materialisation when its rows had this same digest."""
    records = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=context.asset_key, asset_partitions=[key]), limit=1).records
    if not records:
        return None
    event = records[0].asset_materialization
    digests = event.metadata.get(DIGESTS)
    if digests is None or dict(digests.value).get(key) != digest:
        return None
    return event.tags.get(DATA_VERSION_TAG)


def versioned(df: pd.DataFrame, context: dg.AssetExecutionContext | None = None,
              **metadata: object) -> dg.Output[pd.DataFrame]:
    """Wrap ``df`` with a content-hash data version: an unchanged rerun keeps downstream fresh,
    a corrected partition marks exactly its readers stale.

    Dagster gives every partition of a range run the run's one version (here the digest of the
    whole range), so, with ``context`` of a time-window-partitioned asset, the metadata records
    each partition's own content digest (:data:`DIGESTS`), and a one-partition run whose rows have
    the digest recorded at the partition's latest materialisation keeps that materialisation's
    version: rerunning an unchanged month after a whole-history run stales nothing, a changed
    month gets a new version. (A range rerun over partitions last written by different runs gets
    a new version even when nothing changed.)"""
    if context is None or not (context.has_partition_key or context.has_partition_key_range) or not isinstance(
            context.assets_def.partitions_def, dg.TimeWindowPartitionsDefinition):
        return dg.Output(df, data_version=dg.DataVersion(_digest(df)), metadata={"rows": len(df), **metadata})
    keys = list(context.partition_keys)
    if len(keys) == 1:
        digest = _digest(df)
        digests = {keys[0]: digest}
        version = _unchanged_version(context, keys[0], digest) or digest
    else:  # the run's one version from its partitions' digests: the frame is hashed once
        digests = {k: _digest(part) for k, part in split_by_window(df, keys, context.assets_def.partitions_def).items()}
        version = hashlib.sha256(json.dumps(digests, sort_keys=True).encode()).hexdigest()[:16]
    return dg.Output(df, data_version=dg.DataVersion(version),
                     metadata={"rows": len(df), DIGESTS: dg.MetadataValue.json(digests), **metadata})


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
        context.log.info("raw_bars %s..%s: %d rows, %d instruments", start.date(), end.date(), len(bars),
                         bars["code"].nunique())
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
