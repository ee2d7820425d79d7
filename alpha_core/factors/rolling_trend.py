"""Trailing-window least squares: the linear trend of a (T, N) series against the time index
(Qlib's Slope, Rsquare, Resi) and the guarded Pearson correlation of two series (Qlib's Corr).

For row t and window d, the valid rows s of (t-d, t] enter with x_s = s - t + d in 1..d (the
newest row has x = d; a NaN row keeps its slot but is no observation), and y_s the series:

    slope = Sxy / Sxx,   rsquare = Sxy^2 / (Sxx Syy),   resi = y_t - (ybar + slope (d - xbar))
    Sxy = sum (x - xbar)(y - ybar),  Sxx = sum (x - xbar)^2,  Syy = sum (y - ybar)^2

(two-pass sums per window, so no cancellation against long cumulative sums). NaN below
``min_periods`` observations, when Sxx = 0, for rsquare when y is flat (relative std < 1e-10),
and for resi when y_t is NaN. Compiled (numba) loops, columns in parallel threads; each
column's arithmetic is serial, so the result does not depend on the thread count. O(T N d).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, parallel=True)
def _trend_pass(xt, window, min_periods, slope, rsq, resi):  # pragma: no cover - compiled
    n_cols, t_len = xt.shape
    for j in numba.prange(n_cols):  # columns are independent: same result on any thread count
        for t in range(t_len):
            start = max(0, t - window + 1)
            n = 0
            sx = 0.0
            sy = 0.0
            for s in range(start, t + 1):
                y = xt[j, s]
                if y == y:
                    n += 1
                    sx += s - t + window
                    sy += y
            if n < min_periods or n < 2:
                continue
            xbar = sx / n
            ybar = sy / n
            sxy = 0.0
            sxx = 0.0
            syy = 0.0
            for s in range(start, t + 1):
                y = xt[j, s]
                if y == y:
                    dx = s - t + window - xbar
                    dy = y - ybar
                    sxy += dx * dy
                    sxx += dx * dx
                    syy += dy * dy
            if sxx <= 0.0:
                continue
            b = sxy / sxx
            slope[j, t] = b
            if syy > n * (1e-10 * abs(ybar)) ** 2 and syy > 0.0:
                rsq[j, t] = sxy * sxy / (sxx * syy)
            last = xt[j, t]
            if last == last:
                resi[j, t] = last - (ybar + b * (window - xbar))


def rolling_trend(x: np.ndarray, window: int, min_periods: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(slope, rsquare, resi), each (T, N) float64, of ``x`` (T, N) on the time index over ``window`` rows."""
    if window < 2 or min_periods < 1:
        raise ValueError(f"window must be >= 2 and min_periods >= 1, got {window}, {min_periods}")
    xt = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    outs = [np.full(xt.shape, np.nan) for _ in range(3)]
    _trend_pass(xt, window, min_periods, *outs)
    return tuple(np.ascontiguousarray(o.T) for o in outs)


@numba.njit(cache=True, parallel=True)
def _corr_pass(xt, yt, window, min_periods, flat_std, out):  # pragma: no cover - compiled
    n_cols, t_len = xt.shape
    for j in numba.prange(n_cols):  # columns are independent: same result on any thread count
        for t in range(t_len):
            start = max(0, t - window + 1)
            n = 0
            sx = 0.0
            sy = 0.0
            for s in range(start, t + 1):
                a = xt[j, s]
                b = yt[j, s]
                if a == a and b == b:
                    n += 1
                    sx += a
                    sy += b
            if n < min_periods or n < 2:
                continue
            xbar = sx / n
            ybar = sy / n
            sxy = 0.0
            sxx = 0.0
            syy = 0.0
            for s in range(start, t + 1):
                a = xt[j, s]
                b = yt[j, s]
                if a == a and b == b:
                    sxy += (a - xbar) * (b - ybar)
                    sxx += (a - xbar) ** 2
                    syy += (b - ybar) ** 2
            lim = flat_std * flat_std * (n - 1)
            if sxx <= lim or syy <= lim or sxx <= 0.0 or syy <= 0.0:
                continue
            r = sxy / np.sqrt(sxx * syy)
            out[j, t] = min(1.0, max(-1.0, r))


def rolling_corr_guarded(
    x: np.ndarray, y: np.ndarray, window: int, min_periods: int, flat_std: float = 0.0
) -> np.ndarray:
    """Pearson correlation of x and y over the rows of (t-w, t] where both are valid, (T, N) float64.

    r = Sxy / sqrt(Sxx Syy) (two-pass sums about the window means); NaN below ``min_periods``
    pairs, or where either sample std (ddof 1) over those pairs is <= ``flat_std`` (Qlib's Corr
    guard is 2e-5) or zero.
    """
    if window < 2 or min_periods < 1:
        raise ValueError(f"window must be >= 2 and min_periods >= 1, got {window}, {min_periods}")
    xt = np.ascontiguousarray(np.asarray(x, dtype=np.float64).T)
    yt = np.ascontiguousarray(np.asarray(y, dtype=np.float64).T)
    out = np.full(xt.shape, np.nan)
    _corr_pass(xt, yt, window, min_periods, float(flat_std), out)
    return np.ascontiguousarray(out.T)
