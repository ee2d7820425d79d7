"""Partition definitions, derived from the data source's calendar and the fold plan.

- ``monthly``: raw bars and everything computed per date (universe, factors, labels).
  A month is the natural unit of a vendor correction ("rerun one month after a data
  fix"), small enough that one rerun is cheap, large enough that a 13-year history is
  ~160 partitions rather than ~3,000 daily ones (Dagster's per-partition overhead).
- ``fold_model``: fold x model for checkpoints (fold keys are the first test date).
- ``models`` / ``strategies``: static keys for signals and backtests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import dagster as dg
import pandas as pd

from alpha_core.factors.registry import MAX_LOOKBACK_MONTHS

LOOKBACK_MONTHS = MAX_LOOKBACK_MONTHS  # months holding the longest factor lookback (504 trading days): 26
LABEL_LEAD_MONTHS = 2  # the longest label (next month, T+22) can reach two months ahead


@dataclass(frozen=True)
class PartitionScheme:
    monthly: dg.MonthlyPartitionsDefinition
    models: dg.StaticPartitionsDefinition
    folds: dg.StaticPartitionsDefinition
    fold_model: dg.MultiPartitionsDefinition
    strategies: dg.StaticPartitionsDefinition


def monthly_partitions(calendar: pd.DatetimeIndex) -> dg.MonthlyPartitionsDefinition:
    """Month partitions covering every trading day of ``calendar``.

    ``end_offset=1`` makes the month in progress a partition (the weekly rebalance of a
    Friday runs on its own month); ``end_date`` stops them at the data's last month.
    """
    first = calendar[0].to_period("M").to_timestamp()
    after = (calendar[-1].to_period("M") + 1).to_timestamp()
    return dg.MonthlyPartitionsDefinition(
        start_date=first.strftime("%Y-%m-%d"), end_date=after.strftime("%Y-%m-%d"), end_offset=1
    )


def build_scheme(
    calendar: pd.DatetimeIndex,
    fold_keys: Sequence[str],
    model_keys: Sequence[str],
    strategy_keys: Sequence[str],
) -> PartitionScheme:
    folds = dg.StaticPartitionsDefinition(list(fold_keys) or ["none"])
    models = dg.StaticPartitionsDefinition(list(model_keys))
    return PartitionScheme(
        monthly=monthly_partitions(calendar),
        models=models,
        folds=folds,
        fold_model=dg.MultiPartitionsDefinition({"fold": folds, "model": models}),
        strategies=dg.StaticPartitionsDefinition(list(strategy_keys)),
    )


def lookback(months: int = LOOKBACK_MONTHS) -> dg.TimeWindowPartitionMapping:
    """This month plus ``months`` months before (history a rolling window needs)."""
    return dg.TimeWindowPartitionMapping(start_offset=-months, allow_nonexistent_upstream_partitions=True)


def lead(months: int = LABEL_LEAD_MONTHS) -> dg.TimeWindowPartitionMapping:
    """This month plus ``months`` months after (prices a forward label needs)."""
    return dg.TimeWindowPartitionMapping(end_offset=months, allow_nonexistent_upstream_partitions=True)


def window_bounds(context: dg.AssetExecutionContext) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end] (inclusive, midnight) of the partition or partition range being materialised."""
    window = context.partition_time_window
    start = pd.Timestamp(window.start).tz_localize(None)
    end = pd.Timestamp(window.end).tz_localize(None) - pd.Timedelta(days=1)
    return start, end


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
"""Run tags of a range run (Dagster's documented tag names): first and last partition key."""


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run materialise the partitions ``first`` .. ``last`` (single-run backfill)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def partitions_between(pdef: dg.TimeWindowPartitionsDefinition, first: pd.Timestamp, last: pd.Timestamp) -> list[str]:
    """The keys of ``pdef`` whose time windows hold a day of ``[first, last]`` (midnight dates), in order."""
    first, last = pd.Timestamp(first), pd.Timestamp(last)
    keys = []
    for key in pdef.get_partition_keys():
        window = pdef.time_window_for_partition_key(key)
        start = pd.Timestamp(window.start).tz_localize(None)
        end = pd.Timestamp(window.end).tz_localize(None)
        if start <= last and end > first:
            keys.append(key)
    return keys
