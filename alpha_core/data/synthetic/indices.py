"""CSI 300 / 500 / 1000-like indices: members by cap rank, float-cap weights, daily levels.

Rebalanced semi-annually (first trading day on or after Jun 15 and Dec 15, and the first day).
At a rebalance day R, eligible stocks are listed on R, not ST, listed for >= 63 trading days
(or before the sample), and they are ranked by mean total market cap over [R-126, R-1]
(day 0: that day's cap). The top n300 form SH000300, the next n500 SH000905, the next n1000
SH000852, with n = min(real size, 10% / 16.7% / 33.3% of the eligible count), so a small
market keeps three nested-by-rank indices.

Weights on day t: w[t, i] = float_mcap[t, i] / sum over members (members still listed).
Level: L_0 = 1000, L_t = L_{t-1} (1 + sum_i w[t-1, i] R[t, i]) with R the adjusted close return
(0 while suspended).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.synthetic.prices import PriceArrays
from alpha_core.data.synthetic.universe_events import Universe

INDEX_SPECS: dict[str, tuple[int, float]] = {  # code -> (real size, fraction of eligible)
    "SH000300": (300, 0.10),
    "SH000905": (500, 0.167),
    "SH000852": (1000, 0.333),
}


@dataclass(frozen=True)
class Indices:
    """weights: code -> (T, N) weights (0 for non-members); levels: code -> (T,) close."""

    weights: dict[str, np.ndarray]
    levels: dict[str, np.ndarray]


def rebalance_days(cal: pd.DatetimeIndex) -> np.ndarray:
    """Calendar indices of the rebalance days (day 0 plus first day on/after Jun 15 / Dec 15)."""
    out = {0}
    for y in range(cal[0].year, cal[-1].year + 1):
        for md in ("06-15", "12-15"):
            k = int(np.searchsorted(cal.values, np.datetime64(f"{y}-{md}")))
            if k < len(cal):
                out.add(k)
    return np.array(sorted(out))


def make_indices(cal: pd.DatetimeIndex, uni: Universe, px: PriceArrays) -> Indices:
    """Members, weights and levels of the three indices."""
    t_len, n = uni.listed.shape
    total_mcap = px.close * px.total_shares
    float_mcap = px.close * px.float_shares
    cum = np.vstack([np.zeros((1, n)), np.cumsum(np.nan_to_num(total_mcap), axis=0)])
    cnt = np.vstack([np.zeros((1, n)), np.cumsum(np.isfinite(total_mcap), axis=0)])
    reb = rebalance_days(cal)
    members = {code: np.zeros((t_len, n), dtype=bool) for code in INDEX_SPECS}
    for k, r in enumerate(reb):  # a few dozen rebalances
        lo = max(r - 126, 0)
        hi = r if r > 0 else 1
        avg = (cum[hi] - cum[lo]) / np.maximum(cnt[hi] - cnt[lo], 1)
        seasoned = (r - uni.list_idx >= 63) | (uni.list_date < cal.values[0])
        elig = uni.listed[r] & ~uni.st[r] & seasoned & (cnt[hi] - cnt[lo] > 0)
        order = np.flatnonzero(elig)[np.argsort(-avg[elig], kind="stable")]
        end = reb[k + 1] if k + 1 < len(reb) else t_len
        pos = 0
        for code, (size, frac) in INDEX_SPECS.items():
            m = min(size, max(1, int(round(frac * len(order)))))
            members[code][r:end, order[pos : pos + m]] = True
            pos += m
    adj_close = px.close * px.adj_factor
    ret = np.nan_to_num(adj_close[1:] / adj_close[:-1] - 1.0)
    weights, levels = {}, {}
    for code, mem in members.items():
        mem &= uni.listed
        fm = np.where(mem, np.nan_to_num(float_mcap), 0.0)
        w = fm / np.maximum(fm.sum(axis=1, keepdims=True), 1e-9)
        weights[code] = w
        daily = (w[:-1] * ret).sum(axis=1)
        levels[code] = 1000.0 * np.concatenate([[1.0], np.cumprod(1.0 + daily)])
    return Indices(weights=weights, levels=levels)
