"""R3 table 5: node features and the edge / flow series of the indcap-GAT graphs.

r = daily adjusted return, turn = turnover, a = amount, c = adjusted close, v = volume;
industry statistics are per date over the stocks of the same level-1 industry.

Shared node features:
    ret_20, ret_60     = c_t / c_{t-n} - 1
    mom_120_20         = ret_120 - ret_20
    retstd_20, _60     = std_n(r)
    turnstd_10, _20    = std_n(turn) / mean_n(turn)
    turn_10, _20, _60  = log(mean_n(turn))
    posistd_20, _60    = std_n of the positive returns;  negstd_20, _60 = of the negative returns
                         (at least n // 4 such days in the window)
    pct_vol_cor_20,_60 = corr_n(r, v)
Capital-flow node features:
    aavg  = mean_20(a);  stda = std_20(a);  illiq = log(mean_20(|r| / a))   (Amihud)
Industry node features (need fundamentals + industry_map):
    pe_ind  = PE - industry median PE,  PE = total_mcap / net_profit TTM
    qroe    = percentile rank of roe_ttm (= net_profit TTM / book_value) within the industry
    deltapb = PB / industry median PB - 1,  PB = total_mcap / book_value
Industry edge series (correlated over 80 days by the graph builder):
    cor_ret = corr_20(r, r_ind),  r_ind = equal-weighted mean return of the stock's industry
    dlev    = |lev - mean_ind(lev)| / mean_ind(lev),  lev = total_liabilities / total_assets
    z_rev   = (g - mean_ind(g)) / std_ind(g),  g = revenue yoy growth of the latest quarter
    cfr     = ocf of the latest quarter / industry sum of that ocf
Capital-flow edge series:
    flow_f  = sign(r) * a                  (signed amount)
    deltatr = turn_t / turn_{t-5} - 1
    corpv   = corr_20(c, v)
"""

from __future__ import annotations

import numpy as np

from alpha_core.factors.base import Factor
from alpha_core.factors.groups import group_mean, group_median, group_pct_rank, group_std, group_sum
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.reversal import _ret_k
from alpha_core.factors.rolling import lag, rolling_corr, rolling_mean, rolling_std, safe_div

_FUND_IND = frozenset({"fundamentals", "industry_map"})


def _log(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), np.nan)


def _turnstd(n):
    def fn(ctx):
        t = ctx.field("turnover")
        return safe_div(rolling_std(t, n), rolling_mean(t, n))

    return fn


def _signed_std(n, positive):
    def fn(ctx):
        r = ctx.ret
        with np.errstate(invalid="ignore"):
            keep = r > 0 if positive else r < 0
        # only about half the days qualify: require n // 4 of them (not the usual n / 2)
        return rolling_std(np.where(keep, r, np.nan), n, min_periods=max(3, n // 4))

    return fn


def _ind(ctx: FactorContext):
    ind, names = ctx.industry
    return ind, len(names)


def pe_ind(ctx):
    ind, k = _ind(ctx)
    pe = safe_div(ctx.field("total_mcap"), ctx.fundamentals.get("net_profit_ttm"))
    return pe - group_median(pe, ind, k)


def qroe(ctx):
    ind, k = _ind(ctx)
    roe = safe_div(ctx.fundamentals.get("net_profit_ttm"), ctx.fundamentals.get("book_value"))
    return group_pct_rank(roe, ind, k)


def deltapb(ctx):
    ind, k = _ind(ctx)
    pb = safe_div(ctx.field("total_mcap"), ctx.fundamentals.get("book_value"))
    return safe_div(pb, group_median(pb, ind, k)) - 1.0


def cor_ret(ctx):
    ind, k = _ind(ctx)
    return rolling_corr(ctx.ret, group_mean(ctx.ret, ind, k), 20)


def dlev(ctx):
    ind, k = _ind(ctx)
    lev = safe_div(ctx.fundamentals.get("total_liabilities"), ctx.fundamentals.get("total_assets"))
    m = group_mean(lev, ind, k)
    return safe_div(np.abs(lev - m), m)


def z_rev(ctx):
    ind, k = _ind(ctx)
    f = ctx.fundamentals
    g = safe_div(f.get("revenue_q") - f.get("revenue_q4"), np.abs(f.get("revenue_q4")))
    return safe_div(g - group_mean(g, ind, k), group_std(g, ind, k))


def cfr(ctx):
    ind, k = _ind(ctx)
    ocf = np.where(ctx.present, ctx.fundamentals.get("ocf_q"), np.nan)
    return safe_div(ocf, group_sum(ocf, ind, k))


def flow_f(ctx):
    return np.sign(ctx.ret) * ctx.field("amount")


def deltatr(ctx):
    t = ctx.field("turnover")
    return safe_div(t, lag(t, 5)) - 1.0


_NODE = {
    "ret_20": lambda ctx: _ret_k(ctx, 20),
    "ret_60": lambda ctx: _ret_k(ctx, 60),
    "mom_120_20": lambda ctx: _ret_k(ctx, 120) - _ret_k(ctx, 20),
    "retstd_20": lambda ctx: rolling_std(ctx.ret, 20),
    "retstd_60": lambda ctx: rolling_std(ctx.ret, 60),
    "turnstd_10": _turnstd(10),
    "turnstd_20": _turnstd(20),
    "turn_10": lambda ctx: _log(rolling_mean(ctx.field("turnover"), 10)),
    "turn_20": lambda ctx: _log(rolling_mean(ctx.field("turnover"), 20)),
    "turn_60": lambda ctx: _log(rolling_mean(ctx.field("turnover"), 60)),
    "posistd_20": _signed_std(20, True),
    "posistd_60": _signed_std(60, True),
    "negstd_20": _signed_std(20, False),
    "negstd_60": _signed_std(60, False),
    "pct_vol_cor_20": lambda ctx: rolling_corr(ctx.ret, ctx.field("volume"), 20),
    "pct_vol_cor_60": lambda ctx: rolling_corr(ctx.ret, ctx.field("volume"), 60),
    "aavg": lambda ctx: rolling_mean(ctx.field("amount"), 20),
    "illiq": lambda ctx: _log(rolling_mean(safe_div(np.abs(ctx.ret), ctx.field("amount")), 20)),
    "stda": lambda ctx: rolling_std(ctx.field("amount"), 20),
}
_NODE_IND = {"pe_ind": pe_ind, "qroe": qroe, "deltapb": deltapb}
_EDGE_IND = {"cor_ret": cor_ret, "dlev": dlev, "z_rev": z_rev, "cfr": cfr}
_EDGE_IND_REQ = {"cor_ret": frozenset({"industry_map"})}
_FLOW = {
    "flow_f": flow_f,
    "deltatr": deltatr,
    "corpv": lambda ctx: rolling_corr(ctx.adjusted("close"), ctx.field("volume"), 20),
}

NODE_FACTORS = (
    *(Factor(n, f, "r3_nodes") for n, f in _NODE.items()),
    *(Factor(n, f, "r3_nodes", _FUND_IND) for n, f in _NODE_IND.items()),
)
EDGE_FACTORS = tuple(Factor(n, f, "r3_edges", _EDGE_IND_REQ.get(n, _FUND_IND)) for n, f in _EDGE_IND.items())
FLOW_FACTORS = tuple(Factor(n, f, "r3_flows") for n, f in _FLOW.items())
FACTORS = NODE_FACTORS + EDGE_FACTORS + FLOW_FACTORS
