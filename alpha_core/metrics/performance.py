"""Strategy performance: the returns family of SPEC section 2 (R1 tables), per year and overall.

Inputs are daily simple returns r_t (portfolio), b_t (benchmark) over n trading days; A = 252.

* annual return        R = prod(1 + r_t)^(A / n) - 1
* annual volatility    sigma = std(r, ddof=1) * sqrt(A)
* Sharpe               R / sigma (risk-free rate 0, as in the reports)
* max drawdown         MDD = max_t (1 - NAV_t / max_{s<=t} NAV_s), NAV_t = prod_{s<=t}(1 + r_s), NAV_0 = 1
* Calmar               R / MDD
* daily excess         e_t = r_t - b_t (a portfolio hedged daily with the index; its NAV is prod(1 + e))
* annual excess return R_e = prod(1 + e_t)^(A / n) - 1
* tracking error       TE = std(e, ddof=1) * sqrt(A)
* information ratio    IR = R_e / TE
* excess max drawdown  MDD of prod(1 + e); excess Calmar = R_e / excess MDD
* monthly win rate     share of calendar months whose compounded excess prod(1 + e) - 1 > 0
* annual two-way turnover = sum of per-rebalance two-way turnover (traded value / NAV) * A / n

A ratio whose denominator is 0 is NaN. ``daily`` tables are :class:`BacktestResult.daily`
(columns date, ret, bench_ret, excess_ret, turnover).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRADING_DAYS = 252
METRICS = [
    "annual_return",
    "annual_volatility",
    "sharpe",
    "max_drawdown",
    "calmar",
    "annual_excess_return",
    "tracking_error",
    "information_ratio",
    "excess_max_drawdown",
    "excess_calmar",
    "monthly_win_rate",
    "annual_turnover",
]


def _arr(x) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b and np.isfinite(b) else float("nan")


def annual_return(ret) -> float:
    """prod(1 + r)^(252 / n) - 1."""
    r = _arr(ret)
    return float(np.prod(1 + r) ** (TRADING_DAYS / len(r)) - 1) if len(r) else float("nan")


def annual_volatility(ret) -> float:
    """std(r, ddof=1) * sqrt(252)."""
    r = _arr(ret)
    return float(np.std(r, ddof=1) * np.sqrt(TRADING_DAYS)) if len(r) > 1 else float("nan")


def sharpe_ratio(ret) -> float:
    return _ratio(annual_return(ret), annual_volatility(ret))


def max_drawdown(ret) -> float:
    """Largest peak-to-trough loss of prod(1 + r), as a positive fraction (NAV_0 = 1 counts as a peak)."""
    nav = np.r_[1.0, np.cumprod(1 + _arr(ret))]
    return float((1 - nav / np.maximum.accumulate(nav)).max())


def calmar_ratio(ret) -> float:
    return _ratio(annual_return(ret), max_drawdown(ret))


def tracking_error(excess) -> float:
    return annual_volatility(excess)


def information_ratio(excess) -> float:
    return _ratio(annual_return(excess), tracking_error(excess))


def monthly_returns(ret, dates) -> pd.Series:
    """Compounded return per calendar month, indexed by month-start Timestamp."""
    s = pd.Series(_arr(ret), index=pd.DatetimeIndex(dates))
    m = (1 + s).groupby(s.index.to_period("M")).prod() - 1
    m.index = m.index.to_timestamp()
    return m.rename_axis("month")


def monthly_win_rate(excess, dates) -> float:
    m = monthly_returns(excess, dates)
    return float((m > 0).mean()) if len(m) else float("nan")


def annual_turnover(turnover) -> float:
    """Two-way turnover per year: sum of daily traded value / NAV, times 252 / n days."""
    t = _arr(turnover)
    return float(t.sum() * TRADING_DAYS / len(t)) if len(t) else float("nan")


def performance_summary(daily: pd.DataFrame) -> dict[str, float]:
    """Every metric of :data:`METRICS` over the rows of ``daily``."""
    r, e = daily["ret"].to_numpy(float), daily["excess_ret"].to_numpy(float)
    out = {
        "annual_return": annual_return(r),
        "annual_volatility": annual_volatility(r),
        "sharpe": sharpe_ratio(r),
        "max_drawdown": max_drawdown(r),
        "calmar": calmar_ratio(r),
        "annual_excess_return": annual_return(e),
        "tracking_error": tracking_error(e),
        "information_ratio": information_ratio(e),
        "excess_max_drawdown": max_drawdown(e),
        "excess_calmar": calmar_ratio(e),
        "monthly_win_rate": monthly_win_rate(e, daily["date"]),
        "annual_turnover": annual_turnover(daily["turnover"]) if "turnover" in daily else float("nan"),
    }
    return out


def performance_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Metrics per calendar year and over the whole period (row ``all``); columns :data:`METRICS`."""
    years = pd.DatetimeIndex(daily["date"]).year
    rows = {str(y): performance_summary(daily[years == y]) for y in sorted(set(years))}
    rows["all"] = performance_summary(daily)
    return pd.DataFrame.from_dict(rows, orient="index")[METRICS].rename_axis("period")


def monthly_excess_table(daily: pd.DataFrame) -> pd.DataFrame:
    """Year x month (1..12) compounded excess returns, plus ``year``: the year's compounded excess."""
    m = monthly_returns(daily["excess_ret"], daily["date"])
    table = pd.DataFrame({"year": m.index.year, "month": m.index.month, "r": m.to_numpy()})
    wide = table.pivot(index="year", columns="month", values="r").reindex(columns=range(1, 13))
    wide["year"] = (1 + table.set_index("year")["r"]).groupby(level=0).prod() - 1
    return wide


HEADLINE = [
    "annual_excess_return",
    "tracking_error",
    "information_ratio",
    "excess_max_drawdown",
    "excess_calmar",
    "monthly_win_rate",
    "annual_return",
    "sharpe",
    "max_drawdown",
    "annual_turnover",
]


def compare_strategies(dailies: dict[str, pd.DataFrame], metrics: list[str] | None = None) -> pd.DataFrame:
    """One row per strategy (whole period), columns ``metrics`` (default :data:`HEADLINE`)."""
    rows = {name: performance_summary(daily) for name, daily in dailies.items()}
    return pd.DataFrame.from_dict(rows, orient="index")[metrics or HEADLINE].rename_axis("strategy")
