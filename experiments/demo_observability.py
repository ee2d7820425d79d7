"""How much of each planted part of the demo market can the R1 factors see? (issue 15)

On the demo market (``demo`` profile, optionally changed with ``--set KEY=VALUE``), over the test
days of the last ``--folds`` DEMO folds and the universe of graph_recovery.py (listed >= 63 days,
not ST, tradable), the mean daily rank IC (Spearman across stocks, averaged over days) of each
ground-truth part with:

- ``label``: the realised label y_vwap10 (what the part alone is worth);
- ``proxy``: the R1 factor meant to reveal it, with the sign of the planted premium
  (reversal: -ret_5d, -ret_1m, -exp_wgt_return_3m; low vol: -std_1m, -ivr_ff3factor_1m;
  value: bp_lf; attention: -turn_1m, -bias_turn_1m), R1-preprocessed (MAD winsorised, z-scored);
- ``ridge_own`` / ``ridge_peers``: graph_recovery.py's closed-form references (ridge of the label
  on the 42 factors, + their industry-peer means), fit on each fold's 504 training days;
- ``lin_ceiling``: ridge of the part *itself* on the 42 factors over the same training days, i.e.
  the part's best linear image in the factors (what ridge_own could reach with unlimited labels).

The sub-parts of mu_factor (mu_reversal, mu_lowvol, mu_value, mu_attention) are rebuilt from the
market's latent state (``market.latent_state``, the same draws) and sum to mu_factor.

A second table ("why") scores each sub-part against latent-side proxies that isolate one source of
loss at a time (e.g. a 5-day sum of the idiosyncratic shock only, against the raw 5-day return).
The last table gives the shares of the oracle (mean RankIC of mu_total with the label).

Run:  OMP_NUM_THREADS=1 .venv/bin/python experiments/demo_observability.py [--folds 4]
      [--set factor_strength=0.012 ...] [--market-seed 7]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from graph_recovery import UNIVERSE_COL, market_tables, model_spec, ridge_reference  # noqa: E402

from alpha_core.data.synthetic.market import latent_state  # noqa: E402
from alpha_core.data.synthetic.oracle import rank_ic_by_date  # noqa: E402
from alpha_core.data.synthetic.planted import factor_part_truths  # noqa: E402
from alpha_core.folds import DEMO, make_folds  # noqa: E402
from alpha_core.training.inputs import prepare_fold_inputs  # noqa: E402
from alpha_core.training.signals import stitch_signals  # noqa: E402

SUBPARTS = ("mu_reversal", "mu_lowvol", "mu_value", "mu_attention")
PARTS = ("mu_total", "mu_factor", *SUBPARTS, "mu_graph", "mu_macro")
PROXIES = {  # truth part -> signed R1 proxies
    "mu_reversal": {"-ret_5d": -1, "-ret_1m": -1, "-exp_wgt_return_3m": -1},
    "mu_lowvol": {"-std_1m": -1, "-ivr_ff3factor_1m": -1},
    "mu_value": {"bp_lf": 1},
    "mu_attention": {"-turn_1m": -1, "-bias_turn_1m": -1},
}


def _long(arr: np.ndarray, rows: pd.DataFrame, cal: pd.DatetimeIndex, codes: np.ndarray) -> np.ndarray:
    """Values of the (T, N) ``arr`` at the (date, code) pairs of ``rows``."""
    ti = cal.get_indexer(pd.DatetimeIndex(rows["date"]))
    ni = pd.Index(codes).get_indexer(rows["code"])
    return arr[ti, ni]


def latent_proxies(cal, uni, lat, rho: float) -> dict[str, np.ndarray]:
    """(T, N) latent-side proxies, each isolating one loss of an R1 proxy (see the module docstring)."""
    own = np.where(uni.listed, lat.idio + lat.overreact, np.nan)
    raw = np.where(uni.listed, lat.common + lat.idio + lat.overreact + lat.jump, np.nan)
    geo = pd.DataFrame(np.nan_to_num(own)).ewm(alpha=1 - rho, adjust=False).mean().to_numpy()
    geo_raw = pd.DataFrame(np.nan_to_num(raw)).ewm(alpha=1 - rho, adjust=False).mean().to_numpy()
    t_len, n = uni.listed.shape
    cur_vol = lat.sigma[None, :] * np.sqrt(lat.h)
    return {
        # reversal: kernel (box 5 / 21 days vs 0.93^j) and contamination (common moves, jumps)
        "-own 5d (idio+o only)": -pd.DataFrame(own).rolling(5).sum().to_numpy(),
        "-own 21d (idio+o only)": -pd.DataFrame(own).rolling(21).sum().to_numpy(),
        "-raw 5d (latent total)": -pd.DataFrame(raw).rolling(5).sum().to_numpy(),
        "-raw rho^j kernel": -geo_raw,
        "-own rho^j kernel (exact)": -geo,
        # low vol: 21-day estimate vs the true current vol vs the static sigma_i
        "-std21(idio only)": -pd.DataFrame(lat.idio).rolling(21).std().to_numpy(),
        "-std21(raw)": -pd.DataFrame(raw).rolling(21).std().to_numpy(),
        "-std250(raw)": -pd.DataFrame(raw).rolling(250, min_periods=60).std().to_numpy(),
        "-sigma_i sqrt(h_t)": -cur_vol,
        "-sigma_i (exact)": -np.broadcast_to(lat.sigma, (t_len, n)),
        # value / attention: the latent itself (exact up to AR persistence)
        "v_t (exact)": lat.value,
        "-a_t (exact)": -lat.attention,
        "-a, 21d mean": -pd.DataFrame(lat.attention).rolling(21).mean().to_numpy(),
    }


def mean_rank_ic(df: pd.DataFrame, a: str, b: str) -> float:
    if a == b:
        return 1.0
    ic = rank_ic_by_date(df, a, b)
    return float(ic["ic"].mean()) if len(ic) else float("nan")


def ridge_on_parts(feats, cols, truth_rows, uni, folds, parts, lam: float = 1.0) -> pd.DataFrame:
    """Per fold, ridge of each (daily-demeaned, z-scaled) part on the factors over the train days,
    scored on the test days: the part's best linear image in the factors."""
    df = feats[["date", "code", *cols]].merge(truth_rows[["date", "code", *parts]], on=["date", "code"])
    df = df.merge(uni.loc[uni[UNIVERSE_COL], ["date", "code"]], on=["date", "code"])
    x = np.c_[df[cols].to_numpy(float), np.ones(len(df))]
    out = []
    for fold in folds:
        tr = df["date"].isin(set(fold.train)).to_numpy()
        te = df["date"].isin(set(fold.test)).to_numpy()
        res = df.loc[te, ["date", "code"]].copy()
        for p in parts:
            y = df[p].to_numpy(float)
            y = (y - df.groupby("date")[p].transform("mean").to_numpy()) / np.nanstd(y)
            ok = tr & np.isfinite(y)
            w = np.linalg.solve(x[ok].T @ x[ok] + lam * np.eye(x.shape[1]), x[ok].T @ y[ok])
            res[f"lin_{p}"] = x[te] @ w
        out.append(res)
    return pd.concat(out, ignore_index=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--market-seed", type=int, default=None)
    ap.add_argument(
        "--set",
        nargs="*",
        default=[],
        metavar="KEY=VALUE",
        help="overrides of the demo profile's SyntheticConfig, e.g. factor_strength=0.012",
    )
    args = ap.parse_args()
    t0 = time.perf_counter()
    tables, truth, cal, src = market_tables(True, args.market_seed, overrides=tuple(args.set), return_source=True)
    base = prepare_fold_inputs(model_spec("nn", "mse"), tables)
    feats, cols, groups = base.features, list(base.feature_cols), base.groups
    labels, uni = tables.labels, tables.universe
    folds = make_folds(cal, DEMO)[-args.folds :]
    test_days = sorted({d for f in folds for d in f.test})

    # ground truth incl. the factor sub-parts, on every listed row
    mcal, muni, lat = latent_state(src.config)
    sub = factor_part_truths(src.config, muni, lat)
    truth = truth.copy()
    for k, v in sub.items():
        truth[k] = _long(v, truth, mcal, muni.codes)
    gap = float(np.nanmax(np.abs(truth[list(SUBPARTS)].sum(axis=1) - truth["mu_factor"])))
    assert gap < 1e-9 * max(float(truth["mu_factor"].abs().max()), 1e-12), f"sub-parts do not sum to mu_factor: {gap}"

    # scores on the test days
    scores = {}
    for name, peers in (("ridge_own", False), ("ridge_peers", True)):
        sig = stitch_signals(ridge_reference(feats, cols, labels, uni, groups, folds, peers), folds, name)
        scores[name] = sig[["date", "code", "score"]].rename(columns={"score": name})
    lin = ridge_on_parts(feats, cols, truth, uni, folds, list(PARTS))

    rows = truth[truth["date"].isin(test_days)]
    rows = rows.merge(uni.loc[uni[UNIVERSE_COL], ["date", "code"]], on=["date", "code"])
    rows = rows.merge(labels[["date", "code", "y_vwap10"]], on=["date", "code"], how="left")
    rows = rows.merge(feats[["date", "code", *cols]], on=["date", "code"], how="left")
    for s in scores.values():
        rows = rows.merge(s, on=["date", "code"], how="left")
    rows = rows.merge(lin, on=["date", "code"], how="left")
    for name, arr in latent_proxies(mcal, muni, lat, src.config.reversal_rho).items():
        rows[name] = _long(arr, rows, mcal, muni.codes)
    for prox in PROXIES.values():
        for name, sign in prox.items():
            rows[name] = sign * rows[name.lstrip("-")]
    del lat

    cfg = src.config
    print(
        f"demo market, overrides {args.set or 'none'}; factor/graph/macro strength {cfg.factor_strength}/"
        f"{cfg.graph_strength}/{cfg.macro_strength}, factor shares {cfg.factor_shares}, sigma_dispersion {cfg.sigma_dispersion}, value_phi {cfg.value_phi}, "
        f"value_loading {cfg.value_loading}, attention_phi {cfg.attention_phi}, reversal_rho {cfg.reversal_rho}; test days of the last "
        f"{args.folds} DEMO folds ({len(test_days)} days, {test_days[0].date()}..{test_days[-1].date()}), "
        f"universe {UNIVERSE_COL}, {len(rows)} rows; built in {time.perf_counter() - t0:.0f} s"
    )
    pd.set_option("display.width", 250)
    pd.set_option("display.max_columns", 30)

    # Table 1: each part vs label, mu_total, proxies, ridge fits
    t1 = []
    for p in PARTS:
        r = {
            "part": p,
            "pooled_cs_std": float((rows[p] - rows.groupby("date")[p].transform("mean")).std()),
            "IC vs label": mean_rank_ic(rows, p, "y_vwap10"),
            "IC vs mu_total": mean_rank_ic(rows, p, "mu_total"),
            "ridge_own": mean_rank_ic(rows, "ridge_own", p),
            "ridge_peers": mean_rank_ic(rows, "ridge_peers", p),
            "lin_ceiling": mean_rank_ic(rows, f"lin_{p}", p),
        }
        for name in PROXIES.get(p, {}):
            r[name] = mean_rank_ic(rows, name, p)
        t1.append(r)
    t1 = pd.DataFrame(t1).set_index("part")
    print(
        "\nTable 1. mean daily rank IC of each planted part with: the label, mu_total, the ridge fits, its R1 proxies"
    )
    print(t1.to_string(float_format=lambda v: f"{v:.3f}", na_rep=""))

    # Table 2: why the proxies fall short (latent-side proxies, each sub-part)
    t2 = []
    groups_why = {
        "mu_reversal": [
            "-ret_5d",
            "-ret_1m",
            "-raw 5d (latent total)",
            "-own 5d (idio+o only)",
            "-own 21d (idio+o only)",
            "-raw rho^j kernel",
            "-own rho^j kernel (exact)",
        ],
        "mu_lowvol": [
            "-std_1m",
            "-std21(raw)",
            "-std21(idio only)",
            "-std250(raw)",
            "-sigma_i sqrt(h_t)",
            "-sigma_i (exact)",
        ],
        "mu_value": ["bp_lf", "v_t (exact)"],
        "mu_attention": ["-turn_1m", "-bias_turn_1m", "-a, 21d mean", "-a_t (exact)"],
    }
    for p, names in groups_why.items():
        for name in names:
            t2.append(
                {
                    "part": p,
                    "proxy": name,
                    "IC with part": mean_rank_ic(rows, name, p),
                    "IC with mu_factor": mean_rank_ic(rows, name, "mu_factor"),
                    "IC with label": mean_rank_ic(rows, name, "y_vwap10"),
                }
            )
    print("\nTable 2. why: R1 proxies against latent-side proxies that remove one loss at a time")
    print(pd.DataFrame(t2).to_string(index=False, float_format=lambda v: f"{v:.3f}"))

    # Table 5: stylised facts of the market's daily returns (all listed, tradable rows, whole sample)
    b = tables.raw_bars.sort_values(["code", "date"])
    px = b["close"] * b["adj_factor"]
    r = np.log(px / px.groupby(b["code"]).shift())
    r = r[b["tradable"].to_numpy() & ~b["is_st"].to_numpy()].dropna()
    wide = pd.DataFrame({"date": b.loc[r.index, "date"], "code": b.loc[r.index, "code"], "r": r}).pivot(
        index="date", columns="code", values="r"
    )
    keep = [c for c in wide.columns if wide[c].notna().sum() > 200]
    cs = wide.std(axis=1)
    facts = {
        "kurtosis of daily log returns": float(((r - r.mean()) ** 4).mean() / r.var() ** 2),
        "mean lag-1 autocorr of r": float(np.nanmean([wide[c].autocorr(1) for c in keep])),
        "mean lag-1 autocorr of |r|": float(np.nanmean([wide[c].abs().autocorr(1) for c in keep])),
        "mean lag-5 autocorr of |r|": float(np.nanmean([wide[c].abs().autocorr(5) for c in keep])),
        "cross-sectional std of r: mean": float(cs.mean()),
        "cross-sectional std of r: 5% / 95%": f"{cs.quantile(0.05):.4f} / {cs.quantile(0.95):.4f}",
        "annualised vol per stock: 10% / 50% / 90%": "{:.2f} / {:.2f} / {:.2f}".format(
            *(wide[keep].std() * np.sqrt(242)).quantile([0.1, 0.5, 0.9]).to_numpy()
        ),
    }
    print("\nTable 5. stylised facts (daily log returns, tradable non-ST rows)")
    for k, v in facts.items():
        print(f"  {k:45s} {v if isinstance(v, str) else f'{v:.4f}'}")

    # Table 4: every signed R1 proxy against every part (what else each proxy carries)
    names = [n for prox in PROXIES.values() for n in prox]
    t4 = pd.DataFrame({p: [mean_rank_ic(rows, n, p) for n in names] for p in (*PARTS, "y_vwap10")}, index=names)
    print("\nTable 4. signed R1 proxies against every part and the label (cross-talk)")
    print(t4.to_string(float_format=lambda v: f"{v:.3f}"))

    # Table 3: shares of the oracle
    oracle = mean_rank_ic(rows, "mu_total", "y_vwap10")
    t3 = [{"score": "mu_total (oracle)", "RankIC vs label": oracle}]
    for s in ("mu_factor", "mu_graph", "mu_macro", "mu_factor+graph", "lin_mu_total", "ridge_own", "ridge_peers"):
        if s == "mu_factor+graph":
            rows[s] = rows["mu_factor"] + rows["mu_graph"]
        t3.append({"score": s, "RankIC vs label": mean_rank_ic(rows, s, "y_vwap10")})
    t3 = pd.DataFrame(t3)
    t3["share of oracle"] = t3["RankIC vs label"] / oracle
    t3["oracle IC (vs mu_total)"] = [
        mean_rank_ic(rows, c if c != "mu_total (oracle)" else "mu_total", "mu_total") for c in t3["score"]
    ]
    print("\nTable 3. RankIC vs the label y_vwap10 and share of the oracle")
    print(t3.to_string(index=False, float_format=lambda v: f"{v:.3f}"))


if __name__ == "__main__":
    main()
