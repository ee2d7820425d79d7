"""Arrange a signal and bars into the IC series and decile returns a tear sheet shows.

Evaluation only (it reads forward prices by design): the forward return of a score dated T is
adjusted vwap of T+1 -> T+1+step (R1's label timing). Metrics come from
:mod:`alpha_core.metrics.signal`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.panel import Panel
from alpha_core.metrics.signal import annualise, daily_rank_ic, group_returns


def forward_vwap_returns(panel: Panel, step: int = 5) -> np.ndarray:
    """(T, N) return from adjusted vwap at t+1 to t+1+step (NaN where not available)."""
    v = panel["vwap"] * panel["adj_factor"]
    out = np.full(v.shape, np.nan)
    if v.shape[0] > step + 1:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[: -(step + 1)] = v[step + 1 :] / v[1:-step] - 1
    return out


def signal_diagnostics(
    signals: pd.DataFrame, panel: Panel, step: int = 5, n_groups: int = 10
) -> tuple[pd.Series, pd.Series]:
    """(RankIC per evaluation date, annualised return per score group 1..n_groups).

    Evaluation dates: every ``step``-th date of the signal; only stocks of ``panel``.
    """
    sig = signals[signals["code"].isin(panel.codes) & signals["date"].isin(panel.dates)]
    score = np.full(panel.shape, np.nan)
    score[panel.dates.get_indexer(sig["date"]), panel.codes.get_indexer(sig["code"])] = sig["score"].to_numpy(float)
    rows = np.flatnonzero(np.isfinite(score).any(axis=1))[::step]
    fwd = forward_vwap_returns(panel, step)[rows]
    s = score[rows]
    ic = pd.Series(daily_rank_ic(s, fwd), index=panel.dates[rows], name="rank_ic")
    groups = group_returns(s, fwd, n_groups)
    dec = pd.Series(
        [annualise(groups[:, k], 252 / step) for k in range(n_groups)],
        index=range(1, n_groups + 1),
        name="annual_return",
    )
    return ic, dec


def rank_ic_by_date(frame: pd.DataFrame, label: str, *, step: int = 5, score: str = "score") -> pd.Series:
    """RankIC of ``score`` against ``label`` on every ``step``-th date of a long (date, code) frame,
    counted from its first date: the dates and values behind ``evaluate_signal``'s ``rank_ic``."""
    panel = Panel.from_long(frame, [score, label])
    keep = np.arange(0, len(panel.dates), step)
    return pd.Series(daily_rank_ic(panel[score][keep], panel[label][keep]), index=panel.dates[keep], name="rank_ic")
