"""Does the PINN macro state help? pinn_mticg vs mticg on the synthetic market.

The synthetic market plants a macro part: mu_macro[t, i] = u(t) * tilt_i (small-cap and
high-beta premia that scale with a latent macro state built from M2 growth and the 10-year
yield; :mod:`alpha_core.data.synthetic.planted`). A model that sees no macro input can at
best learn the average tilt; one that carries u(t) can flip the tilt when the regime flips.

For each seed: generate the market, compute the R3 inputs with the library (14 time-series
features -> seq (N, 80, 14), table-5 node features, r3_industry / r3_flow graphs, macro state
-> batch.macro), train ``mticg`` and ``pinn_mticg`` with the shared trainer on the same
batches and the same init seed, then score the test window and report the oracle rank IC with
the planted parts (mean over test days). Output: one line per (seed, model) and the mean /
std over seeds of each model and of the difference pinn_mticg - mticg on mu_macro.

Also printed: the planted state's sign balance on the test days (a model without macro input
can only learn the average tilt, which is right whenever the state keeps its training sign) and
corr(learned u(t), planted state) over the test days for pinn_mticg.

The macro part by regime: ``mu_macro_same_regime`` / ``mu_macro_flipped_regime`` are the oracle
IC with mu_macro on the test days whose planted state has / does not have the sign of the
training-window mean. A model without macro input can only be right on the first; the second is
where u(t) must earn its keep. The interaction u x tilt is only identifiable when the training
window holds both regimes: seeds 1, 5 and 6 of the demo market have a training state positive on
0-14% of days (see the "train state" line printed per seed), seeds 0, 2, 3, 4, 7 on 34-48%.

Label: the 10-day vwap return rank (the horizon of the ground truth), not R3's monthly label.

``--weight-ema d`` validates and keeps the trainer's moving average of the weights (one day per
step makes the validation RankIC of single epochs noise; the average smooths it).

Run:  .venv/bin/python benchmarks/bench_pinn_macro.py [--seeds 0 1 2] [--epochs 8] [--stocks 300] [--weight-ema 0.99]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time

import numpy as np
import pandas as pd
import torch

from alpha_core.data.panel import Panel
from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.oracle import ic_summary, oracle_ic
from alpha_core.data.synthetic.source import SyntheticSource
from alpha_core.factors.inputs import FactorInputs
from alpha_core.factors.preprocess import preprocess
from alpha_core.factors.registry import R3_TS_FEATURES, compute_factors
from alpha_core.graph.correlation import CorrelationGraphConfig
from alpha_core.graph.r3_graphs import R3_EDGE_FEATURES, R3_FLOW_FEATURES, r3_flow_graph, r3_industry_graph
from alpha_core.labels import compute_labels
from alpha_core.macro.state import build_macro_state
from alpha_core.models.indcap_gat import IndcapGATConfig
from alpha_core.models.losses import LossKind
from alpha_core.models.mticg import MTICG, MTICGConfig
from alpha_core.models.multi_transformer import MultiTransformerConfig
from alpha_core.models.pinn import MACRO_DRIVERS, MacroStateConfig
from alpha_core.models.r2r3_specs import (
    R3_FLOW_NODE,
    R3_INDUSTRY_NODE,
    attach_macro,
    attach_node_features,
    attach_sequences,
)
from alpha_core.training.dataset import build_day_batches
from alpha_core.training.schedules import sample_days
from alpha_core.training.trainer import Monitor, TrainConfig, predict, seeded, train

log = logging.getLogger("bench_pinn_macro")
LABEL = "y_vwap10_rank"
TRAIN = ("2016-01-01", "2018-06-30")
VALID = ("2018-07-16", "2019-06-30")  # starts > 10 trading days after TRAIN ends (purge)
TEST = ("2019-07-16", "2020-12-15")


def r3_batches(seed: int, n_stocks: int, macro_strength: float | None = None):
    """Train / valid / test day batches of the synthetic market of ``seed`` and its ground truth."""
    t0 = time.perf_counter()
    cfg = SyntheticConfig(seed=seed, n_stocks=n_stocks)
    if macro_strength is not None:
        cfg = dataclasses.replace(cfg, macro_strength=macro_strength)
    src = SyntheticSource(cfg)
    cal = src.calendar()
    bars = src.bars(cal[0], cal[-1])
    inputs = FactorInputs(bars, src.fundamentals(), None, src.industry_map(), src.instruments())
    node_cols = sorted(set(R3_INDUSTRY_NODE) | set(R3_FLOW_NODE))
    raw = compute_factors(inputs, [*R3_TS_FEATURES, *node_cols, *R3_EDGE_FEATURES, *R3_FLOW_FEATURES])
    ts_cols = [c for c in R3_TS_FEATURES if c != "breadth"]  # breadth is market-wide: keep it raw
    feats = preprocess(raw[["date", "code", *ts_cols, *node_cols, "breadth"]], [*ts_cols, *node_cols])
    feats["breadth"] = feats["breadth"].fillna(0.0)
    panel = Panel.from_long(feats, list(R3_TS_FEATURES))
    year_ends = pd.DatetimeIndex([cal[cal.year == y][-1] for y in sorted(set(cal.year))[:-1]])
    graph_cfg = CorrelationGraphConfig(window=80, threshold=0.5)
    edges = pd.concat([
        r3_industry_graph(src.industry_map(), raw[["date", "code", *R3_EDGE_FEATURES]], year_ends,
                          config=graph_cfg, fields=R3_EDGE_FEATURES),
        r3_flow_graph(raw[["date", "code", *R3_FLOW_FEATURES]], year_ends, config=graph_cfg,
                      fields=R3_FLOW_FEATURES),
    ], ignore_index=True)
    labels = compute_labels(bars, names=("y_vwap10",))
    macro, _ = build_macro_state(src.macro(), cal)
    # scale (not centre: the state equation is not shift invariant) by the training-window std
    train_rows = (macro["date"] >= TRAIN[0]) & (macro["date"] <= TRAIN[1])
    scale = macro.loc[train_rows, list(MACRO_DRIVERS)].std()
    macro[list(MACRO_DRIVERS)] = macro[list(MACRO_DRIVERS)] / scale

    def days(lo, hi):
        return sample_days(cal[(cal >= lo) & (cal <= hi)], 5)

    out = {}
    for name, (lo, hi) in {"train": TRAIN, "valid": VALID, "test": TEST}.items():
        b = build_day_batches(feats, ["breadth"], labels=labels, label_col=LABEL, adjacency=edges,
                              dense_graphs=("r3_industry",), dates=days(lo, hi), min_stocks=20)
        b = attach_sequences(b, panel, list(R3_TS_FEATURES), 80)
        b = attach_node_features(b, feats, list(R3_INDUSTRY_NODE), "r3_node_industry")
        b = attach_node_features(b, feats, list(R3_FLOW_NODE), "r3_node_flow")
        out[name] = attach_macro(b, macro, step=21, n_lags=1)
    truth = src.ground_truth(pd.Timestamp(TEST[0]), pd.Timestamp(TEST[1]))
    # the planted (latent) macro state on the test days, for diagnostics only
    state = pd.Series(src.market.macro.state, index=cal).reindex([b.date for b in out["test"]]).to_numpy()
    out["true_state"] = state
    out["train_state_mean"] = float(pd.Series(src.market.macro.state, index=cal).reindex(
        [b.date for b in out["train"]]).mean())
    log.info("seed %d: data in %.1fs (%d/%d/%d days)", seed, time.perf_counter() - t0,
             *(len(out[k]) for k in ("train", "valid", "test")))
    return out, truth


def model(pinn: bool, physics_weight: float) -> MTICG:
    tf = MultiTransformerConfig(d_model=16, n_heads=2, n_layers=1, dim_feedforward=32, dropout=0.1)
    gat = IndcapGATConfig(hidden=16, heads=2, dropout=0.1)
    macro = MacroStateConfig(hidden=16, physics_weight=physics_weight) if pinn else None
    return MTICG(MTICGConfig(tf, gat, macro, fusion_hidden=16))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--stocks", type=int, default=300)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--physics-weight", type=float, default=0.1)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--macro-strength", type=float, default=None,
                    help="SyntheticConfig.macro_strength (default 0.0034); see bench_planted_identifiability.py")
    ap.add_argument("--weight-ema", type=float, default=None,
                    help="decay of the trainer's weight average (TrainConfig.weight_ema, e.g. 0.99), default off")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    rows = []
    for seed in args.seeds:
        data, truth = r3_batches(seed, args.stocks, args.macro_strength)
        st = data["true_state"]
        print(f"seed {seed}: planted macro state on test days: mean {st.mean():+.2f}, "
              f"share > 0 {np.mean(st > 0):.2f}; train state mean {data['train_state_mean']:+.2f}", flush=True)
        for name, pinn in (("mticg", False), ("pinn_mticg", True)):
            t0 = time.perf_counter()
            with seeded(seed):
                m = model(pinn, args.physics_weight)
            cfg = TrainConfig(lr=args.lr, max_epochs=args.epochs, patience=args.epochs, monitor=Monitor.RANK_IC,
                              seed=seed, loss=LossKind.IC, weight_ema=args.weight_ema)
            res = train(m, data["train"], data["valid"], cfg, progress=False)
            scores = predict(m, data["test"])
            row = {"seed": seed, "model": name, "best_epoch": res.best_epoch, "train_s": time.perf_counter() - t0}
            for part in ("mu_macro", "mu_total", "mu_factor", "mu_graph"):
                row[part] = ic_summary(oracle_ic(scores, truth, part))["mean"]
            # the macro part by regime: days whose planted state has the training window's sign
            # (an average tilt is right there) vs the opposite sign (only a model that reads u(t) can be)
            daily = oracle_ic(scores, truth, "mu_macro").set_index("date")["ic"]
            state = pd.Series(data["true_state"], index=pd.DatetimeIndex([b.date for b in data["test"]]))
            same = np.sign(state.reindex(daily.index)) == np.sign(data["train_state_mean"])
            row["mu_macro_same_regime"] = float(daily[same.to_numpy()].mean())
            row["mu_macro_flipped_regime"] = float(daily[~same.to_numpy()].mean())
            row["flipped_days"] = int((~same).sum())
            if pinn:
                with torch.no_grad():
                    u = np.array([float(m.macro_state(b)[0]) for b in data["test"]])
                # sign-free: u is latent, its sign is a gauge the fusion layer can absorb
                row["corr_u_state"] = float(np.corrcoef(u, data["true_state"])[0, 1])
                row["abc"] = np.round(m.macro.coefficients.detach().numpy(), 3).tolist()
            rows.append(row)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    df = pd.DataFrame(rows)
    print("\noracle rank IC on the test window (mean over test days), mean +- std over seeds")
    for part in ("mu_macro", "mu_macro_same_regime", "mu_macro_flipped_regime", "mu_total"):
        for name in ("mticg", "pinn_mticg"):
            v = df.loc[df["model"] == name, part]
            print(f"  {part:24s} {name:10s} {v.mean():+.4f} +- {v.std(ddof=1) if len(v) > 1 else float('nan'):.4f}")
        diff = (df.loc[df["model"] == "pinn_mticg", part].to_numpy() - df.loc[df["model"] == "mticg", part].to_numpy())
        print(f"  {part:24s} difference pinn - mticg {diff.mean():+.4f} +- "
              f"{diff.std(ddof=1) if len(diff) > 1 else float('nan'):.4f} (per seed {np.round(diff, 4).tolist()})")


if __name__ == "__main__":
    main()
