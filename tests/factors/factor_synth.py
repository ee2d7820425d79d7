"""Hand-made contract tables for the factor tests (small, deterministic)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.contract import BARS_COLUMNS, FUNDAMENTAL_COLUMNS


def make_bars(
    n_stocks: int = 4,
    n_days: int = 80,
    seed: int = 0,
    start: str = "2020-01-02",
    suspend: dict[int, list[int]] | None = None,
) -> pd.DataFrame:
    """Random-walk bars. ``suspend`` maps stock index -> day indices with no trading."""
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range(start, periods=n_days)
    codes = [f"SH{600000 + i:06d}" for i in range(n_stocks)]
    rows = []
    for i, code in enumerate(codes):
        close = 10.0 * (i + 1) * np.exp(np.cumsum(rng.normal(0, 0.02, n_days)))
        open_ = close * np.exp(rng.normal(0, 0.01, n_days))
        high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.02, n_days))
        low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.02, n_days))
        vwap = low + (high - low) * rng.uniform(0.2, 0.8, n_days)
        volume = np.exp(rng.normal(13 + i * 0.3, 0.4, n_days)).round()
        adj = np.where(np.arange(n_days) >= n_days // 2, 1.0 + 0.1 * i, 1.0)  # an ex-dividend step
        shares = 1e8 * (i + 1)
        tradable = np.ones(n_days, bool)
        for d in (suspend or {}).get(i, []):
            tradable[d] = False
        volume = np.where(tradable, volume, 0.0)
        df = pd.DataFrame(
            {
                "date": dates,
                "code": code,
                "open": open_,
                "high": high,
                "low": low,
                "close": close,
                "volume": volume,
                "amount": np.where(tradable, volume * vwap, 0.0),
                "vwap": np.where(tradable, vwap, np.nan),
                "adj_factor": adj,
                "turnover": volume / (0.6 * shares),
                "float_mcap": close * 0.6 * shares,
                "total_mcap": close * shares,
                "tradable": tradable,
                "limit_up": close * 1.1,
                "limit_down": close * 0.9,
                "is_st": False,
            }
        )
        rows.append(df)
    return pd.concat(rows, ignore_index=True)[BARS_COLUMNS].sort_values(["date", "code"]).reset_index(drop=True)


def make_fundamentals(
    codes: list[str], n_quarters: int = 24, seed: int = 1, first_period: str = "2014-03-31", lag_days: int = 30
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range(first_period, periods=n_quarters, freq="QE")
    rows = []
    for i, code in enumerate(codes):
        base = 1e8 * (i + 1)
        rev = base * (1 + 0.02 * np.arange(n_quarters)) * rng.uniform(0.8, 1.2, n_quarters)
        np_ = rev * rng.uniform(0.05, 0.2, n_quarters)
        bv = base * 5 * (1 + 0.01 * np.arange(n_quarters))
        ta = bv * 2.5
        tl = ta - bv
        rows.append(
            pd.DataFrame(
                {
                    "code": code,
                    "report_period": periods,
                    "announce_date": periods + pd.Timedelta(days=lag_days + i),
                    "revenue": rev,
                    "net_profit": np_,
                    "ocf": np_ * rng.uniform(0.5, 1.5, n_quarters),
                    "gross_profit": rev * 0.3,
                    "dividends": np.where(periods.month == 6, np_ * 0.3, 0.0),
                    "book_value": bv,
                    "total_assets": ta,
                    "total_liabilities": tl,
                    "current_liabilities": tl * 0.6,
                    "roe": np_ / bv,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)[FUNDAMENTAL_COLUMNS]


def make_industry(codes: list[str], start: str = "2000-01-01") -> pd.DataFrame:
    inds = ["banks", "media", "steel"]
    sectors = {"banks": "financial", "media": "growth", "steel": "cyclical"}
    ind = [inds[i % len(inds)] for i in range(len(codes))]
    return pd.DataFrame(
        {
            "code": codes,
            "start_date": pd.Timestamp(start),
            "end_date": pd.NaT,
            "industry": ind,
            "sector": [sectors[x] for x in ind],
        }
    )


def wide(bars: pd.DataFrame, col: str) -> np.ndarray:
    """(T, N) array of one bar column (test-side pivot, independent of the engine)."""
    return bars.pivot(index="date", columns="code", values=col).to_numpy(dtype=float)
