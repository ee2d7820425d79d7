"""Real-data evaluation of the R1 models and the CSI 300 enhancement backtest (issues 6 and 8).

Usage::

    .venv/bin/python experiments/realdata.py [--data /work/shared/data/cn_qlib]
        [--epochs 15] [--patience 5] [--lr 1e-3] [--step 2] [--folds N] [--models gat_residual,nn,xgboost]
        [--cache /tmp/realdata_cache] [--out experiments/realdata_results.md]

Pipeline (library calls only, the same ones the Dagster assets make):

1. ``open_source(data)`` -> bars, instruments, industry_map, index_levels, index_weights,
   fundamentals, consensus; ``compute_factor_sets`` (R1 + XGB sets) -> factor_table;
   ``compute_labels`` -> labels; ``build_universe`` -> universe (training universe: ``in_csi300``,
   the shared data holds CSI 300 members only).
2. Walk-forward folds of the PAPER plan (tests from 2018), ``train_fold`` per (fold, model),
   ``stitch_signals``, ``evaluate_signal`` (label y_vwap10, ret y_vwap5, step 5).
3. R1 preset enhancement vs SH000300 (``optimize_portfolios`` + ``run_backtest``) for
   gat_residual and xgboost, their 60-day blend (``blend_daily``); ``compare_strategies``.
4. Markdown tables printed and written to ``--out``.

Stage outputs are cached under ``--cache`` (factor table, per-fold scores + fold log) so a rerun
resumes; the cache key holds model, fold, epochs, patience, step and seed (not lr: clear the cache
when changing it).

Model names: any registry key, or ``<key>_capfill`` (e.g. ``xgboost_capfill``): the same model
with neutralisation exposures from :func:`cap_fill` bars (the source has no market cap after
2021-01). The backtests run twice: with the source's CSI 300 weights and caps as they are, and
with weights / styles from cap-filled bars (:func:`cap_weights`).

The results in experiments/realdata_results.md came from::

    .venv/bin/python experiments/realdata.py \
        --models gat_residual,gat_mask,gat_global,nn,nn_neutral,xgboost,xgboost_capfill
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from score_cache import atomic_parquet, locked

from alpha_core.backtest.engine import BacktestConfig, bars_panel, benchmark_returns, run_backtest
from alpha_core.data.registry import open_source
from alpha_core.factors import FactorInputs
from alpha_core.factors.registry import FACTOR_SETS, FactorSet, compute_factors
from alpha_core.folds import FoldPlan, plan_folds
from alpha_core.graph.edges import GraphKind
from alpha_core.labels import compute_labels
from alpha_core.metrics.performance import compare_strategies, performance_table
from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal
from alpha_core.portfolio.blend import blend_daily, excess_correlation
from alpha_core.portfolio.enhance import optimize_portfolios, style_frame
from alpha_core.portfolio.presets import BP, PRESETS, PresetName
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs, sampled_fold
from alpha_core.training.signals import stitch_signals
from alpha_core.training.specs import get_spec
from alpha_core.training.trainer import TrainConfig
from alpha_core.training.walkforward import train_fold
from alpha_core.universe import build_universe

log = logging.getLogger("realdata")
BENCH = "SH000300"
UNIVERSE_COL = "in_csi300"
CAPFILL = "_capfill"  # model-name suffix: neutralisation exposures from cap-filled bars (see cap_fill)


def _opt(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return df if df is not None and len(df) else None


def md_table(df: pd.DataFrame, floatfmt: str = "{:.4f}") -> str:
    cols = [df.index.name or ""] + [str(c) for c in df.columns]
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for idx, row in df.iterrows():
        cells = [str(idx)]
        for v in row:
            if isinstance(v, (float, np.floating)):
                cells.append(floatfmt.format(v) if np.isfinite(v) else "nan")
            else:
                cells.append(str(v))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def load_inputs(data: str, cache: Path) -> dict[str, pd.DataFrame]:
    """Source tables + factor_table / labels / universe (cached as parquet)."""
    src = open_source(data)
    cal = src.calendar()
    start, end = cal[0], cal[-1]
    t0 = time.perf_counter()
    bars = src.bars(start, end)
    instruments = src.instruments()
    industry_map = src.industry_map()
    index_levels = src.index_levels(start, end)
    index_weights = src.index_weights(start, end)
    fundamentals = src.fundamentals() if "fundamentals" in src.available_tables() else None
    consensus = src.consensus(start, end) if "consensus" in src.available_tables() else None
    log.info(
        "source loaded in %.1fs: %d bar rows, %d codes, %d index weight rows",
        time.perf_counter() - t0,
        len(bars),
        bars["code"].nunique(),
        len(index_weights),
    )
    out = dict(
        bars=bars,
        instruments=instruments,
        industry_map=industry_map,
        index_levels=index_levels,
        index_weights=index_weights,
    )
    derived = {"factor_table": None, "labels": None, "universe": None}
    if all((cache / f"{k}.parquet").exists() for k in derived):
        for k in derived:
            out[k] = pd.read_parquet(cache / f"{k}.parquet")
        log.info("factor_table / labels / universe read from cache %s", cache)
        return out
    t0 = time.perf_counter()
    inputs = FactorInputs(bars, _opt(fundamentals), _opt(consensus), _opt(industry_map), _opt(instruments))
    # one table of the sets' union, as the factor_table asset computes its factor_sets
    ft = compute_factors(inputs, list(dict.fromkeys(n for s in (FactorSet.R1, FactorSet.XGB) for n in FACTOR_SETS[s])))
    absent = dict(ft.attrs.get("absent", {}))
    ft.attrs = {}
    log.info(
        "factors in %.1fs: %d rows, %d factors; absent: %s",
        time.perf_counter() - t0,
        len(ft),
        len(ft.columns) - 2,
        sorted(absent),
    )
    t0 = time.perf_counter()
    labels = compute_labels(bars)
    universe = build_universe(bars, _opt(instruments), _opt(index_weights))
    log.info("labels + universe in %.1fs", time.perf_counter() - t0)
    cache.mkdir(parents=True, exist_ok=True)
    for k, v in (("factor_table", ft), ("labels", labels), ("universe", universe)):
        v.to_parquet(cache / f"{k}.parquet")
        out[k] = v
    pd.Series(absent, dtype=object).to_frame("reason").to_csv(cache / "absent_factors.csv")
    return out


def cap_fill(bars: pd.DataFrame) -> pd.DataFrame:
    """Bars with total_mcap / float_mcap carried forward causally where the source leaves them NaN.

    The Qlib source carries month-end shares only to the end of the next month, so caps are
    NaN before 2016 and after 2021-01. Here: k_t = last known (mcap / adjusted close) of the
    stock at or before t; mcap_t = k_t * adjusted close_t (share count fixed since the last
    known cap, corporate actions through the adjustment factor). Uses no future data.
    """
    out = bars.copy()
    # adjusted close: a split / bonus issue changes the share count but not the adjusted price
    close = (out["close"] * out["adj_factor"]).to_numpy(dtype=np.float64, na_value=np.nan)
    order = np.lexsort((out["date"].to_numpy(), out["code"].to_numpy()))  # by code, then date
    for col in ("total_mcap", "float_mcap"):
        cap = out[col].to_numpy(dtype=np.float64, na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            shares = np.where(close > 0, cap / close, np.nan)
        s = pd.Series(shares[order])
        filled = s.groupby(out["code"].to_numpy()[order]).ffill().to_numpy()
        back = np.empty_like(filled)
        back[order] = filled
        out[col] = np.where(np.isfinite(cap), cap, back * close)
    return out


def cap_weights(index_weights: pd.DataFrame, bars: pd.DataFrame) -> pd.DataFrame:
    """Same members as ``index_weights``, weight = total_mcap share from cap-filled ``bars``
    (members with an unknown cap get the day's median cap, like the source)."""
    m = index_weights.drop(columns="weight").merge(
        bars[["date", "code", "total_mcap"]], on=["date", "code"], how="left"
    )
    med = m.groupby("date")["total_mcap"].transform("median")
    cap = m["total_mcap"].fillna(med).fillna(1.0)
    m["weight"] = cap / cap.groupby(m["date"]).transform("sum")
    return m[list(index_weights.columns)]


def train_models(
    d: dict[str, pd.DataFrame],
    models: list[str],
    cfg: TrainConfig,
    step: int,
    max_folds: int | None,
    cache: Path,
    seed: int,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Train each model on each fold (cached per fold); returns stitched signals per model and a fold log.

    Inputs: :func:`prepare_fold_inputs` (the ``model_checkpoint`` asset's), whose neutralisation
    exposures come from the tables' raw bars: the cap-filled ones for a ``<key>_capfill`` model.
    """
    ft, labels, universe = d["factor_table"], d["labels"], d["universe"]
    calendar = pd.DatetimeIndex(sorted(ft["date"].unique()))
    signals, rows = {}, []
    for model in models:
        capfill = model.endswith(CAPFILL)
        spec = dataclasses.replace(get_spec(model.removesuffix(CAPFILL)), universe=UNIVERSE_COL)
        folds = plan_folds(calendar, FoldPlan.PAPER.config, spec.folds)
        if max_folds:
            folds = folds[:max_folds]
        bars = d["bars_capfill"] if capfill else d["bars"]
        inputs = prepare_fold_inputs(spec, ModelTables(ft, labels, universe, bars, d["industry_map"]))
        by_fold = {}
        for fold in folds:
            path = (
                cache
                / f"scores_{model}_{fold.fold_id}_e{cfg.max_epochs}_p{cfg.patience}_s{step}{f'_seed{seed}' if seed else ''}.parquet"
            )
            meta = path.with_suffix(".json")
            with locked(path.with_suffix(".lock")):  # the second of two parallel runs reads the first's scores
                if path.exists():
                    by_fold[fold.fold_id] = pd.read_parquet(path)
                    if meta.exists():
                        rows.append({**json.loads(meta.read_text()), "cached": True})
                    log.info("%s fold %s: cached", model, fold.fold_id)
                    continue
                f = sampled_fold(spec, fold, step)  # torch keys: every step-th train day; xgboost: all
                out = train_fold(spec, f, inputs, hidden=64, graph=GraphKind.SECTOR, train_config=cfg, seed=seed)
                m = out.valid_metrics
                rows.append(
                    {
                        "model": model,
                        "fold": fold.fold_id,
                        "train": f"{f.train[0].date()}..{f.train[-1].date()}",
                        "train_days": len(f.train),
                        "epochs": int(m.get("epochs_run", 0)),
                        "best_epoch": int(m.get("best_epoch", 0)),
                        "valid_rank_ic": float(m.get("valid_rank_ic", np.nan)),
                        "wall_s": out.wall_s,
                    }
                )
                log.info("%s fold %s: %s", model, fold.fold_id, rows[-1])
                meta.write_text(json.dumps(rows[-1]))
                atomic_parquet(out.test_scores, path)  # a reader never sees half a score file
                by_fold[fold.fold_id] = out.test_scores
        signals[model] = stitch_signals(by_fold, folds, model)
    return signals, pd.DataFrame(rows)


def evaluate(signals: dict[str, pd.DataFrame], labels: pd.DataFrame) -> dict[str, pd.DataFrame]:
    out = {}
    for model, sig in signals.items():
        frame = sig[["date", "code", "score"]].merge(
            labels[["date", "code", "y_vwap10", "y_vwap5"]], on=["date", "code"], how="inner"
        )
        out[model] = evaluate_signal(frame, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=5))
    return out


def backtests(
    d: dict[str, pd.DataFrame], signals: dict[str, pd.DataFrame], *, capfill: bool, pairs: list[tuple[str, str]]
) -> tuple[dict[str, pd.DataFrame], dict]:
    """R1-preset enhancement backtests of ``pairs``' models and their 60-day blends.

    ``capfill``: style exposures and benchmark weights from cap-filled bars (:func:`cap_fill`);
    False: the source's bars and CSI 300 weights as they are.
    """
    preset = PRESETS[PresetName.R1]
    bars = d["bars_capfill"] if capfill else d["bars"]
    weights = cap_weights(d["index_weights"], bars) if capfill else d["index_weights"]
    panel = bars_panel(d["bars"])
    styles = style_frame(bars, d["factor_table"][["date", "code", BP]] if BP in d["factor_table"] else None)
    adj_close = pd.DataFrame(panel["close"] * panel["adj_factor"], index=panel.dates, columns=panel.codes).ffill()
    bench = benchmark_returns(d["index_levels"], BENCH, panel.dates)
    dailies, info = {}, {}
    for model in dict.fromkeys(m for pair in pairs for m in pair):
        if model not in signals:
            continue
        t0 = time.perf_counter()
        sig = signals[model]
        res = optimize_portfolios(
            sig[["date", "code", "score"]],
            weights,
            d["industry_map"],
            preset,
            styles=styles,
            adj_close=adj_close,
            index_code=BENCH,
        )
        bt = run_backtest(
            panel,
            res.weights[["date", "code", "weight"]],
            BacktestConfig(costs=preset.costs, fill=preset.fill, lag=1),
            bench_ret=bench,
        )
        # the test period only: from the first execution day to the last signal date
        first, last = sig["date"].min(), sig["date"].max()
        daily = bt.daily[(bt.daily["date"] > first) & (bt.daily["date"] <= last)].reset_index(drop=True)
        dailies[model] = daily
        st = res.log["status"].value_counts().to_dict()
        info[model] = {
            "rebalances": len(res.log),
            "status": st,
            "median_solve_s": round(float(res.log["seconds"].median()), 4),
            "rebalances_with_locked": int((bt.trades["n_locked"] > 0).sum()),
            "mean_holdings": round(float(daily["n_holdings"].mean()), 1),
            "wall_s": round(time.perf_counter() - t0, 1),
            "relaxed": [f"{r.date.date()}: {r.relaxed}" for r in res.log[res.log["status"] != "optimal"].itertuples()],
        }
        log.info("backtest %s (capfill=%s): %s", model, capfill, info[model])
    for a_key, b_key in pairs:
        if a_key in dailies and b_key in dailies:
            a, b = dailies[a_key], dailies[b_key]
            name = f"blend_60d({a_key}+{b_key})"
            dailies[name] = blend_daily(a, b, every=60)
            info[f"excess_correlation({a_key},{b_key})"] = round(excess_correlation(a, b), 4)
    return dailies, info


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/work/shared/data/cn_qlib")
    p.add_argument("--models", default="gat_residual,nn,xgboost")
    p.add_argument("--epochs", type=int, default=15)
    p.add_argument("--patience", type=int, default=5)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--step", type=int, default=2, help="train on every k-th train day (torch models)")
    p.add_argument("--folds", type=int, default=None, help="only the first N folds")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--cache", default="/tmp/realdata_cache")
    p.add_argument("--out", default=str(Path(__file__).with_name("realdata_results.md")))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    torch.set_num_threads(1)
    cache = Path(args.cache)
    t_all = time.perf_counter()
    d = load_inputs(args.data, cache)
    d["bars_capfill"] = cap_fill(d["bars"])
    t_data = time.perf_counter() - t_all
    u = d["universe"]
    n_members = u.groupby("date")[UNIVERSE_COL].sum()
    ind = d["industry_map"]
    cfg = TrainConfig(lr=args.lr, max_epochs=args.epochs, patience=args.patience, num_threads=1)
    t0 = time.perf_counter()
    signals, fold_log = train_models(d, args.models.split(","), cfg, args.step, args.folds, cache, args.seed)
    t_train = time.perf_counter() - t0
    evals = evaluate(signals, d["labels"])
    t0 = time.perf_counter()
    pairs = [("gat_residual", m) for m in signals if m.startswith("xgboost")]
    variants = {
        "source weights and caps as they are": backtests(d, signals, capfill=False, pairs=pairs),
        "cap-filled bars (weights, styles)": backtests(d, signals, capfill=True, pairs=pairs),
    }
    t_bt = time.perf_counter() - t0
    wall = time.perf_counter() - t_all

    cmd = "cd /work/main && .venv/bin/python experiments/realdata.py " + " ".join(
        argv if argv is not None else sys.argv[1:]
    )
    parts = [
        "# Real-data results (cn_qlib CSI 300, R1 models)",
        "",
        f"Command: `{cmd}`  ",
        f"Machine: {platform.machine()} {os.cpu_count()} cores (shared with other jobs: "
        "timings pessimistic), torch threads 1.  ",
        f"Wall time: {wall / 60:.1f} min (data+factors {t_data:.0f}s, training {t_train:.0f}s, "
        f"portfolio+backtest {t_bt:.0f}s; cached stages are not re-timed).",
        "",
        "## Setup",
        "",
        f"- Universe: `{UNIVERSE_COL}` (CSI 300 members with a bar that day): mean {n_members[n_members > 0].mean():.0f} "
        f"stocks/day.",
        f"- Training: `TrainConfig(lr={args.lr}, max_epochs={args.epochs}, patience={args.patience})`, "
        f"torch models train on every {args.step}-th day of the train window; hidden 64, sector graph, seed {args.seed}. "
        "XGBoost: default `XGBConfig` (lr 0.05, <=1000 rounds, early stop 20, depth 3, subsample 0.8) on all train days.",
        "- Folds: `plan_folds(calendar, FoldPlan.PAPER.config, spec.folds)`"
        + (f", first {args.folds} only" if args.folds else "")
        + "; torch: train 252x6, valid 252x2; "
        "xgboost: train 252x5, valid 252x1; test 126, purge 10.",
        f"- Industry map rows: {len(ind)}, years {sorted(pd.to_datetime(ind['start_date']).dt.year.unique().tolist()) if len(ind) else []}; "
        "stocks without a sector on a day are isolated nodes in the sector graph.",
        "- Benchmark SH000300 (index levels); benchmark weights: reconstructed by the Qlib source "
        "(instruments/csi300.txt spans x stocks with a bar that day, weight = total_mcap share; median cap "
        "for unknown caps; equal weight on days with no cap known).",
        "",
    ]
    if len(fold_log):
        parts += [
            "## Folds (wall_s measured when the fold was trained; cached = read back)",
            "",
            md_table(fold_log.set_index("model"), "{:.3f}"),
            "",
        ]
    cols = [
        "n_dates",
        "ic",
        "rank_ic",
        "weighted_rank_ic",
        "ic_ir",
        "rank_ic_ir",
        "weighted_rank_ic_ir",
        "top_precision",
        "long_short_ann",
    ]
    if evals:
        summary = pd.DataFrame({m: t["rank_ic"] for m, t in evals.items()}).rename_axis("period")
        wsum = pd.DataFrame({m: t["weighted_rank_ic"] for m, t in evals.items()}).rename_axis("period")
        parts += [
            "## RankIC by year (y_vwap10, every 5 days)",
            "",
            md_table(summary),
            "",
            "## Weighted RankIC by year",
            "",
            md_table(wsum),
            "",
        ]
    for model, table in evals.items():
        keep = [c for c in cols if c in table.columns]
        parts += [
            f"## Signal evaluation: {model} (label y_vwap10, ret y_vwap5, every 5 days)",
            "",
            md_table(table[keep]),
            "",
        ]
    for title, (dailies, info) in variants.items():
        if not dailies:
            continue
        comp = compare_strategies(dailies)
        parts += [f"## CSI 300 enhancement (R1 preset) vs SH000300, test period; {title}", "", md_table(comp), ""]
        for name, daily in dailies.items():
            pt = performance_table(daily)
            keep = [
                c
                for c in (
                    "annual_return",
                    "annual_excess_return",
                    "tracking_error",
                    "information_ratio",
                    "excess_max_drawdown",
                    "annual_turnover",
                )
                if c in pt.columns
            ]
            parts += [f"### {name} per year ({title})", "", md_table(pt[keep]), ""]
        parts += [f"### Optimiser / backtest notes ({title})", ""]
        for k, v in info.items():
            parts.append(f"- {k}: {v}")
        parts.append("")
    text = "\n".join(parts)
    Path(args.out).write_text(text)
    log.info("wrote %s", args.out)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
