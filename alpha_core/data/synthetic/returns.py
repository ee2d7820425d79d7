"""The latent return structure (everything except the planted predictable drift).

Daily log return of stock i on day t (before price limits):

    r[t,i] = 0.06% + beta_i f_mkt[t] + f_sec[t, s(i)] + f_ind[t, k(i)] + sum_k X[t,i,k] f_sty[t,k]
             + 0.4% F[t, c(i)] + e[t,i] + o[t,i] + J[t,i]  (+ planted drift d[t,i], see planted.py)

(``Latent.common`` holds every term but e, o and J.)

- f_mkt: Student-t(5) with GARCH(1,1) volatility (base 1.3%/day); sector (0.5%), industry (0.6%)
  and style (0.3%) factor returns are Student-t(5) scaled by the market's volatility ratio, so
  volatility clusters market-wide; the 0.06%/day constant offsets the volatility drag.
- styles X (cross-sectional z-scores among listed stocks): size (log cap), value (latent v),
  momentum (t-120..t-20 cumulated non-style return), volatility (log sigma_i), liquidity
  (log base turnover).
- F: "flow" factors of clusters spanning three industries (correlated flows); they also move turnover.
- e: idiosyncratic Student-t(5) shocks, e = sigma_i sqrt(h[t,i]) z, with
  h[t] = 0.02 + 0.08 z[t-1]^2 h[t-1] + 0.90 h[t-1] (GARCH, unit long-run variance).
- o: "overreaction" shocks (0.5 sigma_i), reverted later by the planted reversal drift.
- J: news jumps (probability ``jump_prob``/day, |J| ~ U(5%, 22%)) that produce limit and
  one-price limit days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.industries import INDUSTRY_SECTOR
from alpha_core.data.synthetic.universe_events import Universe

N_THEMES = 10
PHI_VALUE = 0.995  # daily AR(1) of the latent value (mispricing) state (SyntheticConfig.value_phi's default)
PHI_ATTENTION = 0.97  # daily AR(1) of the latent attention (turnover) state (attention_phi's default)


def cs_zscore(x: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Cross-sectional z-score of (T, N) ``x`` among ``mask`` per row; 0 outside the mask."""
    w = mask.astype(np.float64)
    cnt = np.maximum(w.sum(axis=1, keepdims=True), 1.0)
    xm = np.where(mask, x, 0.0)
    mean = xm.sum(axis=1, keepdims=True) / cnt
    var = (np.where(mask, x - mean, 0.0) ** 2).sum(axis=1, keepdims=True) / cnt
    return np.where(mask, (x - mean) / np.sqrt(np.maximum(var, 1e-24)), 0.0)


def _t5(rng: np.random.Generator, size) -> np.ndarray:
    """Student-t(5) draws scaled to unit variance (variance of t5 is 5/3)."""
    return rng.standard_t(5, size=size) / np.sqrt(5.0 / 3.0)


def _ar1(shocks: np.ndarray, phi: float) -> np.ndarray:
    """Stationary AR(1) along axis 0 with unit variance: x[t] = phi x[t-1] + sqrt(1-phi^2) eps[t]."""
    out = np.empty_like(shocks)
    out[0] = shocks[0]
    s = np.sqrt(1.0 - phi * phi)
    for t in range(1, len(shocks)):  # recursion over days, vectorised over stocks
        out[t] = phi * out[t - 1] + s * shocks[t]
    return out


@dataclass(frozen=True)
class Latent:
    """Latent state of the market. (N,) per-stock constants, (T, N) paths, (T, K) flow factors."""

    beta: np.ndarray
    sigma: np.ndarray  # base idiosyncratic daily vol
    log_cap0: np.ndarray  # log total market cap (CNY) at listing / sample start
    turn_base: np.ndarray  # base daily turnover (fraction of float)
    flow_cluster: np.ndarray  # (N,) cluster id, -1 when not flow-linked
    flow: np.ndarray  # (T, K) flow factor, unit variance
    h: np.ndarray  # (T, N) GARCH variance ratio
    idio: np.ndarray  # (T, N) e
    overreact: np.ndarray  # (T, N) o
    common: np.ndarray  # (T, N) all other non-planted components
    attention: np.ndarray  # (T, N) latent attention a (unit variance AR(1))
    value: np.ndarray  # (T, N) latent value v (unit variance AR(1))
    jump: np.ndarray  # (T, N) overnight news jump J (log return, 0 on most days)


def make_latent(cfg: SyntheticConfig, uni: Universe, rng: np.random.Generator) -> Latent:
    """Draw the latent structure on the universe's calendar (T = uni.listed.shape[0])."""
    t_len, n = uni.listed.shape
    listed = uni.listed
    beta = np.clip(rng.normal(1.0, 0.25, n), 0.3, 1.8)
    sigma = np.exp(rng.normal(np.log(0.019), cfg.sigma_dispersion, n))
    big = np.isin(uni.industry, [19, 20, 21, 22, 9]) * 0.8  # finance/real estate/retail skew large
    log_cap0 = rng.normal(np.log(6e9), 0.9, n) + big
    turn_base = np.exp(rng.normal(np.log(0.013), 0.3, n) - 0.2 * (log_cap0 - np.log(6e9)))

    # Flow clusters: each theme = 3 industries; linked stocks join one of the theme's clusters.
    perm = rng.permutation(len(INDUSTRY_SECTOR))
    theme_of_industry = np.empty(len(perm), dtype=np.int64)
    theme_of_industry[perm] = np.arange(len(perm)) % N_THEMES
    per_theme = max(1, n // 300)
    linked = rng.random(n) < 0.6
    flow_cluster = np.where(linked, theme_of_industry[uni.industry] * per_theme + rng.integers(0, per_theme, n), -1)
    k_flow = N_THEMES * per_theme
    flow = _ar1(rng.standard_normal((t_len, k_flow)), 0.5)

    # Market GARCH and idiosyncratic GARCH in one pass over days.
    z_m = _t5(rng, t_len)
    z = _t5(rng, (t_len, n))
    h = np.empty((t_len, n))
    h_m = np.empty(t_len)
    h[0], h_m[0] = 1.0, 1.0
    for t in range(1, t_len):  # GARCH recursion, vectorised over stocks
        h[t] = 0.02 + 0.08 * z[t - 1] ** 2 * h[t - 1] + 0.90 * h[t - 1]
        h_m[t] = 0.02 + 0.10 * z_m[t - 1] ** 2 * h_m[t - 1] + 0.88 * h_m[t - 1]
    idio = sigma[None, :] * np.sqrt(h) * z
    del z
    vol_ratio = np.sqrt(h_m)[:, None]
    f_mkt = 0.013 * vol_ratio[:, 0] * z_m
    f_sec = 0.005 * vol_ratio * _t5(rng, (t_len, 5))
    f_ind = 0.006 * vol_ratio * _t5(rng, (t_len, len(INDUSTRY_SECTOR)))
    common = 0.0006 + beta[None, :] * f_mkt[:, None] + f_sec[:, uni.sector] + f_ind[:, uni.industry]
    common += np.where(flow_cluster >= 0, 0.004 * flow[:, np.maximum(flow_cluster, 0)], 0.0)

    overreact = 0.5 * sigma[None, :] * _t5(rng, (t_len, n))
    jump = rng.random((t_len, n)) < cfg.jump_prob
    jump = np.where(jump, np.where(rng.random((t_len, n)) < 0.5, -1.0, 1.0) * rng.uniform(0.05, 0.22, (t_len, n)), 0.0)

    value = _ar1(rng.standard_normal((t_len, n)), cfg.value_phi)
    attention = _ar1(rng.standard_normal((t_len, n)), cfg.attention_phi)

    # Styles. Momentum: t-120..t-20 cumulated non-style return (causal, lagged).
    base = np.where(listed, common + idio + overreact + jump, 0.0)
    csum = np.vstack([np.zeros((1, n)), np.cumsum(base, axis=0)])
    idx = np.arange(t_len)
    mom = csum[np.maximum(idx - 20, 0)] - csum[np.maximum(idx - 120, 0)]
    del csum, base
    f_sty = 0.003 * vol_ratio * _t5(rng, (t_len, 5))
    exposures = (
        cs_zscore(np.broadcast_to(log_cap0, (t_len, n)), listed),
        cs_zscore(value, listed),
        cs_zscore(mom, listed),
        cs_zscore(np.broadcast_to(np.log(sigma), (t_len, n)), listed),
        cs_zscore(np.broadcast_to(np.log(turn_base), (t_len, n)), listed),
    )
    for k, x in enumerate(exposures):
        common += x * f_sty[:, k : k + 1]
    return Latent(
        beta=beta,
        sigma=sigma,
        log_cap0=log_cap0,
        turn_base=turn_base,
        flow_cluster=flow_cluster,
        flow=flow,
        h=h,
        idio=idio,
        overreact=overreact,
        common=common,
        attention=attention,
        value=value,
        jump=jump,
    )
