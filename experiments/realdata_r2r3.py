"""Real-data evaluation of the R2 / R3 models (issue 7), next to the R1 table of realdata.py.

Usage::

    .venv/bin/python experiments/realdata_r2r3.py [--data /work/shared/data/cn_qlib]
        [--models biagru,biagru_xgb,biagru_gat,multi_transformer,indcap_gat,mticg,pinn_mticg]
        [--epochs 8] [--patience 3] [--lr 1e-3] [--hidden 32] [--train-step-r2 5] [--train-step-r3 5] [--max-folds N]
        [--base-cache /tmp/realdata_cache] [--cache /tmp/realdata_r2r3_cache]
        [--out experiments/realdata_results.md]

Pipeline (library calls only, the same ones the Dagster assets make):

1. ``realdata.load_inputs`` (cached under ``--base-cache``, shared with realdata.py):
   bars, instruments, industry_map, factor_table (R1 + XGB sets: carries the 13
   ``R2_FUNDAMENTAL_FACTORS``), labels (incl. ``y_vwap5_rank`` / ``y_month_rank``) and
   universe (training universe ``in_csi300``: the shared data holds CSI 300 members only).
2. The R3 factor sets (``compute_factors`` on R3_TS, R3_NODE, R3_EDGE, R3_FLOW, as the
   ``factor_table`` asset computes its ``factor_sets``) merged into factor_table; ``adjacency``
   graphs ``r2_similarity`` (quarterly kNN on fundamentals), ``r3_industry`` / ``r3_flow``
   (monthly, 80-day correlations, threshold 0.5): ``build_adjacency`` with the ``adjacency``
   asset's defaults;
   ``macro_series`` (``build_macro_state``, forward fill with flag). All cached under ``--cache``.
3. Per model: ``schedule_folds(calendar, spec.inputs.schedule)`` (folds whose test year
   is inside the calendar), ``sampled_fold`` (the schedule's 5-day sampling; ``--train-step-r2/-r3``
   thin the train days further, as the asset's ``train_day_step``), ``prepare_fold_inputs``
   with ``ModelTables``, ``train_fold``; per-(model, fold) scores cached so a rerun resumes.
4. ``stitch_signals`` then ``evaluate_signal`` (label y_vwap10, ret y_vwap5, every 5 days, as
   the R1 table) and, for the R3 models, RankIC against their own label ``y_month`` on
   month-end days (their rebalance days).

The cache key holds model, fold, epochs, patience, train step, hidden, lr and seed.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
from realdata import UNIVERSE_COL, load_inputs, md_table  # noqa: E402
from realdata import train_models as train_r1_models  # noqa: E402

from alpha_core.data.registry import open_source  # noqa: E402
from alpha_core.factors import FactorInputs  # noqa: E402
from alpha_core.factors.registry import FACTOR_SETS, FactorSet, compute_factors  # noqa: E402
from alpha_core.graph.build import AdjacencyBuildConfig, build_adjacency  # noqa: E402
from alpha_core.graph.edges import GraphKind  # noqa: E402
from alpha_core.macro.state import MacroStateConfig, build_macro_state  # noqa: E402
from alpha_core.metrics.signal import SignalEvalConfig, evaluate_signal  # noqa: E402
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs, sampled_fold  # noqa: E402
from alpha_core.training.schedules import Rebalance, rebalance_days, schedule_folds  # noqa: E402
from alpha_core.training.signals import stitch_signals  # noqa: E402
from alpha_core.training.specs import FeatureSet, get_spec  # noqa: E402
from alpha_core.training.trainer import TrainConfig  # noqa: E402
from alpha_core.training.walkforward import train_fold  # noqa: E402

log = logging.getLogger("realdata_r2r3")
MODELS = "biagru,biagru_xgb,biagru_gat,multi_transformer,indcap_gat,mticg,pinn_mticg"
R3_SETS = [FactorSet.R3_TS, FactorSet.R3_NODE, FactorSet.R3_EDGE, FactorSet.R3_FLOW]
# the adjacency asset's graphs that the R2 / R3 models read, with the asset's defaults
R2R3_GRAPHS = AdjacencyBuildConfig(graphs=(GraphKind.R2_SIMILARITY, GraphKind.R3_INDUSTRY, GraphKind.R3_FLOW))
START, END = "<!-- realdata_r2r3 start -->", "<!-- realdata_r2r3 end -->"


def _opt(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return df if df is not None and len(df) else None


def r2r3_tables(d: dict[str, pd.DataFrame], data: str, cache: Path) -> dict[str, pd.DataFrame]:
    """factor_table with the R3 sets merged in, ``adjacency`` and ``macro_series`` (cached)."""
    cache.mkdir(parents=True, exist_ok=True)
    src = open_source(data)
    calendar = src.calendar()
    have = src.available_tables()
    fundamentals = src.fundamentals() if "fundamentals" in have else pd.DataFrame()
    out = {}
    path = cache / "r3_factors.parquet"
    if path.exists():
        r3 = pd.read_parquet(path)
        log.info("R3 factors read from cache %s", path)
    else:
        t0 = time.perf_counter()
        consensus = src.consensus(calendar[0], calendar[-1]) if "consensus" in have else None
        inputs = FactorInputs(
            d["bars"], _opt(fundamentals), _opt(consensus), _opt(d["industry_map"]), _opt(d["instruments"])
        )
        # one table of the sets' union, as the factor_table asset computes its factor_sets
        r3 = compute_factors(inputs, list(dict.fromkeys(n for s in R3_SETS for n in FACTOR_SETS[s])))
        absent = dict(r3.attrs.get("absent", {}))
        r3.attrs = {}
        log.info(
            "R3 factors in %.1fs: %d rows, %d columns; absent: %s",
            time.perf_counter() - t0,
            len(r3),
            len(r3.columns) - 2,
            absent,
        )
        r3.to_parquet(path)
        pd.Series(absent, dtype=object).to_frame("reason").to_csv(cache / "r3_absent_factors.csv")
    ft = d["factor_table"]
    new = [c for c in r3.columns if c not in ft.columns and c not in ("date", "code")]
    out["factor_table"] = ft.merge(r3[["date", "code", *new]], on=["date", "code"], how="outer")
    path = cache / "adjacency.parquet"
    if path.exists():
        out["adjacency"] = pd.read_parquet(path)
        log.info("adjacency read from cache %s", path)
    else:
        t0 = time.perf_counter()
        edges, skipped = build_adjacency(calendar, d["industry_map"], fundamentals, out["factor_table"], R2R3_GRAPHS)
        for kind, why in skipped.items():
            log.warning("adjacency: graph %s not built: %s", kind, why)
        log.info("adjacency in %.1fs: %s", time.perf_counter() - t0, edges.groupby("graph").size().to_dict())
        edges.to_parquet(path)
        out["adjacency"] = edges
    path = cache / "macro_series.parquet"
    if path.exists():
        out["macro_series"] = pd.read_parquet(path)
    elif "macro" in have:
        table, summary = build_macro_state(src.macro(), calendar, MacroStateConfig())
        log.info("macro_series: %s", json.dumps(summary, default=str)[:2000])
        table.to_parquet(path)
        (cache / "macro_summary.json").write_text(json.dumps(summary, default=str, indent=1))
        out["macro_series"] = table
    else:
        out["macro_series"] = None
    return out


def _family(spec) -> str:
    return "R2" if spec.feature_set is FeatureSet.R2 else "R3"


def fold_row(model: str, fold, sampled, out, cached: bool = False) -> dict:
    m = out.valid_metrics
    row = {
        "model": model,
        "fold": fold.fold_id,
        "test_year": int(fold.test[0].year),
        "train": f"{fold.train[0].date()}..{fold.train[-1].date()}",
        "valid": f"{fold.valid[0].date()}..{fold.valid[-1].date()}",
        "train_days": len(sampled.train),
        "valid_days": len(sampled.valid),
        "test_days": len(sampled.test),
        "epochs": int(m.get("epochs_run", 0)),
        "best_epoch": int(m.get("best_epoch", 0)),
        "valid_rank_ic": float(m.get("valid_rank_ic", np.nan)),
        "wall_s": round(float(out.wall_s), 1),
    }
    if "stage2_best_epoch" in m:
        row["stage2_best_round"] = int(m["stage2_best_epoch"])
    return row


def train_models(
    models: list[str],
    tables: ModelTables,
    calendar: pd.DatetimeIndex,
    cfg: TrainConfig,
    *,
    hidden: int,
    steps: dict[str, int],
    seed: int,
    max_folds: int | None,
    cache: Path,
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, list[int]]]:
    signals, rows, years = {}, [], {}
    for model in models:
        spec = dataclasses.replace(get_spec(model), universe=UNIVERSE_COL)
        step = steps[_family(spec)]
        schedule = spec.inputs.schedule
        # one fold per calendar year with enough history; test windows never run past the calendar
        folds = schedule_folds(calendar, schedule)
        if max_folds:
            folds = folds[:max_folds]
        years[model] = [int(f.test[0].year) for f in folds]
        log.info("%s: schedule %s, %d folds, test years %s", model, schedule.name, len(folds), years[model])
        t = dataclasses.replace(
            tables,
            adjacency=tables.adjacency if spec.inputs.needs_adjacency else None,
            macro_series=tables.macro_series if spec.inputs.needs_macro else None,
        )
        by_fold = {}
        for fold in folds:
            key = f"{model}_{fold.fold_id}_e{cfg.max_epochs}_p{cfg.patience}_s{step}_h{hidden}_lr{cfg.lr:g}_seed{seed}"
            path, meta = cache / f"scores_{key}.parquet", cache / f"scores_{key}.json"
            if path.exists() and meta.exists():
                by_fold[fold.fold_id] = pd.read_parquet(path)
                rows.append({**json.loads(meta.read_text()), "cached": True})
                log.info("%s fold %s: cached", model, fold.fold_id)
                continue
            sampled = sampled_fold(spec, fold, step)
            t0 = time.perf_counter()
            inputs = prepare_fold_inputs(spec, t, sampled)
            t_prep = time.perf_counter() - t0

            def progress(r, model=model, fold=fold) -> None:
                log.info(
                    "%s %s epoch %d: train %.5f valid %.5f RankIC %.4f (best epoch %d)",
                    model,
                    fold.fold_id,
                    r.epoch,
                    r.train_loss,
                    r.valid_loss,
                    r.valid_rank_ic,
                    r.best_epoch,
                )

            out = train_fold(spec, sampled, inputs, hidden=hidden, train_config=cfg, seed=seed, callback=progress)
            row = {**fold_row(model, fold, sampled, out), "prep_s": round(t_prep, 1)}
            rows.append(row)
            log.info("%s fold %s: %s", model, fold.fold_id, row)
            out.test_scores.to_parquet(path)
            meta.write_text(json.dumps(row))
            by_fold[fold.fold_id] = out.test_scores
        signals[model] = stitch_signals(by_fold, folds, model)
    return signals, pd.DataFrame(rows), years


def evaluate(
    signals: dict[str, pd.DataFrame], labels: pd.DataFrame
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    """(R1-style evaluation per model, R3 own-label month-end evaluation per R3 model)."""
    weekly, monthly = {}, {}
    for model, sig in signals.items():
        frame = sig[["date", "code", "score"]].merge(
            labels[["date", "code", "y_vwap10", "y_vwap5", "y_month"]], on=["date", "code"], how="inner"
        )
        weekly[model] = evaluate_signal(frame, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=5))
        schedule = get_spec(model).inputs.schedule
        if schedule.rebalance == Rebalance.MONTH_END:
            ends = rebalance_days(pd.DatetimeIndex(np.sort(frame["date"].unique())), schedule)
            m = frame[frame["date"].isin(ends)]
            monthly[model] = evaluate_signal(
                m, label="y_month", ret="y_month", config=SignalEvalConfig(step=1, periods_per_year=12.0)
            )
    return weekly, monthly


def r1_reference(
    d: dict[str, pd.DataFrame], models: list[str], base_cache: Path, years: dict[str, list[int]]
) -> dict[str, pd.DataFrame]:
    """realdata.py's R1 signals (from its cache, as run for RESULTS.md: 15 epochs, patience 5,
    every 2nd train day) evaluated the same way, over all their test days and over the R3 test years."""
    if not models:
        return {}
    cached = list(base_cache.glob("scores_*_e15_p5_s2.parquet"))
    missing = [m for m in models if not any(p.name.startswith(f"scores_{m}_") for p in cached)]
    if missing:
        log.warning("R1 reference: no cached scores for %s in %s; left out", missing, base_cache)
        models = [m for m in models if m not in missing]
    cfg = TrainConfig(lr=1e-3, max_epochs=15, patience=5, num_threads=1)
    signals, _ = train_r1_models(d, models, cfg, 2, None, base_cache, 0)
    r3_years = sorted({y for ys in years.values() for y in ys if y >= 2019})
    out = {}
    for model, sig in signals.items():
        frame = sig[["date", "code", "score"]].merge(
            d["labels"][["date", "code", "y_vwap10", "y_vwap5"]], on=["date", "code"], how="inner"
        )
        out[model] = evaluate_signal(frame, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=5))
        if r3_years:
            sub = frame[frame["date"].dt.year >= r3_years[0]]
            out[f"{model} ({r3_years[0]}-{r3_years[-1]})"] = evaluate_signal(
                sub, label="y_vwap10", ret="y_vwap5", config=SignalEvalConfig(step=5)
            )
    return out


def write_section(path: Path, text: str) -> None:
    """Replace this script's section of ``path`` (between the markers) or append it."""
    old = path.read_text() if path.exists() else ""
    block = f"{START}\n{text}\n{END}\n"
    if START in old and END in old:
        head, _, rest = old.partition(START)
        _, _, tail = rest.partition(END)
        new = head + block + tail.lstrip("\n")
    else:
        new = old.rstrip("\n") + "\n\n" + block
    path.write_text(new)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default="/work/shared/data/cn_qlib")
    p.add_argument("--models", default=MODELS)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--patience", type=int, default=3)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--hidden", type=int, default=32)
    p.add_argument(
        "--train-step-r2",
        type=int,
        default=5,
        help="R2 models train on every k-th train day (the schedule samples every 5: max(5, k))",
    )
    p.add_argument("--train-step-r3", type=int, default=5, help="the same for the R3 models")
    p.add_argument("--max-folds", type=int, default=None, help="only the first N folds per model")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--base-cache", default="/tmp/realdata_cache", help="realdata.py's cache (R1 tables)")
    p.add_argument("--cache", default="/tmp/realdata_r2r3_cache")
    p.add_argument(
        "--r1-compare",
        default="gat_residual,nn",
        help="R1 models whose cached realdata.py scores (--base-cache, 15 epochs, patience 5, "
        "step 2) are evaluated over the same years; '' = none",
    )
    p.add_argument("--out", default=str(Path(__file__).with_name("realdata_results.md")))
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    torch.set_num_threads(1)
    cache = Path(args.cache)
    t_all = time.perf_counter()
    d = load_inputs(args.data, Path(args.base_cache))
    extra = r2r3_tables(d, args.data, cache)
    t_data = time.perf_counter() - t_all
    calendar = open_source(args.data).calendar()
    tables = ModelTables(
        extra["factor_table"],
        d["labels"],
        d["universe"],
        d["bars"],
        d["industry_map"],
        adjacency=extra["adjacency"],
        macro_series=extra["macro_series"],
    )
    cfg = TrainConfig(lr=args.lr, max_epochs=args.epochs, patience=args.patience, num_threads=1)
    models = args.models.split(",")
    t0 = time.perf_counter()
    signals, fold_log, years = train_models(
        models,
        tables,
        calendar,
        cfg,
        hidden=args.hidden,
        steps={"R2": args.train_step_r2, "R3": args.train_step_r3},
        seed=args.seed,
        max_folds=args.max_folds,
        cache=cache,
    )
    t_train = time.perf_counter() - t0
    weekly, monthly = evaluate(signals, d["labels"])
    r1 = r1_reference(d, [m for m in args.r1_compare.split(",") if m], Path(args.base_cache), years)
    wall = time.perf_counter() - t_all

    rows = {}
    for model in models:
        spec = get_spec(model)
        a = weekly[model].loc["all"]
        r = {
            "family": _family(spec),
            "test_years": f"{min(years[model])}-{max(years[model])}" if years[model] else "",
            "folds": len(years[model]),
            "ic": a["ic"],
            "rank_ic": a["rank_ic"],
            "weighted_rank_ic": a["weighted_rank_ic"],
            "rank_ic_ir": a["rank_ic_ir"],
            "top_decile_ann": a["group_10_ann"],
            "universe_ann": a["universe_ann"],
            "long_short_ann": a["long_short_ann"],
        }
        if model in monthly:
            mm = monthly[model].loc["all"]
            r.update(
                month_end_rank_ic_y_month=mm["rank_ic"],
                month_end_rank_ic_ir=mm["rank_ic_ir"],
                month_ends=int(mm["n_dates"]),
            )
        rows[model] = r
    for name, table in r1.items():
        a = table.loc["all"]
        first, last = [p for p in table.index if p != "all"][0], [p for p in table.index if p != "all"][-1]
        rows[f"R1 ref: {name}"] = {
            "family": "R1",
            "test_years": f"{first}-{last}",
            "folds": np.nan,
            "ic": a["ic"],
            "rank_ic": a["rank_ic"],
            "weighted_rank_ic": a["weighted_rank_ic"],
            "rank_ic_ir": a["rank_ic_ir"],
            "top_decile_ann": a["group_10_ann"],
            "universe_ann": a["universe_ann"],
            "long_short_ann": a["long_short_ann"],
        }
    summary = pd.DataFrame.from_dict(rows, orient="index").rename_axis("model")
    fl = fold_log
    wall_by_model = fl.groupby("model")["wall_s"].sum() if len(fl) else pd.Series(dtype=float)
    summary["train_wall_s"] = [float(wall_by_model.get(m, np.nan)) for m in summary.index]
    for c in ("folds", "month_ends"):  # counts: integers, blank where not applicable
        if c in summary:
            summary[c] = [str(int(v)) if np.isfinite(v) else "" for v in summary[c].astype(float)]
    fold_wall = float(fl["wall_s"].sum()) if len(fl) else 0.0

    cmd = ".venv/bin/python experiments/realdata_r2r3.py " + " ".join(argv if argv is not None else sys.argv[1:])
    parts = [
        "# Real-data results: R2 / R3 models (cn_qlib CSI 300; realdata_r2r3.py)",
        "",
        f"Command: `{cmd.strip()}`  ",
        f"Machine: {platform.machine()} {os.cpu_count()} cores, shared with another long job (timings "
        "pessimistic), torch threads 1.  ",
        f"Wall time of this invocation: {wall / 60:.1f} min (data+tables {t_data:.0f}s, training {t_train:.0f}s; "
        "folds read back from the cache are not re-timed).  ",
        f"Training wall summed over all folds, each timed when it was trained (fold wall_s below): "
        f"{fold_wall / 60:.1f} min.",
        "",
        "## Setup",
        "",
        f"- Universe: `{UNIVERSE_COL}` (CSI 300 members with a bar that day), as the R1 table.",
        f"- Budget (far below SPEC): `TrainConfig(lr={args.lr}, max_epochs={args.epochs}, patience={args.patience})`, "
        f"hidden {args.hidden}, seed {args.seed}; train days every max(5, k) days with k = {args.train_step_r2} (R2) / "
        f"{args.train_step_r3} (R3), valid days every 5 "
        "(the schedules' sampling); test days all. biagru_xgb stage 2: default `XGBConfig`.",
        "- Folds: `schedule_folds(calendar, spec.inputs.schedule)`, every fold whose test year lies in the "
        "2010-2022 calendar"
        + (f" (first {args.max_folds} only)" if args.max_folds else "")
        + ". R2 (`r2_weekly`): yearly, 4y train + 1y valid, purge 5, tests from 2017 (first_test_date). "
        "R3 (`r3_monthly`): yearly, 8y split 80/20 (1613 / 403 days), purge 21, tests from 2019.",
        "- Inputs: `prepare_fold_inputs(spec, ModelTables(...), sampled_fold)` as the `model_checkpoint` asset; "
        "factor_table = R1 + XGB sets (realdata cache) + R3_TS / R3_NODE / R3_EDGE / R3_FLOW; adjacency "
        "r2_similarity (quarterly kNN k=10 on fundamentals, 2016-2020 only), r3_industry / r3_flow (monthly, "
        "80-day correlations > 0.5); macro_series `build_macro_state` (forward fill with flag over the "
        "2017-01..2019-05 yield gap).",
        "- Evaluation: `evaluate_signal` label y_vwap10, ret y_vwap5, every 5 days (same as the R1 table); "
        "top_decile_ann = group_10_ann (annualised mean y_vwap5 of the top score decile, every 5 days); "
        "R3 models also: RankIC against y_month on month-end days (their rebalance days).",
        "- `R1 ref` rows: realdata.py's cached R1 scores (the RESULTS.md run: hidden 64, 15 epochs, "
        "patience 5, every 2nd train day, PAPER folds, tests from 2018-04-23) through the same evaluation, over "
        "all their test days and over the R3 test years only.",
        "",
        "## Summary (all test days of each model's folds)",
        "",
        md_table(summary, "{:.4f}"),
        "",
    ]
    if len(fl):
        parts += ["## Folds", "", md_table(fl.set_index("model"), "{:.3f}"), ""]
    ref = {f"R1 {m}": t for m, t in r1.items() if "(" not in m}
    by_year = pd.DataFrame({m: t["rank_ic"] for m, t in {**weekly, **ref}.items()}).rename_axis("period")
    parts += ["## RankIC by year (y_vwap10, every 5 days)", "", md_table(by_year), ""]
    top = pd.DataFrame({m: t["group_10_ann"] for m, t in {**weekly, **ref}.items()}).rename_axis("period")
    parts += ["## Top-decile annualised return by year (y_vwap5, every 5 days)", "", md_table(top), ""]
    if monthly:
        mt = pd.DataFrame({m: t["rank_ic"] for m, t in monthly.items()}).rename_axis("period")
        parts += ["## R3 models: RankIC vs y_month on month-end days, by year", "", md_table(mt), ""]
    cols = [
        "n_dates",
        "ic",
        "rank_ic",
        "weighted_rank_ic",
        "ic_ir",
        "rank_ic_ir",
        "top_precision",
        "group_10_ann",
        "long_short_ann",
        "universe_ann",
    ]
    for model, table in weekly.items():
        parts += [
            f"## Signal evaluation: {model} (label y_vwap10, ret y_vwap5, every 5 days)",
            "",
            md_table(table[[c for c in cols if c in table.columns]]),
            "",
        ]
    text = "\n".join(parts)
    write_section(Path(args.out), text)
    (cache / "summary.csv").parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(cache / "summary.csv")
    log.info("wrote %s", args.out)
    sys.stdout.write(text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
