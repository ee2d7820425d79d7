"""Volatility factors (R1 table 15).

    std_1m  = std_21(r)           sample std (ddof=1) of daily adjusted returns
    vstd_1m = std_21(volume)
    ivr_ff3factor_1m = std of the residuals e of the per-stock 21-day OLS
        r_{i,s} = a_i + b_i MKT_s + s_i SMB_s + h_i HML_s + e_{i,s},  s in (t-21, t]
        std = sqrt(sum e^2 / (n - 1))  (= np.std(e, ddof=1); e has mean 0 with the intercept)

Factor returns are built from the cross-section of the panel itself (no look-ahead:
the sorts use market caps and BP of the previous day t-1, the returns are of day t):

    MKT_t = sum_i w_i r_{i,t} / sum_i w_i,  w = total_mcap_{t-1} (equal weights when caps are unknown)
    SMB_t = mean r of the 30% smallest total_mcap_{t-1}  -  mean r of the 30% largest
    HML_t = mean r of the 30% highest bp_lf_{t-1}        -  mean r of the 30% lowest
A factor whose inputs are missing on the source (no caps -> no SMB; no fundamentals ->
no HML) is left out of the regression (logged), rather than filled; where SMB / HML are
undefined only on some days, a window whose full model is not estimable falls back to the
nested model without them (MKT+SMB, then MKT alone). Days without any cap use an
equal-weighted MKT.
"""

from __future__ import annotations

import logging

import numpy as np

from alpha_core.factors.base import family
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.rolling import default_min_periods, lag, rolling_std, window_sum

log = logging.getLogger(__name__)

IVR_WINDOW = 21
SORT_QUANTILE = 0.3


def std_1m(ctx: FactorContext) -> np.ndarray:
    return rolling_std(ctx.ret, 21)


def vstd_1m(ctx: FactorContext) -> np.ndarray:
    return rolling_std(ctx.field("volume"), 21)


def row_quantile(x: np.ndarray, q: float) -> np.ndarray:
    """(T,) per-row quantile of the non-NaN values (linear interpolation, as np.nanquantile)."""
    s = np.sort(x, axis=1)  # NaN sort last
    n = (~np.isnan(x)).sum(axis=1)
    pos = q * np.maximum(n - 1, 0)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, np.maximum(n - 1, 0))
    a = np.take_along_axis(s, lo[:, None], axis=1)[:, 0]
    b = np.take_along_axis(s, hi[:, None], axis=1)[:, 0]
    return np.where(n > 0, a + (b - a) * (pos - lo), np.nan)


def _long_short(ret: np.ndarray, sort_key: np.ndarray, q: float) -> np.ndarray:
    """(T,) mean return of the top-q minus the bottom-q of ``sort_key`` per row."""
    ok = ~np.isnan(ret) & ~np.isnan(sort_key)
    key = np.where(ok, sort_key, np.nan)
    with np.errstate(invalid="ignore"):
        rows = ok.sum(axis=1) >= 3
        lo = row_quantile(key, q)
        hi = row_quantile(key, 1 - q)
        top = ok & (key >= hi[:, None])
        bot = ok & (key <= lo[:, None])
        r0 = np.where(ok, ret, 0.0)
        out = (r0 * top).sum(1) / top.sum(1) - (r0 * bot).sum(1) / bot.sum(1)
    return np.where(rows, out, np.nan)


def factor_returns(ctx: FactorContext) -> dict[str, np.ndarray]:
    """(T,) daily MKT, SMB, HML returns (only those whose inputs exist)."""

    def build():
        r = ctx.ret
        cap = lag(ctx.field("total_mcap"), 1)
        have_cap = bool(np.isfinite(cap).any())
        w = np.where(~np.isnan(r) & (cap > 0), cap, 0.0) if have_cap else (~np.isnan(r)).astype(float)
        # rows without any known cap fall back to equal weights
        no_cap_row = w.sum(1) == 0
        w[no_cap_row] = (~np.isnan(r[no_cap_row])).astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            mkt = (np.where(np.isnan(r), 0.0, r) * w).sum(1) / w.sum(1)
        out = {"MKT": np.where(w.sum(1) > 0, mkt, np.nan)}
        if have_cap:
            out["SMB"] = -_long_short(r, cap, SORT_QUANTILE)
        else:
            log.warning("ivr_ff3factor_1m: no market caps, SMB left out of the regression")
        if ctx.fundamentals is not None and have_cap:
            from alpha_core.factors.value import bp_lf

            out["HML"] = _long_short(r, lag(bp_lf(ctx), 1), SORT_QUANTILE)
        else:
            log.warning("ivr_ff3factor_1m: no book values, HML left out of the regression")
        return out

    return ctx._cache("ff3_factor_returns", build)


def _solve_scaled(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Batched solve of a x = b for (..., P, P) normal matrices, diagonally scaled for conditioning.

    Returns (x, ok); ok is False where the scaled matrix is near-singular (x is then garbage).
    """
    d = np.sqrt(np.maximum(np.einsum("...ii->...i", a), 1e-300))
    an = a / (d[..., :, None] * d[..., None, :])
    ok = np.abs(np.linalg.det(an)) > 1e-10
    an[~ok] = np.eye(a.shape[-1])
    x = np.linalg.solve(an, (b / d)[..., None])[..., 0] / d
    return x, ok


def rolling_residual_std(
    y: np.ndarray, factors: np.ndarray, window: int, min_periods: int | None = None, block: int = 512
) -> np.ndarray:
    """Per-column rolling OLS of y (T, N) on [1, factors (T, K)]; std (ddof=1) of the window residuals.

    Normal equations from windowed sums: beta = (X'X)^-1 X'y, SSR = y'y - beta'X'y.
    The regressors are common to all stocks, so a stock observed on every usable row of
    its window shares the day's X'X: one (P, P) solve per day covers all of them. Only
    stocks with gaps in the window need their own masked X'X (batched solves). Windows
    whose (diagonally scaled) normal matrix is near-singular give NaN.
    """
    t, n = y.shape
    x = np.column_stack([np.ones(t), factors])  # (T, P)
    p = x.shape[1]
    mp = max(p + 2, default_min_periods(window)) if min_periods is None else min_periods
    row_ok = ~np.isnan(x).any(axis=1)
    x0 = np.where(row_ok[:, None], x, 0.0)
    pairs = (x0[:, :, None] * x0[:, None, :]).reshape(t, p * p)  # (T, P*P)
    a_day = window_sum(pairs, window).reshape(t, p, p)  # X'X of the usable rows of each day's window
    rows_cnt = window_sum(row_ok.astype(np.float64)[:, None], window)[:, 0]
    _, ok_day = _solve_scaled(a_day, np.zeros((t, p)))
    inv_day = np.linalg.inv(np.where(ok_day[:, None, None], a_day, np.eye(p)))
    out = np.full((t, n), np.nan)
    for c0 in range(0, n, block):
        yb = y[:, c0 : c0 + block]
        m = ~np.isnan(yb) & row_ok[:, None]
        mf = m.astype(np.float64)
        y0 = np.where(m, yb, 0.0)
        cnt = window_sum(mf, window)
        sxy = np.stack([window_sum(y0 * x0[:, a][:, None], window) for a in range(p)], axis=-1)  # (T, nb, P)
        syy = window_sum(y0 * y0, window)
        enough = cnt >= mp
        full = enough & (cnt == rows_cnt[:, None]) & ok_day[:, None]
        beta = np.einsum("tpq,tiq->tip", inv_day, sxy)
        partial = enough & ~(cnt == rows_cnt[:, None])
        good = full.copy()
        if partial.any():
            ti, ii = np.nonzero(partial)
            # masked X'X only for the cells with gaps (window sums of m * x_a x_b for their columns)
            cols, inv_idx = np.unique(ii, return_inverse=True)
            sxx = window_sum(mf[:, cols][:, :, None] * pairs[:, None, :], window).reshape(t, len(cols), p, p)
            bp, okp = _solve_scaled(sxx[ti, inv_idx], sxy[ti, ii])
            beta[ti, ii] = bp
            good[ti, ii] = okp
        ssr = syy - (beta * sxy).sum(-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            sd = np.sqrt(np.maximum(ssr, 0.0) / (cnt - 1))
        out[:, c0 : c0 + block] = np.where(good, sd, np.nan)
    return out


def ivr_ff3factor_1m(ctx: FactorContext) -> np.ndarray:
    fr = factor_returns(ctx)
    names = [k for k in ("MKT", "SMB", "HML") if k in fr]
    out = rolling_residual_std(ctx.ret, np.column_stack([fr[k] for k in names]), IVR_WINDOW)
    # days where SMB / HML cannot be built (e.g. caps or book values unknown in that period):
    # such windows fall back to the nested model without them, decided per window (causal)
    has_mkt = ~np.isnan(fr["MKT"])
    while len(names) > 1 and (np.isnan(fr[names[-1]]) & has_mkt).any():
        names = names[:-1]
        poorer = rolling_residual_std(ctx.ret, np.column_stack([fr[k] for k in names]), IVR_WINDOW)
        out = np.where(np.isnan(out), poorer, out)
    return out


FACTORS = family("volatility", {"std_1m": std_1m, "vstd_1m": vstd_1m, "ivr_ff3factor_1m": ivr_ff3factor_1m})
