"""Partition mappings take their lengths from the library's constants."""

from alpha_core.factors.registry import MAX_LOOKBACK_MONTHS
from alpha_dagster.defs.partitions import LOOKBACK_MONTHS, lookback


def test_factor_partitions_read_the_lookback_months():
    assert LOOKBACK_MONTHS == MAX_LOOKBACK_MONTHS == 26
    assert lookback().start_offset == -MAX_LOOKBACK_MONTHS
