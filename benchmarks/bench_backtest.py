"""Backtest engine speed: 10 years x 1,000 stocks, weekly (5-day) rebalancing, optimiser excluded.

Synthetic random-walk market with suspensions and one-price limit days sprinkled in; each
rebalance targets 200 random names. Prints the pivot time (long bars -> (T, N) panel, done
once per market and reusable across strategies) and the engine time. Goal: < 5 s.

Baseline (same run): :func:`pandas_reference`, the same accounting written plainly in pandas
(pivot each field, a loop over days on code-indexed Series, T+1 vwap fills, one-way costs
solved by the same fixed point) WITHOUT the A-share rules (suspension / limit locks): the
ratio is baseline / (pivot + engine), and both final NAVs are printed (they differ by what the
rules block). Run:

    .venv/bin/python benchmarks/bench_backtest.py [--days 2520] [--stocks 1000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from alpha_core.backtest.engine import BacktestConfig, bars_panel, run_backtest


def synthetic_bars(t: int, n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 10 * np.exp(np.cumsum(rng.normal(0, 0.02, (t, n)), axis=0))
    prev = np.vstack([close[:1], close[:-1]])
    open_ = prev * np.exp(rng.normal(0, 0.005, (t, n)))
    vwap = (open_ + close) / 2
    tradable = rng.random((t, n)) > 0.01
    lu, ld = prev * 1.1, prev * 0.9
    limit = rng.random((t, n)) < 0.002
    for a in (open_, close, vwap):
        a[limit] = lu[limit]
    high, low = np.maximum(open_, close), np.minimum(open_, close)
    vwap[~tradable] = np.nan
    days = pd.bdate_range("2012-01-02", periods=t)
    codes = np.array([f"SZ{i:06d}" for i in range(n)], dtype=object)
    return pd.DataFrame(
        {
            "date": np.repeat(days.values, n),
            "code": np.tile(codes, t),
            "open": open_.ravel(),
            "high": high.ravel(),
            "low": low.ravel(),
            "close": close.ravel(),
            "vwap": vwap.ravel(),
            "adj_factor": np.ones(t * n),
            "tradable": tradable.ravel(),
            "limit_up": lu.ravel(),
            "limit_down": ld.ravel(),
        }
    )


def pandas_reference(bars: pd.DataFrame, weights: pd.DataFrame, rate: float = 0.002, iterations: int = 8) -> pd.Series:
    """NAV per day of ``weights`` (decision dates) executed at T+1 vwap, in plain pandas (the baseline).

    No trading rules: every name trades at its fill price (the last close where the vwap is missing).
    """

    def wide(col: str) -> pd.DataFrame:
        return bars.pivot(index="date", columns="code", values=col)

    adj = wide("adj_factor")
    price = (wide("close") * adj).ffill()
    fill = (wide("vwap") * adj).fillna(price)
    dates = price.index
    targets = {}
    for day, grp in weights.groupby("date"):
        j = dates.searchsorted(day) + 1
        if j < len(dates):
            targets[dates[j]] = grp.set_index("code")["weight"].reindex(price.columns, fill_value=0.0)
    first = min(targets)
    v = pd.Series(0.0, index=price.columns)
    cash, prev, nav = 1.0, price.iloc[dates.get_loc(first) - 1], {}
    for day in dates[dates >= first]:
        p = price.loc[day]
        if day in targets:
            f = fill.loc[day]
            v_fill = v * (f / prev).fillna(1.0)
            nav_pre = v_fill.sum() + cash
            target = targets[day]
            share = target.sum()
            cost = 0.0
            for _ in range(iterations):
                cost = rate * (target / share * (nav_pre * share - cost) - v_fill).abs().sum()
            v_new = target / share * (nav_pre * share - cost)
            cash = nav_pre - v_new.sum() - cost
            v = v_new * (p / f).fillna(1.0)
        else:
            v = v * (p / prev).fillna(1.0)
        nav[day] = v.sum() + cash
        prev = p
    return pd.Series(nav)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--days", type=int, default=2520)
    ap.add_argument("--stocks", type=int, default=1000)
    args = ap.parse_args()
    bars = synthetic_bars(args.days, args.stocks)
    rng = np.random.default_rng(1)
    days = pd.DatetimeIndex(bars["date"].unique())[::5]
    codes = bars["code"].unique()
    weights = pd.concat(
        [pd.DataFrame({"date": d, "code": rng.choice(codes, 200, replace=False), "weight": 1 / 200}) for d in days],
        ignore_index=True,
    )
    t0 = time.perf_counter()
    panel = bars_panel(bars)
    pivot = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = run_backtest(panel, weights, BacktestConfig())
    engine = time.perf_counter() - t0
    print(f"{args.days} days x {args.stocks} stocks, {len(days)} weekly rebalances (200 names each)")
    print(f"pivot (once per market): {pivot:.2f} s")
    print(f"engine:                  {engine:.2f} s   goal < 5 s   (engine + pivot {engine + pivot:.2f} s)")
    t0 = time.perf_counter()
    ref = pandas_reference(bars, weights)
    base = time.perf_counter() - t0
    print(
        f"pandas reference (no A-share rules): {base:.2f} s   "
        f"ratio reference / (engine + pivot) {base / (engine + pivot):.1f}x, reference / engine {base / engine:.1f}x"
    )
    print(
        f"final NAV {res.daily['nav'].iloc[-1]:.4f} (reference {ref.iloc[-1]:.4f}), mean two-way turnover per rebalance "
        f"{res.trades['turnover'].mean():.3f}, rebalances with a locked name {int((res.trades['n_locked'] > 0).sum())}"
    )


if __name__ == "__main__":
    main()
