"""Blocking asset checks on ``raw_bars`` (the asset itself refuses to write failing data;
these checks show each rule's outcome per materialisation in the UI)."""

import dagster as dg
import pandas as pd

from alpha_core.data import quality
from alpha_dagster.lib.resources import MarketData


def _result(outcome: quality.CheckOutcome) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=outcome.passed,
        metadata={"failures": outcome.failures, "first": outcome.first.describe(), "detail": outcome.detail},
    )


def build_bar_checks(raw_bars: dg.AssetsDefinition) -> list[dg.AssetChecksDefinition]:
    pdef = raw_bars.partitions_def

    @dg.asset_check(
        asset=raw_bars,
        blocking=True,
        partitions_def=pdef,
        description="high >= low, open and close within [low, high], limit_down <= limit_up",
    )
    def ohlc_consistent(raw_bars: pd.DataFrame) -> dg.AssetCheckResult:
        return _result(quality.check_ohlc(raw_bars))

    @dg.asset_check(asset=raw_bars, blocking=True, partitions_def=pdef, description="no duplicate (date, code)")
    def unique_date_code(raw_bars: pd.DataFrame) -> dg.AssetCheckResult:
        return _result(quality.check_unique(raw_bars))

    @dg.asset_check(asset=raw_bars, blocking=True, partitions_def=pdef, description="prices, volume, amount >= 0")
    def non_negative(raw_bars: pd.DataFrame) -> dg.AssetCheckResult:
        return _result(quality.check_non_negative(raw_bars))

    @dg.asset_check(asset=raw_bars, blocking=True, partitions_def=pdef, description="no +/-inf in any numeric column")
    def finite_values(raw_bars: pd.DataFrame) -> dg.AssetCheckResult:
        return _result(quality.check_finite(raw_bars))

    @dg.asset_check(
        asset=raw_bars, blocking=True, partitions_def=pdef, description="bars exactly on the trading calendar"
    )
    def calendar_coverage(raw_bars: pd.DataFrame, market: MarketData) -> dg.AssetCheckResult:
        return _result(quality.check_calendar(raw_bars, market.open().calendar()))

    return [ohlc_consistent, unique_date_code, non_negative, finite_values, calendar_coverage]
