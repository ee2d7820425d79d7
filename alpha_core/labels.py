"""Forward-return labels. FOR TRAINING AND EVALUATION ONLY: the label on date T reads prices
up to T+22 trading days ahead, so it must never be used as a feature or a filter at T.

With P = adjusted vwap (vwap * adj_factor) and C = adjusted close:

    y_vwap10  = P[T+11] / P[T+1] - 1      (SPEC default: buy at T+1 vwap, hold 10 days)
    y_close10 = C[T+11] / C[T+1] - 1      (XGBoost variant)
    y_vwap5   = P[T+6]  / P[T+1] - 1      (weekly)
    y_month   = P[T+22] / P[T+1] - 1      (R3 next month)

T+k counts trading days of the bars table. A label is NaN when T+k runs past the end of
the data, when the stock cannot be bought at T+1 (no bar / not tradable / no trade), or
when the exit price is missing. For each label a ``<name>_rank`` column holds the
cross-sectional rank, standardised per date over the non-missing labels:
    rank_i = average rank of y_i among that date's valid labels (1..n)
    y_rank_i = (rank_i - mean(rank)) / std(rank)            (population std)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location

# name -> (price field, entry offset, exit offset)
LABELS: dict[str, tuple[str, int, int]] = {
    "y_vwap10": ("vwap", 1, 11),
    "y_close10": ("close", 1, 11),
    "y_vwap5": ("vwap", 1, 6),
    "y_month": ("vwap", 1, 22),
}
MAX_HORIZON = max(h for _, _, h in LABELS.values())


def _lead(x: np.ndarray, k: int) -> np.ndarray:
    out = np.full_like(x, np.nan)
    if k < len(x):
        out[: len(x) - k] = x[k:]
    return out


def rank_standardize(values: pd.Series, dates: pd.Series) -> pd.Series:
    """Per-date average rank of the non-missing values, standardised to mean 0, std 1 (ddof=0)."""
    r = values.groupby(dates, sort=False).rank(method="average")
    g = r.groupby(dates, sort=False)
    mu = g.transform("mean")
    sd = g.transform("std", ddof=0)
    z = (r - mu) / sd.where(sd > 0)
    return z.where(~(sd.eq(0) & r.notna()), 0.0)


def compute_labels(
    bars: pd.DataFrame,
    start: pd.Timestamp | str | None = None,
    end: pd.Timestamp | str | None = None,
    names=tuple(LABELS),
) -> pd.DataFrame:
    """DataFrame[date, code, y_*, y_*_rank] for every (date, code) bar in [start, end].

    ``bars`` must extend MAX_HORIZON (22) trading days past ``end`` for complete labels.
    """
    for col in ("date", "code", "close", "vwap", "adj_factor", "tradable", "volume"):
        if col not in bars.columns:
            raise DataContractError(f"bars lack column {col!r}", Location(column=col))
    p = Panel.from_long(bars, ["close", "vwap", "adj_factor", "tradable", "volume"])
    present = ~np.isnan(p["adj_factor"])
    with np.errstate(invalid="ignore"):
        buyable = present & (p["tradable"] == 1) & (p["volume"] > 0)
    prices = {
        "vwap": np.where(buyable, p["vwap"] * p["adj_factor"], np.nan),
        "close": np.where(buyable, p["close"] * p["adj_factor"], np.nan),
    }
    t = len(p.dates)
    lo = 0 if start is None else int(p.dates.searchsorted(pd.Timestamp(start), side="left"))
    hi = t if end is None else int(p.dates.searchsorted(pd.Timestamp(end), side="right"))
    ti, ni = np.nonzero(present[lo:hi])
    out = {"date": p.dates.values[lo:hi][ti], "code": p.codes.values.astype(object)[ni]}
    for name in names:
        field, k0, k1 = LABELS[name]
        x = prices[field]
        with np.errstate(invalid="ignore", divide="ignore"):
            y = _lead(x, k1) / _lead(x, k0) - 1.0  # entry lead is NaN when not buyable at T+1
        out[name] = y[lo:hi][ti, ni]
    df = pd.DataFrame(out)
    for name in names:
        df[f"{name}_rank"] = rank_standardize(df[name], df["date"])
    return df
