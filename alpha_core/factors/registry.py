"""Named factor lists and the engine entry point :func:`compute_factors`.

Lists (names exactly as SPEC / the seeds spell them):
    R1_FACTORS        the 42 factors of R1 table 15 (GAT+residual)
    XGB_FACTORS       the 42 factors of R1 table 32 (XGBoost)
    R3_TS_FEATURES    R3 table 1 (multi-scale Transformer inputs)
    R3_NODE_FEATURES  R3 table 5 node features
    R3_EDGE_FEATURES  R3 table 5 industry-graph edge series (80-day correlations are the graph's job)
    R3_FLOW_FEATURES  R3 table 5 capital-flow-graph edge series
    ALPHA158_FACTORS  Qlib's Alpha158 (``a158_*``, :mod:`alpha_core.factors.alpha158`)
    ALPHA360_FACTORS  Qlib's Alpha360 (``a360_*``, :mod:`alpha_core.factors.alpha360`; large: see there)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.factors import (
    alpha158,
    alpha360,
    expectation,
    growth,
    kbar,
    profitability,
    quality,
    r3_nodes,
    r3_timeseries,
    reversal,
    technical,
    turnover,
    value,
    volatility,
)
from alpha_core.factors.base import Factor
from alpha_core.factors.inputs import FactorContext, FactorInputs
from alpha_core.progress import ProgressLog

log = logging.getLogger(__name__)

FACTORS: dict[str, Factor] = {
    f.name: f
    for mod in (
        value,
        expectation,
        reversal,
        volatility,
        turnover,
        technical,
        kbar,
        growth,
        profitability,
        quality,
        r3_timeseries,
        r3_nodes,
        alpha158,
        alpha360,
    )
    for f in mod.FACTORS
}

R1_FACTORS: tuple[str, ...] = (
    "bp_lf",
    "ep_ttm",
    "ocfp_ttm",
    "dyr12",
    "con_eps_g",
    "con_roe_g",
    "con_np_g",
    "ret_5d",
    "ret_1m",
    "exp_wgt_return_3m",
    "std_1m",
    "vstd_1m",
    "ivr_ff3factor_1m",
    "turn_1m",
    "std_turn_1m",
    "bias_turn_1m",
    "std_ret_10d",
    "std_vol_10d",
    "std_turn_10d",
    "corr_ret_close",
    "corr_ret_open",
    "corr_ret_high",
    "corr_ret_low",
    "corr_ret_vwap",
    "corr_ret_vol",
    "corr_ret_turn",
    "corr_vol_close",
    "corr_vol_open",
    "corr_vol_high",
    "corr_vol_low",
    "corr_vol_vwap",
    "low2high",
    "vwap2close",
    "kmid",
    "klen",
    "kmid2",
    "kup",
    "kup2",
    "klow",
    "klow2",
    "ksft",
    "ksft2",
)
XGB_FACTORS: tuple[str, ...] = (
    "bp_lf",
    "ep_ttm",
    "ocfp_ttm",
    "dyr12",
    "sales_g_q",
    "profit_g_q",
    "ocf_g_q",
    "roe_g_q",
    "roe_ttm",
    "roa_ttm",
    "roic_ttm",
    "gp_ttm",
    "np_ttm",
    "sales_var",
    "profit_var",
    "ocf_var",
    "roe_var",
    "assetturnover_ttm",
    "ocfr_ttm",
    "currentdebt2debt",
    "con_eps_g",
    "con_roe_g",
    "con_np_g",
    "ret_5d",
    "ret_1m",
    "ret_12m",
    "exp_wgt_return_3m",
    "std_1m",
    "vstd_1m",
    "ivr_ff3factor_1m",
    "turn_1m",
    "std_turn_1m",
    "bias_turn_1m",
    "kmid",
    "klen",
    "kmid2",
    "kup",
    "kup2",
    "klow",
    "klow2",
    "ksft",
    "ksft2",
)
R3_TS_FEATURES: tuple[str, ...] = tuple(f.name for f in r3_timeseries.FACTORS)
R3_NODE_FEATURES: tuple[str, ...] = tuple(f.name for f in r3_nodes.NODE_FACTORS)
R3_EDGE_FEATURES: tuple[str, ...] = tuple(f.name for f in r3_nodes.EDGE_FACTORS)
R3_FLOW_FEATURES: tuple[str, ...] = tuple(f.name for f in r3_nodes.FLOW_FACTORS)
ALPHA158_FACTORS: tuple[str, ...] = alpha158.ALPHA158_FACTORS
ALPHA360_FACTORS: tuple[str, ...] = alpha360.ALPHA360_FACTORS


class FactorSet(StrEnum):
    """Named factor lists, for run configs."""

    R1 = "r1"
    XGB = "xgb"
    R3_TS = "r3_ts"
    R3_NODE = "r3_node"
    R3_EDGE = "r3_edge"
    R3_FLOW = "r3_flow"
    ALPHA158 = "alpha158"
    ALPHA360 = "alpha360"


FACTOR_SETS: dict[FactorSet, tuple[str, ...]] = {
    FactorSet.R1: R1_FACTORS,
    FactorSet.XGB: XGB_FACTORS,
    FactorSet.R3_TS: R3_TS_FEATURES,
    FactorSet.R3_NODE: R3_NODE_FEATURES,
    FactorSet.R3_EDGE: R3_EDGE_FEATURES,
    FactorSet.R3_FLOW: R3_FLOW_FEATURES,
    FactorSet.ALPHA158: ALPHA158_FACTORS,
    FactorSet.ALPHA360: ALPHA360_FACTORS,
}

# the longest trading-day lookback any listed price/volume factor reads (bias_turn_1m: 504)
MAX_LOOKBACK_DAYS = 504
MIN_TRADING_DAYS_PER_YEAR = 237
"""Fewest trading days in any 12 consecutive calendar months of the A-share calendar 2010-2022
(about 242 on average; the Spring Festival and National Day weeks are closed)."""


def months_covering(trading_days: int) -> int:
    """Whole calendar months that hold at least ``trading_days`` trading days:
    ``ceil(trading_days * 12 / MIN_TRADING_DAYS_PER_YEAR)`` (e.g. 504 -> 26, 252 -> 13)."""
    return -(-int(trading_days) * 12 // MIN_TRADING_DAYS_PER_YEAR)


MAX_LOOKBACK_MONTHS = months_covering(MAX_LOOKBACK_DAYS)
"""Months of bars before a month that its factors need (26): :data:`MAX_LOOKBACK_DAYS` of history
even on the month's first trading day."""


def absent_factors(inputs: FactorInputs, names: Iterable[str]) -> dict[str, str]:
    """name -> reason, for the requested factors whose input tables the source lacks."""
    have = inputs.available()
    out = {}
    for name in names:
        missing = sorted(FACTORS[name].requires - have) if name in FACTORS else []
        if missing:
            out[name] = f"missing input table(s): {', '.join(missing)}"
    return out


def compute_factors(
    inputs: FactorInputs,
    names: Iterable[str],
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    *,
    context: FactorContext | None = None,
    progress_log: ProgressLog | None = None,
) -> pd.DataFrame:
    """Compute factors on the wide panel and return them long.

    Args:
        inputs: the contract tables; ``bars`` must include the lookback history before ``start``.
        names: factor names (e.g. ``R1_FACTORS``); unknown names raise ``KeyError``.
        start, end: output only dates in [start, end] (inclusive; None = unbounded).
        context: reuse a built :class:`FactorContext` (shares cached arrays across calls).
        progress_log: log ``factor i/N, elapsed, ETA`` over the computed factors, throttled
            (:mod:`alpha_core.progress`).

    Returns:
        DataFrame[date, code, <factor columns float32>] sorted by (date, code), one row per
        (date, code) with a bar. Factors whose inputs are absent are NOT columns;
        ``df.attrs["absent"]`` maps each of them to the reason; ``df.attrs["empty"]`` lists
        the computed columns that are entirely NaN (e.g. the source leaves an input column empty).
    """
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in FACTORS]
    if unknown:
        raise KeyError(f"unknown factor name(s) {unknown}")
    absent = absent_factors(inputs, names)
    for name, why in absent.items():
        log.warning("factor %s absent: %s", name, why)
    ctx = context or FactorContext(inputs)
    lo = 0 if start is None else int(ctx.dates.searchsorted(pd.Timestamp(start), side="left"))
    hi = len(ctx.dates) if end is None else int(ctx.dates.searchsorted(pd.Timestamp(end), side="right"))
    if lo >= hi:
        raise DataContractError(f"no trading day of bars in [{start}, {end}]", Location(column="date"))
    ti, ni = np.nonzero(ctx.present[lo:hi])
    flat = (ti + lo) * ctx.shape[1] + ni
    empty: list[str] = []
    todo = [n for n in names if n not in absent]
    progress = progress_log.start("factor", len(todo)) if progress_log is not None else None
    out = {
        "date": ctx.dates.values[lo:hi][ti],
        "code": ctx.codes.array.take(ni),  # keeps the input's string dtype, no per-row conversion
    }
    for name in todo:
        t0 = time.perf_counter()
        arr = FACTORS[name].fn(ctx)
        if arr.shape != ctx.shape:
            raise AssertionError(f"factor {name} returned shape {arr.shape}, expected {ctx.shape}")
        col = arr.reshape(-1)[flat].astype(np.float32)  # one flat gather per factor
        col[np.isinf(col)] = np.nan
        if len(col) and np.isnan(col).all():
            # inputs present but empty (e.g. a fundamentals column the source never fills)
            empty.append(name)
            log.warning(
                "factor %s is entirely missing on [%s, %s]", name, ctx.dates[lo].date(), ctx.dates[hi - 1].date()
            )
        out[name] = col
        log.debug("factor %s: %.2fs", name, time.perf_counter() - t0)
        if progress is not None:
            progress.advance()
    df = pd.DataFrame(out, copy=False)  # no consolidation copy of the (large) float32 columns
    df.attrs["absent"] = absent
    df.attrs["empty"] = empty
    return df


def compute_factor_sets(
    inputs: FactorInputs,
    sets: Iterable[FactorSet | str],
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
) -> dict[FactorSet, pd.DataFrame]:
    """One long table per named set (e.g. R3 node / edge / flow series for the graph builder),
    sharing one :class:`FactorContext` so common arrays are built once."""
    ctx = FactorContext(inputs)
    return {FactorSet(s): compute_factors(inputs, FACTOR_SETS[FactorSet(s)], start, end, context=ctx) for s in sets}


def factor_coverage(df: pd.DataFrame) -> dict[str, float]:
    """Share of non-missing values of each factor column of a long factor table (absent factors: 0.0)."""
    cols = [c for c in df.columns if c not in ("date", "code")]
    n = max(len(df), 1)
    cov = {c: float(df[c].notna().sum() / n) for c in cols}
    for name in df.attrs.get("absent", {}):
        cov.setdefault(name, 0.0)
    return cov
