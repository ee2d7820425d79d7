"""From latent log returns to exchange-consistent raw bars.

Per day t (loop over days, vectorised over stocks), with ref = previous close (ex-right
reference price (prev_close - dividend) / split_ratio on ex days):

    limit_up   = round_cents(ref (1 + pct)),  limit_down = round_cents(ref (1 - pct))
    L_t        = L_{t-1} exp(r_t)                 (latent "efficient" price, keeps moving while
                                                    suspended or locked at a limit)
    close      = clip(round_cents(L_t), limit_down, limit_up)
    open       = clip(round_cents(ref exp(g)), limit_down, limit_up),
                 g = log(L_{t-1}/ref) + J_t + 0.3 (r_t - J_t) + 0.25 s_t n_o   (pending gap, overnight
                 news jump J, a share of the day's move)
    one-price  : open and latent close both beyond the same limit -> open = high = low = close = limit
    high/low   = max/min(open, close) widened by |N(0, 0.5 s_t)|, clipped to the limits
    vwap       = (open + high + low + 2 close) / 5, jittered, clipped to [low, high]
    suspended  : open = high = low = close = ref, volume = amount = 0, vwap NaN
    adj_factor *= prev_close / ref on ex days (so adjusted prices are continuous)

s_t = sigma_i sqrt(h[t, i]) is the stock's current daily vol. Volume follows
log turnover = log base_i + 0.8 a + 0.25 F_flow + 0.35 (|r|/s_t - 0.8) + 0.25 N(0, 1)
(one-price days trade 10%), volume in board lots of 100 shares; amount = volume * vwap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.synthetic.returns import Latent
from alpha_core.data.synthetic.universe_events import Universe


def round_cents(x: np.ndarray) -> np.ndarray:
    """Round half up to 0.01 CNY (exchange rule; numpy's round is half-to-even)."""
    return np.floor(x * 100.0 + 0.5) / 100.0


@dataclass(frozen=True)
class PriceArrays:
    """Raw bar fields, (T, N) float64 (NaN where not listed), plus dividend cash by fiscal year.

    ``dividends``: (Y, N) cash dividend (CNY) declared for fiscal year ``years[k]`` and paid on
    the next year's ex day; ``years``: (Y,) fiscal years.
    """

    open: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    vwap: np.ndarray
    volume: np.ndarray
    amount: np.ndarray
    turnover: np.ndarray
    adj_factor: np.ndarray
    limit_up: np.ndarray
    limit_down: np.ndarray
    float_shares: np.ndarray
    total_shares: np.ndarray
    one_price: np.ndarray  # bool
    dividends: np.ndarray
    years: np.ndarray


def make_prices(
    cal: pd.DatetimeIndex, uni: Universe, lat: Latent, drift: np.ndarray, rng: np.random.Generator
) -> PriceArrays:
    """Run the price recursion; ``drift`` is the planted (T, N) drift added to the latent returns."""
    t_len, n = uni.listed.shape
    listed, susp = uni.listed, uni.suspended
    r = np.where(listed, lat.common + lat.idio + lat.overreact + lat.jump + drift, 0.0)
    vol = lat.sigma[None, :] * np.sqrt(lat.h)

    price0 = round_cents(np.clip(np.exp(rng.normal(np.log(14.0), 0.5, n)), 3.0, 200.0))
    shares = np.exp(lat.log_cap0) / price0
    dy = rng.uniform(0.003, 0.03, n)  # dividend yield on the previous year-end close
    years = np.arange(cal[0].year - 1, cal[-1].year + 1)
    year_of_day = cal.year.to_numpy()

    shape = (t_len, n)
    o_, h_, l_, c_, v_ = (np.full(shape, np.nan) for _ in range(5))
    lu_, ld_, adj_ = (np.full(shape, np.nan) for _ in range(3))
    tot_sh = np.full(shape, np.nan)
    one_price = np.zeros(shape, dtype=bool)
    dividends = np.zeros((len(years), n))

    prev_close = price0.copy()
    latent = price0.copy()
    adj = np.ones(n)
    div_ps = np.zeros(n)
    for t in range(t_len):  # price recursion over days, vectorised over stocks
        if t > 0 and year_of_day[t] != year_of_day[t - 1]:  # dividend fixed on the year-end close
            div_ps = np.where(np.isfinite(c_[t - 1]), round_cents(dy * prev_close), 0.0)
        ref = prev_close
        ex = uni.ex_day[t]
        if ex.any():
            ratio = uni.split_ratio[t]
            div = np.where(ex, np.minimum(div_ps, 0.3 * prev_close), 0.0)
            dividends[np.searchsorted(years, year_of_day[t] - 1), ex] += (div * shares)[ex]
            ref = np.where(ex, np.maximum(round_cents((prev_close - div) / ratio), 0.01), prev_close)
            latent = np.where(ex, (latent - div) / ratio, latent)
            adj = np.where(ex, adj * prev_close / ref, adj)
            shares = shares * ratio
        live = listed[t]
        carry = np.log(latent / ref)  # latent gap still pending from locked / suspended days
        latent = latent * np.exp(r[t])
        pct = uni.limit_pct[t]
        lu = round_cents(ref * (1.0 + pct))
        ld = np.maximum(round_cents(ref * (1.0 - pct)), 0.01)
        noise = rng.standard_normal((4, n))
        s = vol[t]
        close = np.clip(round_cents(latent), ld, lu)
        gap = carry + lat.jump[t] + 0.3 * (r[t] - lat.jump[t]) + 0.25 * s * noise[0]
        open_star = ref * np.exp(gap)
        opn = np.clip(round_cents(open_star), ld, lu)
        high = np.clip(round_cents(np.maximum(opn, close) * np.exp(np.abs(noise[1]) * 0.5 * s)), None, lu)
        low = np.clip(round_cents(np.minimum(opn, close) * np.exp(-np.abs(noise[2]) * 0.5 * s)), ld, None)
        high = np.maximum(high, np.maximum(opn, close))
        low = np.minimum(low, np.minimum(opn, close))
        up1 = (open_star >= lu) & (latent >= lu)
        dn1 = (open_star <= ld) & (latent <= ld)
        lock = np.where(up1, lu, np.where(dn1, ld, np.nan))
        locked = up1 | dn1
        opn, high, low, close = (np.where(locked, lock, x) for x in (opn, high, low, close))
        vwap = np.clip((opn + high + low + 2.0 * close) / 5.0 * np.exp(0.1 * s * noise[3]), low, high)
        st = susp[t]
        opn, high, low, close = (np.where(st, ref, x) for x in (opn, high, low, close))
        vwap = np.where(st, np.nan, vwap)
        locked &= ~st
        o_[t, live], h_[t, live], l_[t, live], c_[t, live], v_[t, live] = (
            opn[live],
            high[live],
            low[live],
            close[live],
            vwap[live],
        )
        lu_[t, live], ld_[t, live], adj_[t, live] = lu[live], ld[live], adj[live]
        tot_sh[t, live] = shares[live]
        one_price[t] = locked & live
        prev_close = np.where(live, close, prev_close)

    # Float shares: IPOs float 20-35% until the one-year lock-up expires, then 60-100%.
    frac_late = rng.uniform(0.6, 1.0, n)
    frac_early = rng.uniform(0.2, 0.35, n)
    tt = np.arange(t_len)[:, None]
    early = (uni.list_date[None, :] >= cal.values[0]) & (tt < uni.list_idx[None, :] + 250)
    float_sh = tot_sh * np.where(early, frac_early[None, :], frac_late[None, :])

    ref_close = np.vstack([np.full((1, n), np.nan), c_[:-1]])
    ret = np.abs(np.log(c_ / np.where(np.isfinite(ref_close), ref_close, c_)))
    flow = np.where(lat.flow_cluster >= 0, lat.flow[:, np.maximum(lat.flow_cluster, 0)], 0.0)
    log_turn = (
        np.log(lat.turn_base)[None, :]
        + 0.8 * lat.attention
        + 0.25 * flow
        + 0.35 * (np.nan_to_num(ret) / vol - 0.8)
        + 0.25 * rng.standard_normal(shape)
    )
    turnover = np.minimum(np.exp(log_turn), 0.5) * np.where(one_price, 0.1, 1.0)
    volume = np.maximum(np.floor(turnover * float_sh / 100.0 + 0.5) * 100.0, 100.0)
    volume = np.where(susp | ~listed, np.where(listed, 0.0, np.nan), volume)
    turnover = volume / float_sh
    amount = volume * np.nan_to_num(v_)
    amount = np.where(listed, amount, np.nan)
    return PriceArrays(
        open=o_,
        high=h_,
        low=l_,
        close=c_,
        vwap=v_,
        volume=volume,
        amount=amount,
        turnover=turnover,
        adj_factor=adj_,
        limit_up=lu_,
        limit_down=ld_,
        float_shares=float_sh,
        total_shares=tot_sh,
        one_price=one_price,
        dividends=dividends,
        years=years,
    )
