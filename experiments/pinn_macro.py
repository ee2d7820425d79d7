"""Does the PINN macro state help? pinn_mticg vs mticg on the synthetic market.

The synthetic market plants a macro part: mu_macro[t, i] = u(t) * tilt_i (small-cap and
high-beta premia that scale with a latent macro state built from M2 growth and the 10-year
yield; :mod:`alpha_core.data.synthetic.planted`). A model that sees no macro input can at
best learn the average tilt; one that carries u(t) can flip the tilt when the regime flips.

For each seed: generate the market, build the pipeline's tables with the library (the R3 factor
sets, ``build_adjacency``'s r3_industry / r3_flow graphs (rebuilt at year ends here, monthly in
the asset), ``build_macro_state``), take pinn_mticg's inputs from ``prepare_fold_inputs`` (14
time-series features -> seq (N, 80, 14), table-5 node features, the graphs, macro state ->
batch.macro; the same batches for both models) and train ``mticg`` and ``pinn_mticg`` with
``train_fold`` and the same seed (small networks: :func:`model`, this script's builder), then
report the oracle rank IC of the test-window scores with the planted parts (mean over test
days). Output: one line per (seed, model) and the mean /
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

Run:  .venv/bin/python experiments/pinn_macro.py [--seeds 0 1 2] [--epochs 8] [--stocks 300] [--weight-ema 0.99]
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import time

import numpy as np
import pandas as pd
import torch

from alpha_core.data.synthetic.config import SyntheticConfig
from alpha_core.data.synthetic.oracle import ic_summary, oracle_ic
from alpha_core.data.synthetic.source import SyntheticSource
from alpha_core.factors.inputs import FactorInputs
from alpha_core.factors.registry import FACTOR_SETS, FactorSet, compute_factors
from alpha_core.folds import Fold
from alpha_core.graph.build import AdjacencyBuildConfig, build_adjacency
from alpha_core.graph.edges import GraphKind
from alpha_core.graph.schedule import RebuildFrequency
from alpha_core.labels import compute_labels
from alpha_core.macro.state import build_macro_state
from alpha_core.models.indcap_gat import IndcapGATConfig
from alpha_core.models.mticg import MTICG, MTICGConfig
from alpha_core.models.multi_transformer import MultiTransformerConfig
from alpha_core.models.pinn import MACRO_DRIVERS, MacroStateConfig
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs
from alpha_core.training.losses import LossKind
from alpha_core.training.schedules import sample_days
from alpha_core.training.specs import get_spec
from alpha_core.training.trainer import Monitor, TrainConfig
from alpha_core.training.walkforward import fold_batches, train_fold

log = logging.getLogger("pinn_macro")
LABEL = "y_vwap10_rank"
TRAIN = ("2016-01-01", "2018-06-30")
VALID = ("2018-07-16", "2019-06-30")  # starts > 10 trading days after TRAIN ends (purge)
TEST = ("2019-07-16", "2020-12-15")
UNIVERSE_COL = "every_stock"  # no universe filter: every stock with inputs (and, to train, a label)
R3_SETS = (FactorSet.R3_TS, FactorSet.R3_NODE, FactorSet.R3_EDGE, FactorSet.R3_FLOW)
# the R3 graphs of the adjacency asset, rebuilt at year ends (the asset: monthly)
R3_GRAPHS = AdjacencyBuildConfig(
    graphs=(GraphKind.R3_INDUSTRY, GraphKind.R3_FLOW),
    frequencies={GraphKind.R3_INDUSTRY: RebuildFrequency.YEARLY, GraphKind.R3_FLOW: RebuildFrequency.YEARLY},
)


def experiment_spec(key: str, build=None):
    """``key``'s registered spec with this script's label, universe and (optionally) model builder."""
    spec = dataclasses.replace(get_spec(key), label=LABEL, universe=UNIVERSE_COL)
    return spec if build is None else dataclasses.replace(spec, build=build)


def r3_inputs(seed: int, n_stocks: int, macro_strength: float | None = None):
    """(FoldInputs, fold, ground truth of the test window, planted macro state by day) of the synthetic
    market of ``seed``: pinn_mticg's :func:`prepare_fold_inputs` (mticg reads the same batches but
    ignores ``batch.macro``), on train / valid / test days every 5 trading days."""
    t0 = time.perf_counter()
    cfg = SyntheticConfig(seed=seed, n_stocks=n_stocks)
    if macro_strength is not None:
        cfg = dataclasses.replace(cfg, macro_strength=macro_strength)
    src = SyntheticSource(cfg)
    cal = src.calendar()
    bars, industry_map = src.bars(cal[0], cal[-1]), src.industry_map()
    inputs = FactorInputs(bars, src.fundamentals(), None, industry_map, src.instruments())
    factor_table = compute_factors(inputs, list(dict.fromkeys(n for s in R3_SETS for n in FACTOR_SETS[s])))
    factor_table.attrs = {}
    adjacency, _ = build_adjacency(cal, industry_map, None, factor_table, R3_GRAPHS)
    labels = compute_labels(bars, names=("y_vwap10",))
    macro, _ = build_macro_state(src.macro(), cal)
    # scale (not centre: the state equation is not shift invariant) by the training-window std
    train_rows = (macro["date"] >= TRAIN[0]) & (macro["date"] <= TRAIN[1])
    scale = macro.loc[train_rows, list(MACRO_DRIVERS)].std()
    macro[list(MACRO_DRIVERS)] = macro[list(MACRO_DRIVERS)] / scale
    universe = factor_table[["date", "code"]].assign(**{UNIVERSE_COL: True})
    tables = ModelTables(factor_table, labels, universe, bars, industry_map, adjacency=adjacency, macro_series=macro)

    def days(lo, hi):
        return sample_days(cal[(cal >= lo) & (cal <= hi)], 5)

    test = days(*TEST)
    fold = Fold(str(test[0].date()), days(*TRAIN), days(*VALID), test)
    fold_inputs = prepare_fold_inputs(experiment_spec("pinn_mticg"), tables, fold)
    truth = src.ground_truth(pd.Timestamp(TEST[0]), pd.Timestamp(TEST[1]))
    state = pd.Series(src.market.macro.state, index=cal)  # the planted (latent) state, diagnostics only
    log.info(
        "seed %d: data in %.1fs (%d/%d/%d days)",
        seed,
        time.perf_counter() - t0,
        len(fold.train),
        len(fold.valid),
        len(fold.test),
    )
    return fold_inputs, fold, truth, state


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
    ap.add_argument(
        "--macro-strength",
        type=float,
        default=None,
        help="SyntheticConfig.macro_strength (default 0.0034); see planted_identifiability.py",
    )
    ap.add_argument(
        "--weight-ema",
        type=float,
        default=None,
        help="decay of the trainer's weight average (TrainConfig.weight_ema, e.g. 0.99), default off",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    torch.set_num_threads(args.threads)
    rows = []
    for seed in args.seeds:
        fold_inputs, fold, truth, planted = r3_inputs(seed, args.stocks, args.macro_strength)
        st = planted.reindex(fold.test).to_numpy()
        train_state_mean = float(planted.reindex(fold.train).mean())
        print(
            f"seed {seed}: planted macro state on test days: mean {st.mean():+.2f}, "
            f"share > 0 {np.mean(st > 0):.2f}; train state mean {train_state_mean:+.2f}",
            flush=True,
        )
        for name, pinn in (("mticg", False), ("pinn_mticg", True)):
            t0 = time.perf_counter()
            spec = experiment_spec(name, build=lambda _options, pinn=pinn: model(pinn, args.physics_weight))
            cfg = TrainConfig(
                lr=args.lr,
                max_epochs=args.epochs,
                patience=args.epochs,
                monitor=Monitor.RANK_IC,
                loss=LossKind.IC,
                weight_ema=args.weight_ema,
            )
            out = train_fold(spec, fold, fold_inputs, train_config=cfg, seed=seed)
            scores = out.test_scores
            row = {
                "seed": seed,
                "model": name,
                "best_epoch": int(out.valid_metrics["best_epoch"]),
                "train_s": time.perf_counter() - t0,
            }
            for part in ("mu_macro", "mu_total", "mu_factor", "mu_graph"):
                row[part] = ic_summary(oracle_ic(scores, truth, part))["mean"]
            # the macro part by regime: days whose planted state has the training window's sign
            # (an average tilt is right there) vs the opposite sign (only a model that reads u(t) can be)
            daily = oracle_ic(scores, truth, "mu_macro").set_index("date")["ic"]
            same = np.sign(planted.reindex(daily.index)) == np.sign(train_state_mean)
            row["mu_macro_same_regime"] = float(daily[same.to_numpy()].mean())
            row["mu_macro_flipped_regime"] = float(daily[~same.to_numpy()].mean())
            row["flipped_days"] = int((~same).sum())
            if pinn:
                m = model(pinn, args.physics_weight)
                m.load_state_dict(out.state_dict)
                m.eval()
                test_b = fold_batches(fold_inputs, fold.test, out.normalizer, labelled=False)
                with torch.no_grad():
                    u = np.array([float(m.macro_state(b)[0]) for b in test_b])
                # sign-free: u is latent, its sign is a gauge the fusion layer can absorb
                row["corr_u_state"] = float(np.corrcoef(u, planted.reindex([b.date for b in test_b]))[0, 1])
                row["abc"] = np.round(m.macro.coefficients.detach().numpy(), 3).tolist()
            rows.append(row)
            print({k: (round(v, 4) if isinstance(v, float) else v) for k, v in row.items()}, flush=True)
    df = pd.DataFrame(rows)
    print("\noracle rank IC on the test window (mean over test days), mean +- std over seeds")
    for part in ("mu_macro", "mu_macro_same_regime", "mu_macro_flipped_regime", "mu_total"):
        for name in ("mticg", "pinn_mticg"):
            v = df.loc[df["model"] == name, part]
            print(f"  {part:24s} {name:10s} {v.mean():+.4f} +- {v.std(ddof=1) if len(v) > 1 else float('nan'):.4f}")
        diff = df.loc[df["model"] == "pinn_mticg", part].to_numpy() - df.loc[df["model"] == "mticg", part].to_numpy()
        print(
            f"  {part:24s} difference pinn - mticg {diff.mean():+.4f} +- "
            f"{diff.std(ddof=1) if len(diff) > 1 else float('nan'):.4f} (per seed {np.round(diff, 4).tolist()})"
        )


if __name__ == "__main__":
    main()
