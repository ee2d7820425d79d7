"""Qlib's Alpha158 price-volume features (``qlib.contrib.data.loader.Alpha158DL``, default config).

158 fields: 9 KBAR, 4 price ratios, and 29 rolling operators x windows d in (5, 10, 20, 30, 60).
Names are Qlib's lower-cased with the prefix ``a158_`` (``a158_kmid``, ``a158_roc5``; DuckDB
identifiers are case-insensitive and R1 already has ``kmid``); :data:`QLIB_NAMES` maps them back.
C, O, H, L, VWAP are ADJUSTED (total-return) prices, V the volume, as Qlib reads them;
r_t = C_t / C_{t-1} - 1, dC_t = C_t - C_{t-1}, dV_t = V_t - V_{t-1}; eps = 1e-12.

    KMID (C-O)/O   KLEN (H-L)/O   KMID2 (C-O)/(H-L+eps)   KUP (H-max(O,C))/O   KUP2 (H-max(O,C))/(H-L+eps)
    KLOW (min(O,C)-L)/O   KLOW2 (min(O,C)-L)/(H-L+eps)   KSFT (2C-H-L)/O   KSFT2 (2C-H-L)/(H-L+eps)
    OPEN0 O/C   HIGH0 H/C   LOW0 L/C   VWAP0 VWAP/C
    ROCd C_{t-d}/C       MAd mean_d(C)/C      STDd std_d(C)/C (ddof 1)
    BETAd slope_d(C)/C   RSQRd rsquare_d(C)   RESId resi_d(C)/C   (regression on x = 1..d,
                                                                   :mod:`alpha_core.factors.rolling_trend`)
    MAXd max_d(H)/C      MINd min_d(L)/C      QTLUd q0.8_d(C)/C   QTLDd q0.2_d(C)/C (linear interpolation)
    RANKd percentile of C_t among the window's C (average rank of ties / n)
    RSVd (C - min_d(L)) / (max_d(H) - min_d(L) + eps)
    IMAXd idxmax_d(H)/d  IMINd idxmin_d(L)/d  IMXDd (idxmax_d(H) - idxmin_d(L))/d
        idxmax = 1-based position in the window of the OLDEST maximum = d - age (age 0 = today)
    CORRd corr_d(C, log(V+1))     CORDd corr_d(C_t/C_{t-1}, log(V_t/V_{t-1} + 1))
        (over the days where both inputs exist; NaN where either one's std_d <= 2e-5, Qlib's guard)
    CNTPd mean_d(1[r>0])   CNTNd mean_d(1[r<0])   CNTDd CNTP - CNTN
    SUMPd sum_d(max(dC,0)) / (sum_d|dC| + eps)   SUMNd sum_d(max(-dC,0)) / (...)   SUMDd SUMP - SUMN (one fraction)
    VMAd mean_d(V)/(V+eps)   VSTDd std_d(V)/(V+eps)
    WVMAd std_d(|r| V) / (mean_d(|r| V) + eps)
    VSUMPd, VSUMNd, VSUMDd  as SUMP/SUMN/SUMD on dV

Windows are the d trading days of the panel up to and including t (causal); statistics need
max(ceil(d/2), 1) valid observations (at least 2 for std, 3 for beta / rsquare / resi / corr),
where Qlib accepts a single one (this only differs in a stock's first days and after long
suspensions).

Suspended days (deliberate difference from Qlib). In the Qlib dump a suspended day is a row with
the previous close carried forward and volume 0, and Qlib's windows count it as an observation:
a flat day that pulls STD / BETA / CNT* / VMA / VSTD / CORR towards "nothing happened" (zero
volume enters CORR as log(1) = 0, and VSUMP / CORD see V_{t-1} = 0 on the day after). Here a
suspended day (``FactorContext.active`` False) is NOT an observation: windows skip it, the
field is NaN on it, and the day-over-day changes r, dC, dV, V_t/V_{t-1} on the first day after
a suspension are taken against the last TRADED day (C from ``close_ff``, V forward-filled), so
the price path across a suspension is the one a holder experienced. ROCd = C_{t-d} uses the
carried-forward close exactly as Qlib does. On windows without suspended days (and after a
stock's first d days) the values equal Qlib's expressions; ``benchmarks/bench_factors.py
--alpha158`` measures the agreement on the shared data.

VWAP0 is NaN where the source's vwap is (``compute_factors`` then lists it in
``attrs["empty"]``); the Qlib-dump source derives vwap from amount / volume, a typical-price
PROXY outside its daily-detail coverage, so VWAP0 there is a proxy too.

Heavy intermediates shared by several fields (window max / min and their ages, the sorted-window
quantiles and rank, the trend regression) are computed once per window and dropped from the
context after their last consumer has read them, so the whole set never holds more than a few
(T, N) arrays beyond its output.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from alpha_core.factors.base import Factor
from alpha_core.factors.inputs import FactorContext, ffill_rows
from alpha_core.factors.rolling import default_min_periods, lag, rolling_mean, rolling_std, rolling_sum
from alpha_core.factors.rolling_order import rolling_extreme_age, rolling_quantiles_rank
from alpha_core.factors.rolling_trend import rolling_corr_guarded, rolling_trend

PREFIX = "a158_"
WINDOWS: tuple[int, ...] = (5, 10, 20, 30, 60)
EPS = 1e-12
CORR_FLAT_STD = 2e-5  # Qlib's Corr: NaN where np.isclose(rolling std, 0, atol=2e-5)
KBAR_FIELDS = ("KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2")
PRICE_FIELDS = ("OPEN0", "HIGH0", "LOW0", "VWAP0")
ROLLING_OPS = (
    "ROC",
    "MA",
    "STD",
    "BETA",
    "RSQR",
    "RESI",
    "MAX",
    "MIN",
    "QTLU",
    "QTLD",
    "RANK",
    "RSV",
    "IMAX",
    "IMIN",
    "IMXD",
    "CORR",
    "CORD",
    "CNTP",
    "CNTN",
    "CNTD",
    "SUMP",
    "SUMN",
    "SUMD",
    "VMA",
    "VSTD",
    "WVMA",
    "VSUMP",
    "VSUMN",
    "VSUMD",
)

Array = np.ndarray


def _mp(d: int, floor: int = 1) -> int:
    return default_min_periods(d, floor)


# --- shared inputs (cached on the context for its lifetime: a handful of (T, N) arrays) -------
def _c(ctx: FactorContext) -> Array:
    return ctx.adjusted("close")


def _v(ctx: FactorContext) -> Array:
    return ctx.field("volume")


def _prev_traded(ctx: FactorContext, key: str, x: Array) -> Array:
    """x of the last traded day before t (x forward-filled over suspensions, lagged one row)."""
    return ctx._cache(f"a158_prev_{key}", lambda: lag(ffill_rows(x), 1))


def _dclose(ctx: FactorContext) -> Array:
    return ctx._cache("a158_dclose", lambda: np.where(ctx.active, ctx.close_ff - lag(ctx.close_ff, 1), np.nan))


def _dvol(ctx: FactorContext) -> Array:
    v = _v(ctx)
    return ctx._cache("a158_dvol", lambda: v - _prev_traded(ctx, "volume", v))


def _log_vol(ctx: FactorContext) -> Array:
    return ctx._cache("a158_log_vol", lambda: np.log(_v(ctx) + 1.0))


def _log_vol_change(ctx: FactorContext) -> Array:
    def build():
        v = _v(ctx)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.log(v / _prev_traded(ctx, "volume", v) + 1.0)

    return ctx._cache("a158_log_vol_change", build)


def _close_ratio(ctx: FactorContext) -> Array:
    return ctx._cache("a158_close_ratio", lambda: ctx.ret + 1.0)


def _abs_ret_vol(ctx: FactorContext) -> Array:
    return ctx._cache("a158_abs_ret_vol", lambda: np.abs(ctx.ret) * _v(ctx))


def _div(a: Array, b: Array) -> Array:
    with np.errstate(invalid="ignore", divide="ignore"):
        return a / b


# --- heavy per-window intermediates: built once, dropped after their last reader ------------
_READERS = {  # how many fields read each intermediate
    "max_high": 2,
    "age_high": 2,
    "min_low": 2,
    "age_low": 2,  # MAX RSV | IMAX IMXD | MIN RSV | IMIN IMXD
    "q80": 1,
    "q20": 1,
    "rank": 1,
    "slope": 1,
    "rsq": 1,
    "resi": 1,
    "abs_dclose": 3,
    "abs_dvol": 3,  # SUMP SUMN SUMD | VSUMP VSUMN VSUMD
}


def _build_extremes_high(ctx, d):
    m, age = rolling_extreme_age(ctx.adjusted("high"), d, "max", _mp(d))
    return {"max_high": m, "age_high": age}


def _build_extremes_low(ctx, d):
    m, age = rolling_extreme_age(ctx.adjusted("low"), d, "min", _mp(d))
    return {"min_low": m, "age_low": age}


def _build_order(ctx, d):
    (q80, q20), rank = rolling_quantiles_rank(_c(ctx), d, (0.8, 0.2), _mp(d))
    return {"q80": q80, "q20": q20, "rank": rank}


def _build_trend(ctx, d):
    slope, rsq, resi = rolling_trend(_c(ctx), d, _mp(d, 3))
    return {"slope": slope, "rsq": rsq, "resi": resi}


def _build_abs_sum(key):
    src = {"abs_dclose": _dclose, "abs_dvol": _dvol}[key]
    return lambda ctx, d: {key: rolling_sum(np.abs(src(ctx)), d, _mp(d)) + EPS}


_BUILDERS = {
    "abs_dclose": _build_abs_sum("abs_dclose"),
    "abs_dvol": _build_abs_sum("abs_dvol"),
    "max_high": _build_extremes_high,
    "age_high": _build_extremes_high,
    "min_low": _build_extremes_low,
    "age_low": _build_extremes_low,
    "q80": _build_order,
    "q20": _build_order,
    "rank": _build_order,
    "slope": _build_trend,
    "rsq": _build_trend,
    "resi": _build_trend,
}


def _shared(ctx: FactorContext, name: str, d: int) -> Array:
    store = ctx._cache("a158_shared", dict)
    if (name, d) not in store:
        for key, arr in _BUILDERS[name](ctx, d).items():
            store[(key, d)] = [arr, _READERS[key]]
    entry = store[(name, d)]
    entry[1] -= 1
    if entry[1] <= 0:
        del store[(name, d)]
    return entry[0]


# --- the fields --------------------------------------------------------------------------------
def _kbar(field: str) -> Callable[[FactorContext], Array]:
    def fn(ctx: FactorContext) -> Array:
        o, h, lo, c = (ctx.adjusted(f) for f in ("open", "high", "low", "close"))
        rng = h - lo + EPS
        num = {
            "KMID": c - o,
            "KLEN": h - lo,
            "KMID2": c - o,
            "KUP": h - np.maximum(o, c),
            "KUP2": h - np.maximum(o, c),
            "KLOW": np.minimum(o, c) - lo,
            "KLOW2": np.minimum(o, c) - lo,
            "KSFT": 2 * c - h - lo,
            "KSFT2": 2 * c - h - lo,
        }[field]
        return _div(num, rng if field.endswith("2") else o)

    return fn


def _price(field: str) -> Callable[[FactorContext], Array]:
    src = field[:-1].lower()  # OPEN0 -> open
    return lambda ctx: _div(ctx.adjusted(src), _c(ctx))


def _sum_ratio(ctx: FactorContext, key: str, x: Array, d: int, sign: int) -> Array:
    """sum_d(max(x, 0)) / (sum_d |x| + eps) (sign 1), of max(-x, 0) (sign -1), or their difference (0)."""
    mp = _mp(d)
    total = _shared(ctx, key, d)
    if sign == 0:
        return _div(rolling_sum(x, d, mp), total)  # max(x,0) - max(-x,0) = x
    return _div(rolling_sum(np.maximum(sign * x, 0.0), d, mp), total)  # NaN stays NaN


def _guarded_corr(x: Array, y: Array, d: int) -> Array:
    return rolling_corr_guarded(x, y, d, _mp(d, 3), CORR_FLAT_STD)


def _up_down(ctx: FactorContext, sign: int) -> Array:
    r = ctx.ret
    return np.where(np.isnan(r), np.nan, (sign * r > 0).astype(np.float64))


def _rolling(op: str, d: int) -> Callable[[FactorContext], Array]:
    def fn(ctx: FactorContext) -> Array:
        c = _c(ctx)
        if op == "ROC":
            return _div(lag(ctx.close_ff, d), c)
        if op == "MA":
            return _div(rolling_mean(c, d, _mp(d)), c)
        if op == "STD":
            return _div(rolling_std(c, d, _mp(d, 2)), c)
        if op == "BETA":
            return _div(_shared(ctx, "slope", d), c)
        if op == "RSQR":
            return _shared(ctx, "rsq", d)
        if op == "RESI":
            return _div(_shared(ctx, "resi", d), c)
        if op == "MAX":
            return _div(_shared(ctx, "max_high", d), c)
        if op == "MIN":
            return _div(_shared(ctx, "min_low", d), c)
        if op == "QTLU":
            return _div(_shared(ctx, "q80", d), c)
        if op == "QTLD":
            return _div(_shared(ctx, "q20", d), c)
        if op == "RANK":
            return _shared(ctx, "rank", d)
        if op == "RSV":
            lo = _shared(ctx, "min_low", d)
            return _div(c - lo, _shared(ctx, "max_high", d) - lo + EPS)
        if op == "IMAX":
            return (d - _shared(ctx, "age_high", d)) / d
        if op == "IMIN":
            return (d - _shared(ctx, "age_low", d)) / d
        if op == "IMXD":  # (d - age_high) - (d - age_low)
            return (_shared(ctx, "age_low", d) - _shared(ctx, "age_high", d)) / d
        if op == "CORR":
            return _guarded_corr(c, _log_vol(ctx), d)
        if op == "CORD":
            return _guarded_corr(_close_ratio(ctx), _log_vol_change(ctx), d)
        if op in ("CNTP", "CNTN"):
            return rolling_mean(_up_down(ctx, 1 if op == "CNTP" else -1), d, _mp(d))
        if op == "CNTD":
            return rolling_mean(_up_down(ctx, 1) - _up_down(ctx, -1), d, _mp(d))
        if op in ("SUMP", "SUMN", "SUMD"):
            return _sum_ratio(ctx, "abs_dclose", _dclose(ctx), d, {"SUMP": 1, "SUMN": -1, "SUMD": 0}[op])
        if op == "VMA":
            return _div(rolling_mean(_v(ctx), d, _mp(d)), _v(ctx) + EPS)
        if op == "VSTD":
            return _div(rolling_std(_v(ctx), d, _mp(d, 2)), _v(ctx) + EPS)
        if op == "WVMA":
            x = _abs_ret_vol(ctx)
            return _div(rolling_std(x, d, _mp(d, 2)), rolling_mean(x, d, _mp(d)) + EPS)
        if op in ("VSUMP", "VSUMN", "VSUMD"):
            return _sum_ratio(ctx, "abs_dvol", _dvol(ctx), d, {"VSUMP": 1, "VSUMN": -1, "VSUMD": 0}[op])
        raise KeyError(op)

    return fn


def _on_traded_days(fn: Callable[[FactorContext], Array]) -> Callable[[FactorContext], Array]:
    return lambda ctx: np.where(ctx.active, fn(ctx), np.nan)


def _specs() -> list[tuple[str, Callable[[FactorContext], Array]]]:
    out = [(f, _kbar(f)) for f in KBAR_FIELDS] + [(f, _price(f)) for f in PRICE_FIELDS]
    out += [(f"{op}{d}", _rolling(op, d)) for op in ROLLING_OPS for d in WINDOWS]
    return out


_SPECS = _specs()
QLIB_NAMES: dict[str, str] = {PREFIX + q.lower(): q for q, _ in _SPECS}  # a158_roc5 -> ROC5, Qlib's order
ALPHA158_FACTORS: tuple[str, ...] = tuple(QLIB_NAMES)
FACTORS: tuple[Factor, ...] = tuple(Factor(PREFIX + q.lower(), _on_traded_days(fn), "alpha158") for q, fn in _SPECS)
# the longest lookback of any field (ROC60 reads C_{t-60})
LOOKBACK_DAYS = max(WINDOWS) + 1
