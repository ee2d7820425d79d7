"""Quarterly point-in-time fundamentals and analyst consensus.

Per stock i and quarter q (period end P_q, last trading day on or before it t_q):
    book_value B_q  = mcapbar_q exp(bp_i + 0.8 v[t_q])  (0.8: SyntheticConfig.value_loading)        mcapbar = trailing 250-day mean total
                                                              cap (causal); v = latent value state
    net_profit      = roe_q B_q,  roe_q = roe_i / 4 + 0.012 x_q (x AR(1) over quarters, 0.6), Q4 - 0.4%
    total_assets    = lev_i B_q,  total_liabilities = assets - B,  current = cl_i liabilities
    revenue         = assets at_i / 4 exp(N(0, 0.08)),  gross_profit = gm_i revenue
    ocf             = net_profit + 0.05 revenue N(0, 1)
    dividends       = cash declared for the fiscal year (Q4 rows only; paid on next year's ex day)
    roe             = net_profit / book_value (single quarter)
Announcement lags: Q1 in April, H1 Jul 15..Aug 31, Q3 Oct 10..31, annual Jan 20..Apr 29 of the
next year. Consensus (12-month forward, no FY switching) on every trading day for the covered
~65% largest stocks: con_np = roe_i B_latest exp(0.15 z_t) (z a daily AR(1), 0.99), con_eps =
con_np / total_shares, con_roe = con_np / B_latest, where B_latest is the latest book value
announced strictly before the day.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.data.contract import FUNDAMENTAL_COLUMNS, Sector
from alpha_core.data.synthetic.industries import SECTOR_NAMES
from alpha_core.data.synthetic.prices import PriceArrays
from alpha_core.data.synthetic.returns import Latent, _ar1
from alpha_core.data.synthetic.universe_events import Universe

_PB = {Sector.CYCLICAL: 1.8, Sector.CONSUMER: 3.0, Sector.FINANCIAL: 0.9, Sector.GROWTH: 4.0, Sector.STABLE: 1.5}
_BANKS, _NON_BANK, _REAL_ESTATE = 21, 20, 19
# (month, day) windows of the announcement date relative to the period end's year
_ANNOUNCE = {3: ((4, 1), (4, 29)), 6: ((7, 15), (8, 30)), 9: ((10, 10), (10, 30)), 12: ((1, 20), (4, 29))}


@dataclass(frozen=True)
class Fundamentals:
    """``table``: contract fundamentals; consensus arrays (T, N), NaN where not covered."""

    table: pd.DataFrame
    con_np: np.ndarray
    con_eps: np.ndarray
    con_roe: np.ndarray


def make_fundamentals(
    cal: pd.DatetimeIndex,
    uni: Universe,
    lat: Latent,
    px: PriceArrays,
    rng: np.random.Generator,
    value_loading: float = 0.8,
) -> Fundamentals:
    """Draw the quarterly reports (loop over quarters, vectorised over stocks) and the consensus.

    ``value_loading``: the book value's loading on the latent value state (SyntheticConfig.value_loading).
    """
    t_len, n = uni.listed.shape
    sector_pb = np.array([_PB[s] for s in SECTOR_NAMES])[uni.sector]
    bp = -np.log(sector_pb) + rng.normal(0.0, 0.2, n)
    roe_i = rng.normal(0.09, 0.05, n)
    lev = 1.0 + np.exp(rng.normal(0.0, 0.4, n))  # assets / book > 1
    lev[uni.industry == _BANKS] = 12.0
    lev[np.isin(uni.industry, [_NON_BANK, _REAL_ESTATE])] = 4.5
    at = rng.uniform(0.2, 1.2, n)
    at[uni.industry == _BANKS] = 0.04
    gm = rng.uniform(0.1, 0.6, n)
    cl = rng.uniform(0.4, 0.9, n)

    total_mcap = px.close * px.total_shares
    mcap_bar = pd.DataFrame(total_mcap).rolling(250, min_periods=1).mean().to_numpy()
    mcap_bar = np.where(np.isfinite(mcap_bar), mcap_bar, np.exp(lat.log_cap0)[None, :])

    periods = pd.date_range(pd.Timestamp(cal[0].year - 5, 3, 31), cal[-1], freq="QE")
    x = _ar1(rng.standard_normal((len(periods), n)), 0.6)
    delist_date = np.where(
        uni.delist_idx < t_len, cal.values[np.minimum(uni.delist_idx, t_len - 1)], np.datetime64("2262-01-01")
    ).astype("datetime64[ns]")
    first_period = (pd.DatetimeIndex(uni.list_date) - pd.DateOffset(years=3)).values
    frames, ann_book = [], np.full((t_len, n), np.nan)
    prev_ann = np.full(n, np.datetime64("1900-01-01"), dtype="datetime64[ns]")
    for q, p in enumerate(periods):  # loop over quarters, vectorised over stocks
        t_q = max(int(np.searchsorted(cal.values, p.to_datetime64(), side="right")) - 1, 0)
        book = mcap_bar[t_q] * np.exp(bp + value_loading * lat.value[t_q])
        roe_q = roe_i / 4.0 + 0.012 * x[q] - (0.004 if p.month == 12 else 0.0)
        npf = roe_q * book
        assets = lev * book
        liab = assets - book
        revenue = assets * at / 4.0 * np.exp(rng.normal(0.0, 0.08, n))
        (m0, d0), (m1, d1) = _ANNOUNCE[p.month]
        y = p.year + (1 if p.month == 12 else 0)
        lo, hi = pd.Timestamp(y, m0, d0), pd.Timestamp(y, m1, d1)
        ann = (lo + pd.to_timedelta(rng.integers(0, (hi - lo).days + 1, n), unit="D")).values
        ann = np.maximum(ann, prev_ann)  # never before the previous period's report
        prev_ann = ann
        fy = np.searchsorted(px.years, p.year)
        if p.month == 12 and fy < len(px.years) and p.year >= px.years[0] + 1:
            div = px.dividends[fy]
        else:
            div = np.where(p.month == 12, 0.3 * np.maximum(npf * 4.0, 0.0), 0.0)
        keep = (p.to_datetime64() >= first_period) & (ann < delist_date) & (ann <= cal.values[-1])
        if not keep.any():
            continue
        frames.append(
            pd.DataFrame(
                {
                    "code": uni.codes[keep],
                    "report_period": p,
                    "announce_date": ann[keep],
                    "revenue": revenue[keep],
                    "net_profit": npf[keep],
                    "ocf": (npf + 0.05 * revenue * rng.normal(0.0, 1.0, n))[keep],
                    "gross_profit": (gm * revenue)[keep],
                    "dividends": np.broadcast_to(div, (n,))[keep],
                    "book_value": book[keep],
                    "total_assets": assets[keep],
                    "total_liabilities": liab[keep],
                    "current_liabilities": (cl * liab)[keep],
                    "roe": roe_q[keep],
                }
            )
        )
        # usable from the first trading day strictly after the announcement
        t_use = np.searchsorted(cal.values, ann, side="right")
        ok = keep & (t_use < t_len)
        ann_book[t_use[ok], np.flatnonzero(ok)] = book[ok]
    table = pd.concat(frames, ignore_index=True)[FUNDAMENTAL_COLUMNS]
    table["report_period"] = table["report_period"].astype("datetime64[ns]")
    table["announce_date"] = table["announce_date"].astype("datetime64[ns]")
    table["code"] = table["code"].astype(object)
    table = table.sort_values(["code", "report_period"], kind="stable").reset_index(drop=True)

    # Later periods announced on the same day overwrite earlier ones (loop order), then carry forward.
    b_latest = pd.DataFrame(ann_book).ffill().to_numpy()
    covered = lat.log_cap0 > np.quantile(lat.log_cap0, 0.35)
    z = _ar1(rng.standard_normal((t_len, n)), 0.99)
    live = uni.listed & covered[None, :] & np.isfinite(b_latest)
    con_np = np.where(live, roe_i[None, :] * b_latest * np.exp(0.15 * z), np.nan)
    con_eps = con_np / px.total_shares
    con_roe = con_np / b_latest
    return Fundamentals(table=table, con_np=con_np, con_eps=con_eps, con_roe=con_roe)
