"""Alpha158 / Alpha360: hand-computed fixtures per family, count and naming, causality.

The hand side is a plain per-cell Python loop over a tiny panel (3 stocks x 14 days, one
suspended day, an ex-dividend step, a tie in the highs), written from Qlib's expressions with
this engine's documented conventions (suspended days are not observations; changes across a
suspension are taken against the last traded day).
"""

import numpy as np
import pandas as pd
import pytest
from factor_hand import Hand
from factor_synth import make_bars, wide
from scipy.stats import rankdata
from test_causality import _perturb_after

from alpha_core.factors import FACTOR_SETS, FACTORS, FactorContext, FactorInputs, FactorSet, compute_factors
from alpha_core.factors.alpha158 import QLIB_NAMES as A158_QLIB
from alpha_core.factors.alpha360 import QLIB_NAMES as A360_QLIB
from alpha_core.factors.alpha360 import Alpha360Sequences

EPS = 1e-12
SUSPENDED = {1: [6]}  # stock 1 does not trade on day 6


@pytest.fixture(scope="module")
def panel():
    bars = make_bars(n_stocks=3, n_days=14, seed=5, suspend=SUSPENDED)
    # a tie in the highs of stock 0 (days 3 and 5): IdxMax must take the OLDEST
    hi = bars.index[(bars["code"] == bars["code"].min())]
    bars.loc[hi[5], "high"] = bars.loc[hi[3], "high"] = max(bars.loc[hi[3], "high"], bars.loc[hi[5], "high"])
    bars.loc[hi[5], "close"] = min(bars.loc[hi[5], "close"], bars.loc[hi[5], "high"])
    ctx = FactorContext(FactorInputs(bars))
    return bars, ctx, Hand(bars)


def engine(ctx, name):
    return FACTORS[name].fn(ctx)


def window(h: Hand, x, t, j, d):
    """[(position 1..d, value)] of the traded rows of (t-d, t]."""
    return [(s - t + d, x[s, j]) for s in range(max(0, t - d + 1), t + 1) if h.act[s, j] and not np.isnan(x[s, j])]


def prev_traded(h: Hand, x, t, j):
    for s in range(t - 1, -1, -1):
        if h.act[s, j]:
            return x[s, j]
    return np.nan


def hand_field(h: Hand, op: str, d: int) -> np.ndarray:
    c, hi, lo, v = h.ac, h.ah, h.al, h.vol
    mp = {"STD": 2, "VSTD": 2, "WVMA": 2, "CORR": 3, "CORD": 3, "BETA": 3, "RSQR": 3, "RESI": 3}.get(op, 1)
    mp = max(mp, -(-d // 2))
    out = np.full((h.T, h.N), np.nan)
    for j in range(h.N):
        for t in range(h.T):
            if not h.act[t, j]:
                continue
            ct = c[t, j]
            ret = {s: (c[s, j] / prev_traded(h, c, s, j) - 1) for s in range(max(0, t - d + 1), t + 1) if h.act[s, j]}
            dc = {s: c[s, j] - prev_traded(h, c, s, j) for s in ret}
            dv = {s: v[s, j] - prev_traded(h, v, s, j) for s in ret}
            wc = window(h, c, t, j, d)
            vals = np.array([y for _, y in wc])
            if op == "ROC":
                out[t, j] = h.cff[t - d, j] / ct if t >= d else np.nan
                continue
            if op in ("MAX", "MIN", "RSV", "IMAX", "IMIN", "IMXD"):
                wh, wl = window(h, hi, t, j, d), window(h, lo, t, j, d)
                if len(wh) < mp:
                    continue
                mx = max(y for _, y in wh)
                mn = min(y for _, y in wl)
                imax = next(p for p, y in wh if y == mx)  # oldest on ties (numpy argmax)
                imin = next(p for p, y in wl if y == mn)
                out[t, j] = {
                    "MAX": mx / ct,
                    "MIN": mn / ct,
                    "RSV": (ct - mn) / (mx - mn + EPS),
                    "IMAX": imax / d,
                    "IMIN": imin / d,
                    "IMXD": (imax - imin) / d,
                }[op]
                continue
            if op in ("CNTP", "CNTN", "CNTD", "SUMP", "SUMN", "SUMD", "VSUMP", "VSUMN", "VSUMD", "WVMA", "CORD"):
                keys = [s for s in ret if not np.isnan(ret[s])]
                if len(keys) < mp:
                    continue
                r = np.array([ret[s] for s in keys])
                if op == "CNTP":
                    out[t, j] = np.mean(r > 0)
                elif op == "CNTN":
                    out[t, j] = np.mean(r < 0)
                elif op == "CNTD":
                    out[t, j] = np.mean(r > 0) - np.mean(r < 0)
                elif op in ("SUMP", "SUMN", "SUMD", "VSUMP", "VSUMN", "VSUMD"):
                    x = np.array([(dv if op.startswith("V") else dc)[s] for s in keys])
                    up, down = np.maximum(x, 0).sum(), np.maximum(-x, 0).sum()
                    num = {"P": up, "N": down, "D": up - down}[op[-1]]
                    out[t, j] = num / (np.abs(x).sum() + EPS)
                elif op == "WVMA":
                    x = np.array([abs(ret[s]) * v[s, j] for s in keys])
                    out[t, j] = np.std(x, ddof=1) / (np.mean(x) + EPS)
                else:  # CORD
                    a = 1 + r
                    b = np.log(np.array([v[s, j] / prev_traded(h, v, s, j) for s in keys]) + 1)
                    if np.std(a, ddof=1) > 2e-5 and np.std(b, ddof=1) > 2e-5:
                        out[t, j] = np.corrcoef(a, b)[0, 1]
                continue
            if len(wc) < mp:
                continue
            if op == "MA":
                out[t, j] = vals.mean() / ct
            elif op == "STD":
                out[t, j] = np.std(vals, ddof=1) / ct
            elif op in ("BETA", "RSQR", "RESI"):
                x = np.array([p for p, _ in wc], float)
                b, a = np.polyfit(x, vals, 1)
                out[t, j] = {"BETA": b / ct, "RSQR": np.corrcoef(x, vals)[0, 1] ** 2, "RESI": (ct - (a + b * d)) / ct}[
                    op
                ]
            elif op == "QTLU":
                out[t, j] = np.quantile(vals, 0.8) / ct
            elif op == "QTLD":
                out[t, j] = np.quantile(vals, 0.2) / ct
            elif op == "RANK":
                out[t, j] = rankdata(vals)[-1] / len(vals)
            elif op == "CORR":
                lv = np.log(np.array([v[p + t - d, j] for p, _ in wc]) + 1)  # row s = p + t - d
                if np.std(vals, ddof=1) > 2e-5 and np.std(lv, ddof=1) > 2e-5:
                    out[t, j] = np.corrcoef(vals, lv)[0, 1]
            elif op == "VMA":
                vv = np.array([y for _, y in window(h, v, t, j, d)])
                out[t, j] = vv.mean() / (v[t, j] + EPS)
            elif op == "VSTD":
                vv = np.array([y for _, y in window(h, v, t, j, d)])
                out[t, j] = np.std(vv, ddof=1) / (v[t, j] + EPS)
    return out


def check(ctx, h, qlib_name, expected):
    name = "a158_" + qlib_name.lower()
    got = engine(ctx, name)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected), err_msg=f"{name} NaN pattern")
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-12, err_msg=name)
    assert np.isfinite(expected).sum() >= 6, f"{name}: fixture too thin"


FAMILIES = {
    "roc_ma_std": ("ROC", "MA", "STD"),
    "trend": ("BETA", "RSQR", "RESI"),
    "order": ("MAX", "MIN", "QTLU", "QTLD", "RANK", "RSV"),
    "index": ("IMAX", "IMIN", "IMXD"),
    "corr": ("CORR", "CORD"),
    "count": ("CNTP", "CNTN", "CNTD"),
    "sum": ("SUMP", "SUMN", "SUMD"),
    "volume": ("VMA", "VSTD", "WVMA", "VSUMP", "VSUMN", "VSUMD"),
}


@pytest.mark.parametrize("family", list(FAMILIES))
@pytest.mark.parametrize("d", [5, 10])
def test_rolling_families_match_hand_computation(panel, family, d):
    _, ctx, h = panel
    for op in FAMILIES[family]:
        check(ctx, h, f"{op}{d}", hand_field(h, op, d))


def test_kbar_and_price_ratios_match_hand_computation(panel):
    _, ctx, h = panel
    o, hi, lo, c = h.ao, h.ah, h.al, h.ac
    rng = hi - lo + EPS
    expected = {
        "KMID": (c - o) / o,
        "KLEN": (hi - lo) / o,
        "KMID2": (c - o) / rng,
        "KUP": (hi - np.maximum(o, c)) / o,
        "KUP2": (hi - np.maximum(o, c)) / rng,
        "KLOW": (np.minimum(o, c) - lo) / o,
        "KLOW2": (np.minimum(o, c) - lo) / rng,
        "KSFT": (2 * c - hi - lo) / o,
        "KSFT2": (2 * c - hi - lo) / rng,
        "OPEN0": o / c,
        "HIGH0": hi / c,
        "LOW0": lo / c,
        "VWAP0": h.avwap / c,
    }
    for q, arr in expected.items():
        check(ctx, h, q, arr)


def test_suspended_day_is_skipped_not_a_flat_observation(panel):
    _, ctx, h = panel
    t, j = 8, 1  # window 5 at day 8 spans the suspended day 6 of stock 1
    ma = engine(ctx, "a158_ma5")
    traded = [h.ac[s, j] for s in range(4, 9) if s != 6]
    assert ma[t, j] == pytest.approx(np.mean(traded) / h.ac[t, j], rel=1e-12)
    with_flat = traded[:2] + [h.cff[6, j]] + traded[2:]  # Qlib would see the carried close
    assert ma[t, j] != pytest.approx(np.mean(with_flat) / h.ac[t, j], rel=1e-12)
    assert np.isnan(engine(ctx, "a158_kmid")[6, j])


def test_alpha360_fields_match_hand_computation(panel):
    bars, ctx, h = panel
    j = 1
    t = 9
    for field, src in (("close", h.ac), ("open", h.ao), ("high", h.ah), ("low", h.al), ("vwap", h.avwap)):
        for i in (0, 3, 9):
            got = engine(ctx, f"a360_{field}{i}")[t, j]
            s = t - i
            past = src[s, j] if h.act[s, j] else h.cff[s, j]  # suspended day: a flat bar at the last close
            assert got == pytest.approx(past / h.ac[t, j], rel=1e-12), (field, i)
    assert engine(ctx, "a360_volume3")[t, j] == pytest.approx(0.0)  # day 6 suspended: volume 0
    assert engine(ctx, "a360_volume0")[t, j] == pytest.approx(h.vol[t, j] / (h.vol[t, j] + EPS))
    assert np.isnan(engine(ctx, "a360_close10")[t, j])  # before the first bar
    assert np.isnan(engine(ctx, "a360_close0")[6, j])  # suspended t itself


def test_alpha360_sequences_are_the_columns_reshaped():
    bars = make_bars(n_stocks=4, n_days=70, seed=3, suspend={2: [50, 51]})
    ctx = FactorContext(FactorInputs(bars))
    date = ctx.dates[65]
    codes, seq = Alpha360Sequences(ctx)(date)
    assert seq.shape == (len(codes), 60, 6) and seq.dtype == np.float32
    t = 65
    for k, field in enumerate(("close", "open", "high", "low", "vwap", "volume")):
        for i in (0, 14, 59):
            col = engine(ctx, f"a360_{field}{i}")[t, ctx.codes.get_indexer(codes)]
            np.testing.assert_allclose(seq[:, 59 - i, k], col.astype(np.float32), rtol=1e-6)


def test_counts_names_and_qlib_mapping():
    a158 = FACTOR_SETS[FactorSet.ALPHA158]
    a360 = FACTOR_SETS[FactorSet.ALPHA360]
    assert len(a158) == len(set(a158)) == 158
    assert len(a360) == len(set(a360)) == 360
    assert all(n.startswith("a158_") and n == n.lower() for n in a158)
    assert A158_QLIB["a158_roc5"] == "ROC5" and A158_QLIB["a158_kmid"] == "KMID"
    assert list(A158_QLIB)[:9] == [
        "a158_" + k.lower() for k in ("KMID", "KLEN", "KMID2", "KUP", "KUP2", "KLOW", "KLOW2", "KSFT", "KSFT2")
    ]
    assert A360_QLIB["a360_close59"] == "CLOSE59" and list(A360_QLIB)[-1] == "a360_volume0"
    assert not set(a158) & {"kmid", "klen"}  # no clash with R1's names


def test_compute_factors_by_set_name():
    bars = make_bars(n_stocks=3, n_days=80, seed=1)
    df = compute_factors(FactorInputs(bars), FACTOR_SETS[FactorSet.ALPHA158])
    assert [c for c in df.columns if c.startswith("a158_")] == list(FACTOR_SETS[FactorSet.ALPHA158])
    late = df[df["date"] >= np.sort(df["date"].unique())[61]]
    assert late.drop(columns=["date", "code"]).notna().all().all()


def test_source_without_vwap_leaves_vwap0_empty():
    bars = make_bars(n_stocks=2, n_days=30, seed=1)
    bars["vwap"] = np.nan
    df = compute_factors(FactorInputs(bars), ["a158_vwap0", "a158_kmid", "a360_vwap0"])
    assert set(df.attrs["empty"]) == {"a158_vwap0", "a360_vwap0"}
    assert df["a158_kmid"].notna().all()


def test_future_bars_do_not_change_any_alpha_field():
    bars = make_bars(n_stocks=6, n_days=140, seed=17, suspend={2: [100, 101], 4: [60]})
    cut = pd.Timestamp(np.sort(bars["date"].unique())[110])
    names = list(FACTOR_SETS[FactorSet.ALPHA158]) + list(FACTOR_SETS[FactorSet.ALPHA360])
    base = compute_factors(FactorInputs(bars), names, end=cut)
    pert = compute_factors(FactorInputs(_perturb_after(bars, cut)), names, end=cut)
    trunc = compute_factors(FactorInputs(bars[bars["date"] <= cut]), names)
    for name in names:
        np.testing.assert_array_equal(base[name].to_numpy(), pert[name].to_numpy(), err_msg=name)
        np.testing.assert_array_equal(base[name].to_numpy(), trunc[name].to_numpy(), err_msg=name)
    after = compute_factors(FactorInputs(_perturb_after(bars, cut)), ["a158_ma5"])
    after0 = compute_factors(FactorInputs(bars), ["a158_ma5"])
    assert not np.allclose(after["a158_ma5"], after0["a158_ma5"], equal_nan=True)  # the perturbation bites


def test_wide_pivot_sanity(panel):
    bars, ctx, h = panel
    np.testing.assert_allclose(ctx.adjusted("close"), h.ac)
    assert wide(bars, "tradable")[6, 1] == 0
