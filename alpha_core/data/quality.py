"""Data-quality checks on daily bars, shared by the ``raw_bars`` asset (which refuses to
write bad data) and its blocking Dagster asset checks (which show the outcome in the UI).

Each check returns a :class:`CheckOutcome`; ``CheckOutcome.raise_if_failed`` turns a
failure into a :class:`DataContractError` naming the first offending instrument and date.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.data.contract import ROW_RULES
from alpha_core.errors import DataContractError, Location


class BarCheck(StrEnum):
    OHLC_CONSISTENT = "ohlc_consistent"
    UNIQUE_DATE_CODE = "unique_date_code"
    NON_NEGATIVE = "non_negative"
    CALENDAR_COVERAGE = "calendar_coverage"
    FINITE = "finite_values"


@dataclass(frozen=True)
class CheckOutcome:
    check: BarCheck
    passed: bool
    failures: int = 0
    first: Location = field(default_factory=Location)
    detail: str = ""

    def raise_if_failed(self, source_file: str | None = None) -> None:
        if not self.passed:
            loc = replace(self.first, file=source_file or self.first.file)
            raise DataContractError(f"bars fail {self.check.value}: {self.detail} ({self.failures} rows)", loc)


def _first(df: pd.DataFrame, mask: np.ndarray, column: str) -> Location:
    row = df.loc[np.asarray(mask)].iloc[0]
    return Location(column=column, instrument=str(row["code"]), date=str(pd.Timestamp(row["date"]).date()))


def check_ohlc(df: pd.DataFrame) -> CheckOutcome:
    """The contract's bar consistency rules (``contract.ROW_RULES["bars"]``): high >= low,
    low <= open <= high, low <= close <= high, limit_down <= limit_up (NaN prices skipped)."""
    for rule, column, failing in ROW_RULES["bars"]:
        mask = failing(df)
        if mask.any():
            return CheckOutcome(
                BarCheck.OHLC_CONSISTENT, False, int(mask.sum()), _first(df, mask, column), f"violates {rule}"
            )
    return CheckOutcome(BarCheck.OHLC_CONSISTENT, True)


def check_unique(df: pd.DataFrame) -> CheckOutcome:
    """No two rows share (date, code)."""
    dup = df.duplicated(["date", "code"], keep="first").to_numpy()
    if dup.any():
        return CheckOutcome(
            BarCheck.UNIQUE_DATE_CODE, False, int(dup.sum()), _first(df, dup, "code"), "duplicate (date, code)"
        )
    return CheckOutcome(BarCheck.UNIQUE_DATE_CODE, True)


def check_non_negative(df: pd.DataFrame) -> CheckOutcome:
    """Prices, volume and amount are >= 0 (NaN allowed)."""
    for col in ("open", "high", "low", "close", "vwap", "volume", "amount"):
        if col in df:
            with np.errstate(invalid="ignore"):
                bad = df[col].to_numpy(float) < 0
            if bad.any():
                return CheckOutcome(
                    BarCheck.NON_NEGATIVE, False, int(bad.sum()), _first(df, bad, col), f"negative {col}"
                )
    return CheckOutcome(BarCheck.NON_NEGATIVE, True)


def check_finite(df: pd.DataFrame) -> CheckOutcome:
    """No float column holds +/-inf (NaN is how a source says "unknown"; inf is always a defect)."""
    for col in df.columns:
        if pd.api.types.is_float_dtype(df[col].dtype):
            values = df[col].to_numpy(np.float64, na_value=np.nan)
            bad = np.isinf(values)
            if bad.any():
                first = replace(_first(df, bad, col), value=repr(float(values[np.flatnonzero(bad)[0]])))
                return CheckOutcome(BarCheck.FINITE, False, int(bad.sum()), first, f"infinite {col}")
    return CheckOutcome(BarCheck.FINITE, True)


def check_calendar(df: pd.DataFrame, calendar: pd.DatetimeIndex) -> CheckOutcome:
    """Every bar date is a trading day, and every trading day in the bars' span has bars."""
    dates = pd.DatetimeIndex(pd.to_datetime(df["date"]).unique())
    off = dates.difference(calendar)
    if len(off):
        mask = pd.to_datetime(df["date"]).isin(off).to_numpy()
        return CheckOutcome(
            BarCheck.CALENDAR_COVERAGE, False, int(mask.sum()), _first(df, mask, "date"), "bar on a non-trading day"
        )
    if len(dates):
        span = calendar[(calendar >= dates.min()) & (calendar <= dates.max())]
        missing = span.difference(dates)
        if len(missing):
            return CheckOutcome(
                BarCheck.CALENDAR_COVERAGE,
                False,
                len(missing),
                Location(column="date", date=str(missing[0].date())),
                "trading day without bars",
            )
    return CheckOutcome(BarCheck.CALENDAR_COVERAGE, True)


def check_bars(df: pd.DataFrame, calendar: pd.DatetimeIndex) -> list[CheckOutcome]:
    return [check_ohlc(df), check_unique(df), check_non_negative(df), check_finite(df), check_calendar(df, calendar)]
