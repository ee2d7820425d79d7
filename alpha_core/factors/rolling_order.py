"""Trailing-window order statistics on wide (T, N) arrays: quantiles, percentile rank, and
extremes with their age.

Like :mod:`alpha_core.factors.rolling`, the value at row t reads rows t-w+1 .. t only and NaN
entries are not observations; a window with fewer than ``min_periods`` valid values gives NaN.

Order statistics do not come from cumulative sums, so these kernels are compiled loops (numba)
over each column: :func:`rolling_quantiles_rank` keeps the column's window SORTED (binary
search, then a shift of at most w values per row: O(T N w) with a tiny constant), which yields
any quantile and the rank of the newest value in the same pass; :func:`rolling_extreme_age`
keeps a monotone deque (O(T N)). Columns run in parallel threads (numba prange); each
column's arithmetic is serial, so the result does not depend on the thread count.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True)
def _sorted_window_pass(xt, window, qs, min_periods, out_q, out_rank):  # pragma: no cover - compiled
    n_cols, t_len = xt.shape
    for j in numba.prange(n_cols):  # columns are independent: same result on any thread count
        buf = np.empty(window)
        n = 0
        for t in range(t_len):
            if t >= window:
                old = xt[j, t - window]
                if old == old:  # leaves the window: delete its first copy
                    lo, hi = 0, n
                    while lo < hi:
                        mid = (lo + hi) // 2
                        if buf[mid] < old:
                            lo = mid + 1
                        else:
                            hi = mid
                    for k in range(lo, n - 1):
                        buf[k] = buf[k + 1]
                    n -= 1
            v = xt[j, t]
            if v == v:
                lo, hi = 0, n  # first index with buf >= v
                while lo < hi:
                    mid = (lo + hi) // 2
                    if buf[mid] < v:
                        lo = mid + 1
                    else:
                        hi = mid
                less = lo
                hi = n  # first index with buf > v
                while lo < hi:
                    mid = (lo + hi) // 2
                    if buf[mid] <= v:
                        lo = mid + 1
                    else:
                        hi = mid
                ties = lo - less
                for k in range(n, lo, -1):
                    buf[k] = buf[k - 1]
                buf[lo] = v
                n += 1
                if n >= min_periods:
                    out_rank[j, t] = (less + 1.0 + ties / 2.0) / n
            if n >= min_periods and n > 0:
                for i in range(qs.shape[0]):
                    pos = qs[i] * (n - 1)
                    k = int(np.floor(pos))
                    frac = pos - k
                    a = buf[k]
                    out_q[i, j, t] = a if frac == 0.0 else a + (buf[k + 1] - a) * frac


@numba.njit(cache=True, parallel=True)
def _extreme_age_pass(xt, window, sign, min_periods, out_val, out_age):  # pragma: no cover - compiled
    # monotone deque of row indices, values non-increasing front to back (of sign * x): the
    # front is the window's extreme; an equal newer value does not evict it (oldest tie wins)
    n_cols, t_len = xt.shape
    size = window + 1
    for j in numba.prange(n_cols):  # columns are independent: same result on any thread count
        dq = np.empty(size, dtype=np.int64)
        head = 0
        tail = 0
        n = 0
        for t in range(t_len):
            if t >= window and xt[j, t - window] == xt[j, t - window]:
                n -= 1
            if tail != head and dq[head % size] <= t - window:
                head += 1
            v = xt[j, t] * sign
            if v == v:
                n += 1
                while tail != head and xt[j, dq[(tail - 1) % size]] * sign < v:
                    tail -= 1
                dq[tail % size] = t
                tail += 1
            if n >= min_periods and tail != head:
                s = dq[head % size]
                out_val[j, t] = xt[j, s]
                out_age[j, t] = t - s


def rolling_quantiles_rank(
    x: np.ndarray, window: int, quantiles: tuple[float, ...], min_periods: int
) -> tuple[list[np.ndarray], np.ndarray]:
    """Windowed quantiles and the percentile rank of the current value.

    For the n valid values v_(0) <= ... <= v_(n-1) of rows (t-w, t] of a column:
        quantile_q = v_(i) + (v_(i+1) - v_(i)) (p - i),  p = q (n - 1), i = floor(p)
            (linear interpolation, as ``pandas.Series.rolling(w).quantile(q)``)
        rank = (#{v < x_t} + (m + 1) / 2) / n,  m = #{v == x_t} (x_t included)
            (average rank of ties, as a fraction, as ``rolling(w).rank(pct=True)``; NaN when x_t is NaN)

    Args:
        x: (T, N) float array, NaN = no observation.
        window: w >= 1 rows.
        quantiles: q values in [0, 1].
        min_periods: fewest valid values for a result (>= 1).

    Returns:
        ([(T, N) float64 per q], (T, N) float64 rank).
    """
    if window < 1 or min_periods < 1:
        raise ValueError(f"window and min_periods must be >= 1, got {window}, {min_periods}")
    qs = np.asarray(quantiles, dtype=np.float64)
    if ((qs < 0) | (qs > 1)).any():
        raise ValueError(f"quantiles must lie in [0, 1], got {quantiles}")
    xt = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    out_q = np.full((len(qs),) + xt.shape, np.nan)
    out_rank = np.full(xt.shape, np.nan)
    _sorted_window_pass(xt, window, qs, min_periods, out_q, out_rank)
    return [np.ascontiguousarray(q.T) for q in out_q], np.ascontiguousarray(out_rank.T)


def rolling_extreme_age(x: np.ndarray, window: int, kind: str, min_periods: int) -> tuple[np.ndarray, np.ndarray]:
    """Windowed max (``kind="max"``) or min of the valid values, and the age of that value.

    age_t = t - s*, s* = the OLDEST row of (t-w, t] holding the extreme (ties resolve as
    ``numpy.argmax`` over the window does).

    Returns:
        ((T, N) float64 extreme, (T, N) float64 age in rows); both NaN below ``min_periods``.
    """
    if kind not in ("max", "min"):
        raise ValueError(f"kind must be 'max' or 'min', got {kind!r}")
    if window < 1 or min_periods < 1:
        raise ValueError(f"window and min_periods must be >= 1, got {window}, {min_periods}")
    xt = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    val = np.full(xt.shape, np.nan)
    age = np.full(xt.shape, np.nan)
    _extreme_age_pass(xt, window, 1.0 if kind == "max" else -1.0, min_periods, val, age)
    return np.ascontiguousarray(val.T), np.ascontiguousarray(age.T)
