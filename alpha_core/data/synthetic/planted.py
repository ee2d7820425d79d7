"""Planted predictability and its ground truth.

Every planted part is a drift d[u, i] added to the log return of day u that depends only on
information at the close of day u-1. The ground truth on day T is the expected drift over
the SPEC label horizon, T+1 vwap -> T+11 vwap (log-return units, ~ simple return):

    mu[T, i] = sum_{m=1..11} w_m E_T[ d[T+m, i] ],   w = (0.5, 1, ..., 1, 0.5)

(the vwap of a day sits about half-way through that day's return). Two drift shapes, both
with an exact E_T:

- AR / static: d[u] = c x[u-1] with x an AR(1) of coefficient phi -> mu[T] = c x[T] sum_m w_m phi^(m-1).
- distributed lag of unpredictable shocks s: d[u] = c sum_{j>=1} k_j s[u-j]
  -> mu[T] = c sum_{l>=0} G_l s[T-l],  G_l = sum_m w_m k_{m+l}  (geometric kernels k_j = a rho^(j-1),
  so one causal recursion gives both, see ``_geometric_lag``).

Parts (each normalised so its pooled cross-sectional std equals the configured strength; the
scale is one constant per part and market, like a model parameter, so it carries no dated
information):

(a) factor: short-term reversal of the stock's own idiosyncratic return e + o (kernel
    k_j = -(1-0.93) 0.93^(j-1): seen through ret_5d / ret_1m), low volatility (static
    -z(log sigma_i): std_1m), value (latent v, phi 0.995: bp_lf), low attention (latent -a,
    phi 0.97: turn_1m); variance shares 35/20/25/20%. (Defaults: SyntheticConfig.reversal_rho,
    value_phi, attention_phi and factor_shares set them; the demo profile changes some, see config.py.)
(b) graph: lead-lag through the graph; s = peer means of idiosyncratic shocks e:
    0.45 same-industry peers + 0.2 same-sector peers of other industries + 0.35 peers of the
    stock's cross-industry flow cluster (each standardised), kernel k_j = 0.2 * 0.8^(j-1).
(c) macro: premia of small size and high beta scale with the macro state u(t):
    x[t, i] = u(t) * z(-log cap_i + beta_i); u is held constant over the horizon (it moves
    slowly: monthly M2, smoothed yield), so its E_T is approximate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import lfilter

from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.returns import Latent, cs_zscore
from alpha_core.data.synthetic.universe_events import Universe

HORIZON_WEIGHTS = np.array([0.5] + [1.0] * 9 + [0.5])  # days T+1..T+11


@dataclass(frozen=True)
class Planted:
    """Total drift (T, N) and ground truth parts (T, N), float64."""

    drift: np.ndarray
    mu_factor: np.ndarray
    mu_graph: np.ndarray
    mu_macro: np.ndarray

    @property
    def mu_total(self) -> np.ndarray:
        return self.mu_factor + self.mu_graph + self.mu_macro


def _geometric_lag(s: np.ndarray, a: float, rho: float) -> tuple[np.ndarray, np.ndarray]:
    """(drift, truth) for d[u] = sum_{j>=1} k_j s[u-j] with the geometric kernel k_j = a rho^(j-1).

    With S[t] = sum_{l>=0} rho^l s[t-l] (one causal recursion, S[t] = rho S[t-1] + s[t]):
    d[u] = a S[u-1] and, since k_{m+l} = rho^l k_m, G_l = rho^l G_0, so truth[T] = G_0 S[T]
    with G_0 = sum_m w_m a rho^(m-1).
    """
    acc = lfilter([1.0], [1.0, -rho], s, axis=0)
    drift = np.zeros_like(s)
    drift[1:] = a * acc[:-1]
    g0 = float(np.sum(HORIZON_WEIGHTS * a * rho ** np.arange(len(HORIZON_WEIGHTS))))
    return drift, g0 * acc


def _persistent(x: np.ndarray, phi: float) -> tuple[np.ndarray, np.ndarray]:
    """(drift, truth) for d[u] = x[u-1] with x an AR(1) of coefficient ``phi``."""
    drift = np.zeros_like(x)
    drift[1:] = x[:-1]
    return drift, x * float(np.sum(HORIZON_WEIGHTS * phi ** np.arange(11)))


def pooled_cs_std(x: np.ndarray, mask: np.ndarray) -> float:
    """Std of ``x`` after removing each day's cross-sectional mean, pooled over ``mask``."""
    cnt = np.maximum(mask.sum(axis=1, keepdims=True), 1)
    mean = np.where(mask, x, 0.0).sum(axis=1, keepdims=True) / cnt
    dev = np.where(mask, x - mean, 0.0)
    return float(np.sqrt((dev**2).sum() / max(mask.sum(), 1)))


def _combine(
    parts: list[tuple[np.ndarray, np.ndarray, float]], strength: float, mask: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Weight (drift, truth, variance share) parts so the truth's pooled cs std equals ``strength``."""
    drift = np.zeros_like(parts[0][0])
    truth = np.zeros_like(parts[0][0])
    if strength == 0.0:
        return drift, truth
    for d, mu, share in parts:
        c = np.sqrt(share) / max(pooled_cs_std(mu, mask), 1e-12)
        drift += c * d
        truth += c * mu
    scale = strength / max(pooled_cs_std(truth, mask), 1e-12)
    return drift * scale, truth * scale


def _group_sums(x: np.ndarray, group: np.ndarray, n_groups: int) -> np.ndarray:
    """(T, N) sum of ``x`` over each stock's group (``group`` (N,) ids in [0, n_groups)).

    Summed with ``np.add.reduceat`` over group-sorted columns rather than a BLAS matmul, so the
    bytes do not depend on the number of BLAS threads.
    """
    order = np.argsort(group, kind="stable")
    present, starts = np.unique(group[order], return_index=True)
    totals = np.zeros((x.shape[0], n_groups))
    totals[:, present] = np.add.reduceat(x[:, order], starts, axis=1)
    return totals[:, group]


def _peer_mean(e: np.ndarray, group: np.ndarray, n_groups: int, mask: np.ndarray) -> np.ndarray:
    """Mean of ``e`` over the other listed members of each stock's group; (T, N)."""
    em = np.where(mask, e, 0.0)
    w = mask.astype(np.float64)
    others = np.maximum(_group_sums(w, group, n_groups) - w, 1.0)
    return np.where(mask, (_group_sums(em, group, n_groups) - em) / others, 0.0)


FACTOR_PARTS = ("reversal", "lowvol", "value", "attention")


def _factor_components(
    cfg: SyntheticConfig, uni: Universe, lat: Latent
) -> list[tuple[str, tuple[np.ndarray, np.ndarray], float]]:
    """(name, (drift, truth), variance share) of each own-characteristic sub-part, before scaling."""
    mask = uni.listed
    t_len, n = mask.shape
    rho = cfg.reversal_rho
    rev = _geometric_lag(np.where(mask, lat.overreact + lat.idio, 0.0), -(1 - rho), rho)
    lowvol = _persistent(cs_zscore(np.broadcast_to(-np.log(lat.sigma), (t_len, n)), mask), 1.0)
    value = _persistent(np.where(mask, lat.value, 0.0), cfg.value_phi)
    attention = _persistent(np.where(mask, -lat.attention, 0.0), cfg.attention_phi)
    return list(zip(FACTOR_PARTS, (rev, lowvol, value, attention), cfg.factor_shares, strict=True))


def factor_part_truths(cfg: SyntheticConfig, uni: Universe, lat: Latent) -> dict[str, np.ndarray]:
    """The ground truth of each sub-part of mu_factor (``mu_<name>``, (T, N), NaN where not listed),
    scaled exactly as inside mu_factor, so that they sum to it. Diagnostics only (experiments)."""
    mask = uni.listed
    comps = _factor_components(cfg, uni, lat)
    out, total = {}, np.zeros(mask.shape)
    for name, (_, mu), share in comps:
        out[name] = np.sqrt(share) / max(pooled_cs_std(mu, mask), 1e-12) * mu
        total += out[name]
    scale = cfg.effective_factor / max(pooled_cs_std(total, mask), 1e-12) if cfg.effective_factor else 0.0
    return {f"mu_{k}": np.where(mask, v * scale, np.nan) for k, v in out.items()}


def make_planted(cfg: SyntheticConfig, uni: Universe, lat: Latent, macro_state: np.ndarray) -> Planted:
    """Build the planted drift and the ground truth of the three parts."""
    mask = uni.listed
    t_len, n = mask.shape

    # (a) own characteristics
    comps = _factor_components(cfg, uni, lat)
    d_f, mu_f = _combine([(*dm, share) for _, dm, share in comps], cfg.effective_factor, mask)
    del comps

    # (b) graph lead-lag: peers' idiosyncratic shocks today move the stock over the next days
    d_g = np.zeros((t_len, n))
    mu_g = np.zeros((t_len, n))
    if cfg.effective_graph > 0:
        e = np.where(mask, lat.idio, 0.0)
        w = mask.astype(np.float64)
        m_ind = _peer_mean(e, uni.industry, 30, mask)
        # sector peers outside the own industry: sector totals minus industry totals
        out_sum = _group_sums(e, uni.sector, 5) - _group_sums(e, uni.industry, 30)
        out_cnt = _group_sums(w, uni.sector, 5) - _group_sums(w, uni.industry, 30)
        m_sec = np.where(mask, out_sum / np.maximum(out_cnt, 1.0), 0.0)
        del e, w, out_sum, out_cnt
        linked = lat.flow_cluster >= 0
        k_flow = int(lat.flow_cluster.max()) + 2
        # unlinked stocks share a dummy group whose peer mean is discarded below
        m_flow = _peer_mean(lat.idio, np.where(linked, lat.flow_cluster, k_flow - 1), k_flow, mask)
        s = (
            0.45 * cs_zscore(m_ind, mask)
            + 0.2 * cs_zscore(m_sec, mask)
            + 0.35 * np.where(linked[None, :], cs_zscore(m_flow, mask & linked[None, :]), 0.0)
        )
        del m_ind, m_sec, m_flow
        graph = _geometric_lag(s, 0.2, 0.8)
        d_g, mu_g = _combine([(*graph, 1.0)], cfg.effective_graph, mask)

    # (c) macro regime: size/beta premia scale with u(t)
    tilt = cs_zscore(np.broadcast_to(-lat.log_cap0 / lat.log_cap0.std() + lat.beta / lat.beta.std(), (t_len, n)), mask)
    d_m, mu_m = _combine([(*_persistent(macro_state[:, None] * tilt, 1.0), 1.0)], cfg.effective_macro, mask)

    mu_f, mu_g, mu_m = (np.where(mask, x, np.nan) for x in (mu_f, mu_g, mu_m))
    return Planted(drift=d_f + d_g + d_m, mu_factor=mu_f, mu_graph=mu_g, mu_macro=mu_m)
