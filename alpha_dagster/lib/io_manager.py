"""IO manager: DataFrames <-> the alpha_core Parquet store, with the DuckDB catalog kept current.

- Unpartitioned asset -> ``ALPHA_HOME/<asset>/data.parquet``.
- Time-partitioned asset -> one file per partition. A run over a partition *range*
  (``BackfillPolicy.single_run()``) returns one frame for the whole range; it is split
  by its ``date`` column into the partitions' time windows, and every partition of
  the range is written (empty ones too, so reruns are idempotent).
- Multi-partitioned asset -> ``<asset>/<dim>=<value>/<dim>=<value>.parquet``.
- Static-partitioned asset -> ``<asset>/<key>.parquet``.
A run writing several partitions logs ``<asset>: partition i/N, elapsed, ETA`` lines
(throttled, :mod:`alpha_core.progress`): a whole-history range writes one file per month.
Loading an input concatenates the upstream partitions the partition mapping selects
(missing ones are skipped: lookbacks before the first partition are allowed).
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import pandas as pd

from alpha_core.errors import MissingInputError
from alpha_core.progress import ProgressLog
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.lib.orphan_guard import guard_step_process


def store_partition(key: str | dg.MultiPartitionKey | None) -> str | dict[str, str] | None:
    """The store's partition spelling of a Dagster partition key."""
    if key is None:
        return None
    if isinstance(key, dg.MultiPartitionKey):
        return dict(sorted(key.keys_by_dimension.items()))
    return str(key)


def split_by_window(
    df: pd.DataFrame, keys: list[str], partitions_def: dg.TimeWindowPartitionsDefinition
) -> dict[str, pd.DataFrame]:
    """Partition key -> the rows of ``df`` whose ``date`` lies in that key's time window (what a
    range run writes to each partition's file)."""
    dates = pd.to_datetime(df["date"]) if len(df) else pd.Series([], dtype="datetime64[ns]")
    out = {}
    for key in keys:
        window = partitions_def.time_window_for_partition_key(key)
        start = pd.Timestamp(window.start).tz_localize(None)
        end = pd.Timestamp(window.end).tz_localize(None)
        out[key] = df[(dates >= start) & (dates < end)]
    return out


OPTIONAL_INPUT = "alpha/optional"
"""``AssetIn(metadata={OPTIONAL_INPUT: True})``: an unpartitioned input that may not be stored
yet loads as an empty frame (the asset decides whether it needs it) instead of failing."""


class ParquetIOManager(dg.ConfigurableIOManager):
    """Stores pandas DataFrames as Parquet under ``home`` and registers a DuckDB view per asset."""

    home: str

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # every step that reads or writes a table builds this IO manager: the step process ends
        # with its launcher (see alpha_dagster.lib.orphan_guard)
        guard_step_process()

    @property
    def store(self) -> ParquetStore:
        return ParquetStore(self.home)

    def _table(self, context: dg.InputContext | dg.OutputContext) -> str:
        return context.asset_key.path[-1]

    def handle_output(self, context: dg.OutputContext, obj: object) -> None:
        if obj is None:
            return
        table = self._table(context)
        if context.has_asset_partitions:
            keys = list(context.asset_partition_keys)
            pdef = context.asset_partitions_def
            if isinstance(obj, Mapping):
                frames = {k: obj[k] for k in keys}
            elif len(keys) == 1:
                frames = {keys[0]: obj}
            elif isinstance(pdef, dg.TimeWindowPartitionsDefinition) and isinstance(obj, pd.DataFrame):
                frames = split_by_window(obj, keys, pdef)
            else:
                raise TypeError(
                    f"{table}: a run over {len(keys)} partitions must return a mapping partition_key -> DataFrame"
                )
            progress = ProgressLog(context.log).start(f"{table}: partition", len(frames)) if len(frames) > 1 else None
            results = []
            for k, frame in frames.items():
                results.append(self.store.write(table, frame, store_partition(_as_key(pdef, k))))
                if progress is not None:
                    progress.advance()
        else:
            if not isinstance(obj, pd.DataFrame):
                raise TypeError(f"{table}: ParquetIOManager stores DataFrames, got {type(obj).__name__}")
            results = [self.store.write(table, obj)]
        Catalog(self.home).register(table)
        rows = sum(r.rows for r in results)
        meta: dict[str, object] = {
            "rows": rows,
            "partitions_written": len(results),
            "path": dg.MetadataValue.path(str(results[0].path if len(results) == 1 else results[0].path.parent)),
            "catalog_view": dg.MetadataValue.text(f"SELECT * FROM {table} -- in {Catalog(self.home).path}"),
        }
        if len(results) == 1:
            meta["sha256"] = results[0].sha256
        context.add_output_metadata(meta)

    def load_input(self, context: dg.InputContext) -> pd.DataFrame:
        table = self._table(context)
        if context.has_asset_partitions:
            pdef = context.asset_partitions_def
            keys = list(context.asset_partition_keys)
            parts = [store_partition(_as_key(pdef, k)) for k in keys]
            return self.store.read(table, parts, missing_ok=True)
        optional = bool((context.definition_metadata or {}).get(OPTIONAL_INPUT, False))
        try:
            return self.store.read(table)
        except MissingInputError:
            if optional:
                context.log.info("optional input %s is not materialised yet: empty frame", table)
                return pd.DataFrame()
            raise


def _as_key(pdef: dg.PartitionsDefinition | None, key: str) -> str | dg.MultiPartitionKey:
    """Recover a MultiPartitionKey from its string form for multi-partitioned assets."""
    if isinstance(pdef, dg.MultiPartitionsDefinition) and not isinstance(key, dg.MultiPartitionKey):
        return pdef.get_partition_key_from_str(str(key))
    return key
