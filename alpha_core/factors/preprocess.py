"""Cross-sectional preprocessing of any long (date, code, *columns) table, per date.

Steps (R1 SPEC section 2), each per date and per column:
    1. winsorise:  x <- clip(x, med - k MAD, med + k MAD),  MAD = median |x - med|,  k = 5
       (skipped on a date where MAD = 0, which would flatten the column)
    2. z-score:    x <- (x - mean) / std   (population std; 0 when std = 0)
    3. missing -> ``fill_value`` (0); under :attr:`MissingPolicy.COVERAGE_GATE` (the default) a
       column whose coverage on a date is below ``min_coverage`` is ``fill_value`` for EVERY row
       of that date (see below)
    4. optional industry + size neutralisation (XGBoost variant): replace x by the residual of
       the per-date OLS  x = sum_k b_k 1[industry = k] + c log(total_mcap) + e  over the stocks
       with a known industry and cap, then z-score the residuals again (stocks without
       exposures get ``fill_value``).
Only the date's own cross-section enters each step: no information crosses dates.

Why the coverage gate. After the z-score a missing value becomes 0, i.e. "no value" is a point
of the feature's own scale, and a model can learn "has a value" as a predictor. Where
availability is an artefact of the data source that is look-ahead: the shared real data's
supplements (turnover, valuation, fundamentals) cover TODAY's CSI 300 list only, so on 2016-2022
"this stock has a turnover value" predicts the 10-day return (RankIC +0.026) because the stocks
that have one are those that stayed in the index. With coverage c_t(col) = share of the date's
rows with a finite value,

    x_t,i(col) <- fill_value for every i   when c_t(col) < min_coverage (0.9)

so on a date where a column is only partially delivered its presence pattern carries no
information at all; above the threshold at most 10% of the rows are filled (newly listed
stocks whose lookback is short, suspensions), which a trader knows too. The gate is per date
and uses only that date's rows, so it is causal. :attr:`MissingPolicy.ZERO_FILL` is SPEC's
plain missing -> 0 (available as an explicit opt-in).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location

log = logging.getLogger(__name__)


class MissingPolicy(StrEnum):
    """What a missing value becomes after the z-score (see the module docstring)."""

    COVERAGE_GATE = "coverage_gate"  # fill; a column below min_coverage on a date is filled for all rows
    ZERO_FILL = "zero_fill"  # SPEC: fill only the missing rows (presence stays visible)


class Neutralize(StrEnum):
    NONE = "none"
    INDUSTRY_SIZE = "industry_size"


@dataclass(frozen=True)
class PreprocessConfig:
    """Args: mad_k: winsorisation width in MADs (5); fill_value: value for missing (0);
    neutralize: :class:`Neutralize` (NONE for R1, INDUSTRY_SIZE for the XGBoost variant);
    missing: :class:`MissingPolicy` (COVERAGE_GATE); min_coverage: the gate's threshold (0.9)."""

    mad_k: float = 5.0
    fill_value: float = 0.0
    neutralize: Neutralize = Neutralize.NONE
    missing: MissingPolicy = MissingPolicy.COVERAGE_GATE
    min_coverage: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_coverage <= 1.0:
            raise ValueError(f"min_coverage must lie in [0, 1], got {self.min_coverage}")


def _value_columns(df: pd.DataFrame, columns) -> list[str]:
    if columns is not None:
        return list(columns)
    return [c for c in df.columns if c not in ("date", "code") and pd.api.types.is_float_dtype(df[c])]


def winsorize_mad(df: pd.DataFrame, columns=None, k: float = 5.0) -> pd.DataFrame:
    """Per-date clip of each column to median +- k * MAD (NaN kept)."""
    cols = _value_columns(df, columns)
    out = df.copy()
    g = df.groupby("date", sort=False)[cols]
    med = g.transform("median")
    mad = (df[cols] - med).abs().groupby(df["date"], sort=False).transform("median")
    width = (k * mad).where(mad > 0)  # MAD == 0: leave the column alone that day
    lo, hi = med - width, med + width
    out[cols] = df[cols].clip(lower=lo, upper=hi, axis=None).astype(df[cols].dtypes.to_dict())
    return out


def zscore(df: pd.DataFrame, columns=None) -> pd.DataFrame:
    """Per-date (x - mean) / std (ddof=0); 0 where the std is 0; NaN kept."""
    cols = _value_columns(df, columns)
    out = df.copy()
    g = df.groupby("date", sort=False)[cols]
    mu = g.transform("mean")
    sd = g.transform("std", ddof=0)
    z = (df[cols] - mu) / sd.where(sd > 0)
    z = z.where(~(sd.eq(0) & df[cols].notna()), 0.0)
    out[cols] = z.astype(df[cols].dtypes.to_dict())
    return out


def neutralize(df: pd.DataFrame, exposures: pd.DataFrame, columns=None, fill_value: float = 0.0) -> pd.DataFrame:
    """Residuals of per-date OLS of each column on industry dummies + log(total_mcap).

    Per date, each row is neutralised on the exposures it has, each regression fitted on the
    rows that have those exposures:

        industry and cap:  y = D_industry b + c log(cap) + e      (the SPEC case)
        industry only:     y = D_industry b + e                   (demeaned within industry)
        cap only:          y = a + c log(cap) + e
        neither:           y - mean(y)                             (demeaned over the date)

    so a source that lacks market caps for some years (the shared real data has none after
    2021-01) still gets industry-neutral features instead of rows zeroed out. Groups with fewer
    than 3 rows keep ``fill_value``.

    Args:
        df: long table sorted by date, NaN-free in ``columns`` (run after filling).
        exposures: DataFrame[date, code, industry, total_mcap].
    """
    cols = _value_columns(df, columns)
    need = {"date", "code", "industry", "total_mcap"}
    if not need <= set(exposures.columns):
        missing = sorted(need - set(exposures.columns))
        raise DataContractError(f"exposures lack columns {missing}", Location(column=missing[0]))
    m = df[["date", "code"]].merge(
        exposures[["date", "code", "industry", "total_mcap"]], on=["date", "code"], how="left"
    )
    cap = m["total_mcap"].to_numpy(dtype=np.float64, na_value=np.nan)
    has_ind = m["industry"].notna().to_numpy()
    has_cap = cap > 0
    ind_codes, ind_names = pd.factorize(m["industry"])
    logcap = np.log(np.where(has_cap, cap, 1.0))
    y = df[cols].to_numpy(dtype=np.float64)
    res = np.full_like(y, fill_value)
    dates = df["date"].to_numpy()
    starts = np.flatnonzero(np.r_[True, dates[1:] != dates[:-1]]) if len(df) else np.array([], int)
    if len(df) and not (np.diff(dates.astype("datetime64[ns]").astype(np.int64)) >= 0).all():
        raise DataContractError("neutralize expects a table sorted by date", Location(column="date"))
    bounds = np.r_[starts, len(df)]
    k = len(ind_names)
    # (rows of the group, use industry dummies, use log cap)
    groups = (
        (has_ind & has_cap, True, True),
        (has_ind & ~has_cap, True, False),
        (~has_ind & has_cap, False, True),
        (~has_ind & ~has_cap, False, False),
    )
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):  # a few least squares per date
        for mask, use_ind, use_cap in groups:
            rows = np.arange(a, b)[mask[a:b]]
            if len(rows) < 3:
                continue
            parts = []
            if use_ind:
                dummies = np.zeros((len(rows), k))
                dummies[np.arange(len(rows)), ind_codes[rows]] = 1.0
                parts.append(dummies)
            else:
                parts.append(np.ones((len(rows), 1)))
            if use_cap:
                parts.append((logcap[rows] - logcap[rows].mean())[:, None])
            x = np.hstack(parts)
            beta, *_ = np.linalg.lstsq(x, y[rows], rcond=None)
            res[rows] = y[rows] - x @ beta
    out = df.copy()
    out[cols] = res.astype(np.float32) if all(df[c].dtype == np.float32 for c in cols) else res
    return out


def preprocess(
    df: pd.DataFrame, columns=None, config: PreprocessConfig = PreprocessConfig(), exposures: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Winsorise, z-score, fill, (optionally) neutralise and re-z-score ``columns`` per date.

    Returns a copy of ``df`` (same rows and order) with the processed columns.
    """
    cols = _value_columns(df, columns)
    df = df.sort_values(["date", "code"], kind="stable").reset_index(drop=True)
    out = zscore(winsorize_mad(df, cols, config.mad_k), cols)
    out[cols] = out[cols].fillna(config.fill_value)
    if config.missing is MissingPolicy.COVERAGE_GATE and cols:
        out = coverage_gate(df, out, cols, config.min_coverage, config.fill_value)
    if config.neutralize == Neutralize.INDUSTRY_SIZE:
        if exposures is None:
            raise DataContractError(
                "industry+size neutralisation needs exposures (industry, total_mcap)", Location(column="industry")
            )
        out = neutralize(out, exposures, cols, config.fill_value)
        out = zscore(out, cols)
        out[cols] = out[cols].fillna(config.fill_value)
    return out


def daily_coverage(df: pd.DataFrame, columns) -> pd.DataFrame:
    """(dates x columns) share of each date's rows with a finite value."""
    cols = _value_columns(df, columns)
    return df[cols].notna().groupby(df["date"], sort=True).mean()


def coverage_gate(
    raw: pd.DataFrame, out: pd.DataFrame, columns, min_coverage: float, fill_value: float = 0.0
) -> pd.DataFrame:
    """``out`` with every (date, column) whose coverage in ``raw`` (same rows and order) is below
    ``min_coverage`` set to ``fill_value`` for all of that date's rows."""
    cols = list(columns)
    cov = raw[cols].notna().groupby(raw["date"], sort=False).transform("mean")
    low = cov.to_numpy() < min_coverage
    if low.any():
        vals = out[cols].to_numpy(copy=True)
        vals[low] = fill_value
        out = out.copy()
        for j, c in enumerate(cols):
            out[c] = vals[:, j].astype(out[c].dtype)
        gated = {c: int(raw.loc[low[:, j], "date"].nunique()) for j, c in enumerate(cols) if low[:, j].any()}
        log.debug("coverage gate (< %.0f%%): days filled per column %s", 100 * min_coverage, gated)
    return out


def exposures_from(bars: pd.DataFrame, industry_map: pd.DataFrame) -> pd.DataFrame:
    """DataFrame[date, code, industry, total_mcap] for :func:`neutralize` (industry as of each date)."""
    from alpha_core.factors.inputs import industry_panel

    dates = pd.DatetimeIndex(np.sort(bars["date"].unique()))
    codes = pd.Index(np.sort(bars["code"].unique()))
    ind, names = industry_panel(industry_map, dates, codes)
    ti = dates.get_indexer(bars["date"])
    ni = codes.get_indexer(bars["code"])
    ids = ind[ti, ni]
    lab = np.where(ids >= 0, np.asarray(names, dtype=object)[np.maximum(ids, 0)] if names else None, None)
    return pd.DataFrame(
        {
            "date": bars["date"].to_numpy(),
            "code": bars["code"].to_numpy(),
            "industry": lab,
            "total_mcap": bars["total_mcap"].to_numpy(),
        }
    )
