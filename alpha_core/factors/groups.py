"""Per-date, per-group (industry) statistics on (T, N) arrays, broadcast back to (T, N).

``ind`` is a (T, N) int array of group ids (-1 = unknown, excluded). Sums and
moments use ``np.bincount`` on the flat (date, group) key: O(T N), no loops
over stocks or days; medians loop over the (few) groups.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _key(ind: np.ndarray, k: int) -> np.ndarray:
    t = np.arange(ind.shape[0])[:, None]
    return t * k + ind


def group_sum_count(x: np.ndarray, ind: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, K) per-date group sums and counts of the valid values of x."""
    ok = ~np.isnan(x) & (ind >= 0)
    key = _key(ind, k)[ok]
    size = ind.shape[0] * k
    s = np.bincount(key, weights=x[ok], minlength=size).reshape(-1, k)
    n = np.bincount(key, minlength=size).reshape(-1, k).astype(np.float64)
    return s, n


def broadcast(stat: np.ndarray, ind: np.ndarray) -> np.ndarray:
    """(T, K) per-group statistic -> (T, N) value of each stock's group (NaN if unknown)."""
    t = np.arange(ind.shape[0])[:, None]
    out = stat[t, np.maximum(ind, 0)]
    return np.where(ind >= 0, out, np.nan)


def group_mean(x: np.ndarray, ind: np.ndarray, k: int) -> np.ndarray:
    s, n = group_sum_count(x, ind, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        return broadcast(np.where(n > 0, s / n, np.nan), ind)


def group_sum(x: np.ndarray, ind: np.ndarray, k: int) -> np.ndarray:
    s, n = group_sum_count(x, ind, k)
    return broadcast(np.where(n > 0, s, np.nan), ind)


def group_std(x: np.ndarray, ind: np.ndarray, k: int, ddof: int = 1) -> np.ndarray:
    s, n = group_sum_count(x, ind, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mu = s / n
    dev = x - broadcast(mu, ind)
    s2, _ = group_sum_count(dev * dev, ind, k)
    with np.errstate(invalid="ignore", divide="ignore"):
        var = np.where(n > ddof, s2 / (n - ddof), np.nan)
    return broadcast(np.sqrt(var), ind)


def group_median(x: np.ndarray, ind: np.ndarray, k: int) -> np.ndarray:
    out = np.full(x.shape, np.nan)
    for g in range(k):  # loop over groups (~30 industries), vectorised over dates
        m = ind == g
        if not m.any():
            continue
        xg = np.where(m, x, np.nan)
        rows = (~np.isnan(xg)).any(axis=1)
        med = np.full(x.shape[0], np.nan)
        med[rows] = np.nanmedian(xg[rows], axis=1)
        out = np.where(m, med[:, None], out)
    return out


def group_pct_rank(x: np.ndarray, ind: np.ndarray, k: int) -> np.ndarray:
    """Percentile rank (average ties, in (0, 1]) of x among its group's valid values on the same date."""
    out = np.full(x.shape, np.nan)
    for g in range(k):
        m = ind == g
        if not m.any():
            continue
        r = pd.DataFrame(np.where(m, x, np.nan)).rank(axis=1, pct=True).to_numpy()
        out = np.where(m, r, out)
    return out
