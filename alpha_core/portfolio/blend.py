"""Blend of two strategies (R1: GAT+residual and XGBoost), equal weight, re-balanced every 60 days.

Two sleeves of capital A_t, B_t each follow their own strategy's daily return r^A_t, r^B_t.
On day 0 and every ``every``-th trading day after it, before that day's returns, the sleeves
are reset to the target shares (w_A, w_B) of the total; in between they drift:

    r_t = (A_{t-1} r^A_t + B_{t-1} r^B_t) / (A_{t-1} + B_{t-1})

Moving capital between sleeves is charged as selling the surplus sleeve pro rata and buying
the other (``transfer_cost`` per side on the moved value; an upper bound, since the two
strategies share holdings). Turnover (two-way) = the sleeves' own turnover weighted by
capital, plus 2 x moved value / total on reset days.

:func:`excess_correlation` is the Pearson correlation of the two strategies' daily excess
returns (the figure R1 reports for the blend).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def blend_daily(
    a: pd.DataFrame, b: pd.DataFrame, *, every: int = 60, weight_a: float = 0.5, transfer_cost: float = 0.002
) -> pd.DataFrame:
    """Daily table of the blend from two backtests' ``daily`` tables (common dates only).

    Returns columns date, nav, ret, bench_ret, excess_ret, cost, turnover, weight_a (the A
    sleeve's share of capital at the start of the day, after any reset).
    """
    m = a.merge(b, on="date", suffixes=("_a", "_b")).sort_values("date", ignore_index=True)
    ra, rb = m["ret_a"].to_numpy(float), m["ret_b"].to_numpy(float)
    ta, tb = m["turnover_a"].to_numpy(float), m["turnover_b"].to_numpy(float)
    n = len(m)
    ret, cost, turn, share = (np.zeros(n) for _ in range(4))
    sa, sb = weight_a, 1.0 - weight_a
    for t in range(n):  # a loop over days only (two sleeves)
        before = sa + sb
        moved = 0.0
        if t % every == 0:
            moved = abs(sa - weight_a * before)
            cost[t] = 2 * transfer_cost * moved / before
            after = before * (1 - cost[t])
            sa, sb = weight_a * after, (1 - weight_a) * after
        share[t] = sa / (sa + sb)
        turn[t] = share[t] * ta[t] + (1 - share[t]) * tb[t] + 2 * moved / before
        sa, sb = sa * (1 + ra[t]), sb * (1 + rb[t])
        ret[t] = (sa + sb) / before - 1
    bench = m["bench_ret_a"].to_numpy(float)
    return pd.DataFrame(
        {
            "date": m["date"],
            "nav": np.cumprod(1 + ret),
            "ret": ret,
            "bench_ret": bench,
            "excess_ret": ret - bench,
            "cost": cost,
            "turnover": turn,
            "weight_a": share,
        }
    )


def excess_correlation(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Pearson correlation of ``excess_ret`` of two daily tables on their common dates."""
    m = a[["date", "excess_ret"]].merge(b[["date", "excess_ret"]], on="date")
    return float(np.corrcoef(m["excess_ret_x"], m["excess_ret_y"])[0, 1]) if len(m) > 1 else float("nan")
