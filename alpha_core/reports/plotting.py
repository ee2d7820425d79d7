"""Tear-sheet charts (matplotlib, Agg canvas, no pyplot global state).

Each function takes a plain table and returns a :class:`matplotlib.figure.Figure`; metric
computations come from :mod:`alpha_core.metrics`, never from here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def _figure(nrows: int = 1, height: float = 3.5, **kwargs) -> tuple[Figure, np.ndarray]:
    fig = Figure(figsize=(10, height * nrows), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, 1, squeeze=False, **kwargs)[:, 0]
    return fig, axes


def plot_cumulative_excess(daily: pd.DataFrame, title: str = "") -> Figure:
    """Top: strategy, benchmark and excess NAVs (prod(1 + r), prod(1 + b), prod(1 + e));
    bottom: drawdown of the excess NAV, 1 - NAV_e / running max."""
    fig, (ax, dd_ax) = _figure(2, sharex=True)
    dates = pd.DatetimeIndex(daily["date"])
    nav_e = np.cumprod(1 + daily["excess_ret"].to_numpy(float))
    ax.plot(dates, np.cumprod(1 + daily["ret"].to_numpy(float)), label="strategy", lw=1)
    ax.plot(dates, np.cumprod(1 + daily["bench_ret"].to_numpy(float)), label="benchmark", lw=1)
    ax.plot(dates, nav_e, label="excess", lw=1.5)
    ax.set_title(f"{title} cumulative return".strip())
    ax.legend(loc="upper left")
    ax.grid(alpha=0.3)
    dd = nav_e / np.maximum.accumulate(np.r_[1.0, nav_e])[1:] - 1
    dd_ax.fill_between(dates, dd, 0, color="tab:red", alpha=0.5)
    dd_ax.set_title("excess drawdown")
    dd_ax.grid(alpha=0.3)
    return fig


def plot_ic_series(ic: pd.Series, title: str = "IC", window: int = 20) -> Figure:
    """Per-date IC as bars with its ``window``-date rolling mean."""
    fig, (ax,) = _figure()
    ic = ic.dropna()
    ax.bar(pd.DatetimeIndex(ic.index), ic.to_numpy(float), width=3, color="tab:blue", alpha=0.5)
    ax.plot(
        pd.DatetimeIndex(ic.index),
        ic.rolling(window, min_periods=1).mean(),
        color="black",
        lw=1.2,
        label=f"{window}-period mean",
    )
    ax.axhline(0, color="grey", lw=0.8)
    ax.set_title(f"{title} (mean {ic.mean():.3f})")
    ax.legend(loc="upper left")
    return fig


def plot_cumulative_ic(ic: pd.Series, by_period: pd.Series | None = None, title: str = "RankIC") -> Figure:
    """Top: cumulative sum of the per-date IC (NaN dates count 0); bottom, when ``by_period`` is
    given: its mean IC per period (e.g. per year) as bars."""
    fig, axes = _figure(2 if by_period is not None else 1)
    ax = axes[0]
    x = ic.to_numpy(float)
    ax.plot(pd.DatetimeIndex(ic.index), np.cumsum(np.nan_to_num(x)), color="tab:blue", lw=1.5)
    mean = np.nanmean(x) if np.isfinite(x).any() else float("nan")
    ax.set_title(f"cumulative {title} (mean {mean:.3f}, {int(np.isfinite(x).sum())} dates)")
    ax.axhline(0, color="grey", lw=0.8)
    ax.grid(alpha=0.3)
    if by_period is not None:
        bar_ax = axes[1]
        v = by_period.to_numpy(float)
        bar_ax.bar([str(p) for p in by_period.index], np.nan_to_num(v), color=np.where(v >= 0, "tab:green", "tab:red"))
        bar_ax.axhline(0, color="grey", lw=0.8)
        bar_ax.set_title(f"mean {title} per period")
    return fig


def plot_decile_bars(decile_returns: pd.Series, title: str = "annualised return by score decile") -> Figure:
    """Bars of annualised return per score group (index 1 = lowest score)."""
    fig, (ax,) = _figure()
    ax.bar([str(g) for g in decile_returns.index], decile_returns.to_numpy(float) * 100, color="tab:green")
    ax.set_ylabel("% per year")
    ax.set_title(title)
    ax.axhline(0, color="grey", lw=0.8)
    return fig


def plot_monthly_heatmap(table: pd.DataFrame, title: str = "monthly excess return (%)") -> Figure:
    """Year x month heatmap of :func:`alpha_core.metrics.performance.monthly_excess_table`."""
    months = [c for c in table.columns if c != "year"]
    values = table[months].to_numpy(float) * 100
    fig, (ax,) = _figure(height=max(2.5, 0.45 * len(table) + 1.2))
    lim = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    ax.imshow(values, cmap="RdYlGn", vmin=-lim, vmax=lim, aspect="auto")
    ax.set_xticks(range(len(months)), [str(m) for m in months])
    ax.set_yticks(range(len(table)), [str(y) for y in table.index])
    for (i, j), v in np.ndenumerate(values):
        if np.isfinite(v):
            ax.text(j, i, f"{v:.1f}", ha="center", va="center", fontsize=7)
    ax.set_title(title)
    return fig


def plot_turnover(daily: pd.DataFrame, title: str = "two-way turnover per rebalance") -> Figure:
    """Turnover of each rebalance day (traded value / NAV) and its 252-day rolling sum."""
    fig, (ax,) = _figure()
    dates = pd.DatetimeIndex(daily["date"])
    t = daily["turnover"].to_numpy(float)
    reb = t > 0
    ax.bar(dates[reb], t[reb], width=3, color="tab:purple", alpha=0.7, label="per rebalance")
    ax2 = ax.twinx()
    ax2.plot(dates, pd.Series(t).rolling(252, min_periods=1).sum(), color="black", lw=1, label="rolling 252d sum")
    ax.set_title(title)
    ax.legend(loc="upper left")
    ax2.legend(loc="upper right")
    return fig
