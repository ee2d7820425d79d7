"""How detectable is each planted part of the synthetic market inside a training window?

A model can only learn a part whose effect on the realised label stands out of the noise over the
days it trains on. The best any model can do is to know the part exactly (``mu_part`` of the ground
truth, in return units) and estimate its loading from the label. For each day t of the window:

    xy_t = sum_i (m_{t,i} - mean_t m)(r_{t,i} - mean_t r),   xx_t = sum_i (m_{t,i} - mean_t m)^2

with r the realised return (T+1 vwap -> T+11 vwap) and m = mu_part, and over the window, on every
11th day (non-overlapping labels), the pooled OLS loading of the return on the part and its
standard error from the day-level residual sums (days are independent, stocks within a day not):

    loading = sum_t xy_t / sum_t xx_t                                (1 if the part is real)
    se      = sqrt(sum_t (xy_t - loading xx_t)^2) / sum_t xx_t,   t_stat = loading / se

``mu_macro_interaction`` is the part of mu_macro that only a model reading the macro state can
learn: with u-bar the window's mean state, mu_macro = u-bar tilt + (u(t) - u-bar) tilt, and a model
blind to u(t) (mticg) can at best learn the first (the average tilt); the row tests the second,
(u(t) - u-bar) / u(t) * mu_macro (days with |u(t)| < 0.02 dropped).

A t-statistic below ~2 means that even an oracle that is handed the planted function up to its scale
cannot tell it from zero in that window; a network that must also discover the function cannot do
better. The macro part is mu_macro[t, i] = u(t) * tilt_i: learning it means learning the
interaction of the macro state with the size / beta tilt, whose realised slope is dominated by the
market's size and beta factor returns (several times larger than the planted premium).

Output: per market seed and window, (loading, t-stat, D) for mu_factor, mu_graph and mu_macro.

Run:  .venv/bin/python experiments/planted_identifiability.py [--seeds 0 1 2 3 4 7]
      [--start 2014-01-01] [--macro-strength 0.0102] [--graph-strength 0.0085] [--set KEY=VALUE ...] [--window 2016-01-01 2018-06-30] [--window ...]
"""

from __future__ import annotations

import argparse
import dataclasses

import numpy as np
import pandas as pd

from alpha_core.data.synthetic import SyntheticSource, profile_config
from alpha_core.data.synthetic.config import with_overrides
from alpha_core.data.synthetic.oracle import forward_vwap_return

PARTS = ("mu_factor", "mu_graph", "mu_macro")
LABEL_STEP = 11  # T+1 .. T+11: labels of days 11 apart do not overlap


def daily_moments(ret: pd.DataFrame, truth: pd.DataFrame, part: str) -> pd.DataFrame:
    """Per date (index): xy, xx of the demeaned realised return and ``part`` (dates with >= 20 stocks)."""
    m = ret.merge(truth[["date", "code", part]], on=["date", "code"]).dropna()
    g = m.groupby("date")
    x = m[part] - g[part].transform("mean")
    y = m["ret"] - g["ret"].transform("mean")
    s = (
        pd.DataFrame({"date": m["date"], "xy": x * y, "xx": x * x})
        .groupby("date")
        .agg(xy=("xy", "sum"), xx=("xx", "sum"), n=("xx", "size"))
    )
    return s[(s["n"] >= 20) & (s["xx"] > 0)]


def window_stats(moments: pd.DataFrame, lo: str, hi: str) -> dict[str, float]:
    """Pooled loading, its t-statistic and the number of non-overlapping days in [lo, hi]."""
    m = moments[(moments.index >= pd.Timestamp(lo)) & (moments.index <= pd.Timestamp(hi))].iloc[::LABEL_STEP]
    sxx = float(m["xx"].sum())
    loading = float(m["xy"].sum()) / sxx
    se = float(np.sqrt(((m["xy"] - loading * m["xx"]) ** 2).sum())) / sxx
    return {"loading": loading, "t_stat": loading / se if se > 0 else float("nan"), "days": len(m)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 7])
    ap.add_argument(
        "--macro-strength",
        type=float,
        default=None,
        help="SyntheticConfig.macro_strength (default: the demo profile's, 0.0102)",
    )
    ap.add_argument(
        "--graph-strength",
        type=float,
        default=None,
        help="SyntheticConfig.graph_strength (default: the demo profile's, 0.0085)",
    )
    ap.add_argument("--start", default=None, help="first day of the market (default: the demo profile's)")
    ap.add_argument(
        "--window",
        nargs=2,
        action="append",
        metavar=("FROM", "TO"),
        help="training window(s); default: pinn_macro's 2016-01-01..2018-06-30 and the whole sample",
    )
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="overrides of the demo profile's SyntheticConfig, e.g. factor_strength=0.012",
    )
    args = ap.parse_args()
    rows = []
    for seed in args.seeds:
        cfg = dataclasses.replace(with_overrides(profile_config("demo"), args.set), seed=seed)
        if args.start:
            cfg = dataclasses.replace(cfg, start=args.start)
        if args.macro_strength is not None:
            cfg = dataclasses.replace(cfg, macro_strength=args.macro_strength)
        if args.graph_strength is not None:
            cfg = dataclasses.replace(cfg, graph_strength=args.graph_strength)
        src = SyntheticSource(cfg)
        cal = src.calendar()
        windows = args.window or [["2016-01-01", "2018-06-30"], [str(cal[0].date()), str(cal[-1].date())]]
        truth = src.ground_truth(cal[0], cal[-1])
        ret = forward_vwap_return(src.bars(cal[0], cal[-1]))
        state = pd.Series(src.market.macro.state, index=cal)
        for part in PARTS:
            moments = daily_moments(ret, truth, part)
            for lo, hi in windows:
                rows.append({"seed": seed, "part": part, "window": f"{lo}..{hi}", **window_stats(moments, lo, hi)})
        u = state.reindex(pd.DatetimeIndex(truth["date"])).to_numpy()
        for lo, hi in windows:
            u_bar = float(state[(state.index >= pd.Timestamp(lo)) & (state.index <= pd.Timestamp(hi))].mean())
            scale = np.where(np.abs(u) >= 0.02, (u - u_bar) / np.where(u == 0, 1.0, u), np.nan)
            inter = truth.assign(mu_macro_interaction=truth["mu_macro"].to_numpy() * scale)
            moments = daily_moments(ret, inter, "mu_macro_interaction")
            rows.append(
                {"seed": seed, "part": "mu_macro_interaction", "window": f"{lo}..{hi}", **window_stats(moments, lo, hi)}
            )
    res = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print(res.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print("\nt-statistic of the loading (mean over seeds, min..max):")
    for (part, window), g in res.groupby(["part", "window"], sort=False):
        print(
            f"  {part:20s} {window:24s} {g.t_stat.mean():6.2f}  ({g.t_stat.min():.2f} .. {g.t_stat.max():.2f}); "
            f"loading {g.loading.mean():.2f} +- {g.loading.std(ddof=1):.2f}"
        )


if __name__ == "__main__":
    main()
