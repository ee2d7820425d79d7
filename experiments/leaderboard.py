"""Real-data leaderboard: every model x feature set, walk-forward, on ANY Qlib-format directory.

Usage::

    .venv/bin/python experiments/leaderboard.py --data DIR --test-from 2019-01-02 --test-to 2022-12-30 \\
        [--models nn,gat_residual,gat_mask,xgboost] [--feature-sets r1,alpha158] [--seeds 3] \\
        [--preset tuned|spec|quick] [--label y_close10] [--universe in_csi300 --benchmark SH000300] \\
        [--price-volume-only] [--cache DIR] [--json experiments/leaderboard.json] [--md FILE] [--no-backtest]

What it does (library calls only, the ones the Dagster assets make):

1. ``open_source(DIR)`` (``--price-volume-only``: the Qlib bins alone, no ``cn_extra`` /
   ``cn_macro`` supplements: no fundamentals, turnover, caps or industries); the factor table of
   the requested feature sets (:data:`alpha_core.training.features.FEATURE_RECIPES`); labels;
   universe (default ``in_csi300``: CSI 300 members with a bar that day).
2. Walk-forward folds of the PAPER plan (each model's own lengths: torch 252x6 train / 252x2
   valid, xgboost 252x5 / 252x1; test 126, step 126, purge 10) whose test windows meet
   [test-from, test-to]; no dates are hard-wired: the folds follow the directory's calendar.
   R2 / R3 keys run on their own yearly schedules (one fold per test year).
3. ``train_fold`` per model x feature set x seed x fold under the ``--preset`` budget
   (:mod:`alpha_core.training.presets`), scores cached per key under ``--cache`` (a file lock per
   key: two runs never train the same fold twice, a rerun resumes).
4. Per row: the seed ensemble (mean of the seeds' cross-sectional ranks) and each seed alone,
   daily RankIC / IC against ``--label`` over the universe on every test day in the span;
   ``rank_ic`` is the mean over seeds, ``rank_ic_std_over_seeds`` their spread,
   ``rank_ic_ensemble`` the ensemble's.
5. Per row (the ensemble score): the R1-preset CSI 300 enhancement (1% stock / industry /
   style deviations, 15% turnover, weekly, 0.2% one-way costs, vwap fills) vs the benchmark
   index, and Qlib's TopK-Dropout 50/5 long-only (equal weights, daily, close fills, buy 0.05%
   / sell 0.15%), both as annual excess, tracking error and IR over the span.

Writes ``--json`` (one row per model x feature set) and a markdown table (``--md``; printed).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
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

from alpha_core.backtest.costs import CostModel, FillPrice
from alpha_core.backtest.engine import BacktestConfig, bars_panel, benchmark_returns, run_backtest
from alpha_core.data.registry import open_source
from alpha_core.factors import FactorInputs
from alpha_core.factors.registry import FACTOR_SETS, FACTORS, FactorSet, compute_factors
from alpha_core.folds import Fold, FoldPlan, plan_folds
from alpha_core.graph.build import build_adjacency
from alpha_core.labels import compute_labels
from alpha_core.macro.state import MacroStateConfig, build_macro_state
from alpha_core.metrics.performance import performance_summary
from alpha_core.metrics.signal import daily_ic, daily_rank_ic
from alpha_core.portfolio.enhance import optimize_portfolios, style_frame
from alpha_core.portfolio.presets import BP, PRESETS, PresetName
from alpha_core.portfolio.simple import topk_dropout
from alpha_core.training.ensemble import EnsembleMethod, ensemble_scores
from alpha_core.training.features import FEATURE_RECIPES
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs, sampled_fold
from alpha_core.training.presets import TrainingPreset, budget_spec, training_budget, with_overrides
from alpha_core.training.signals import stitch_signals
from alpha_core.training.specs import FeatureSet, get_spec
from alpha_core.training.walkforward import FoldInputs, train_fold
from alpha_core.universe import build_universe

log = logging.getLogger("leaderboard")


# ----------------------------------------------------------------------------------------
# data
# ----------------------------------------------------------------------------------------


def _opt(df: pd.DataFrame | None) -> pd.DataFrame | None:
    return df if df is not None and len(df) else None


def open_data(data: str, price_volume_only: bool):
    if not price_volume_only:
        return open_source(data)
    from alpha_core.data.qlib import QlibSource

    path = Path(data)
    if not (path / "calendars" / "day.txt").exists():
        raise SystemExit(f"--price-volume-only needs a Qlib directory; {data} has no calendars/day.txt")
    return QlibSource(path, extra_dir=None, macro_dir=None)


R3_SETS = (FactorSet.R3_TS, FactorSet.R3_NODE, FactorSet.R3_EDGE, FactorSet.R3_FLOW)


def load_tables(
    data: str,
    price_volume_only: bool,
    factor_names: list[str],
    cache: Path,
    *,
    graphs: bool = False,
    macro: bool = False,
) -> dict:
    """Source tables, factor table (``factor_names``), labels and universe; with ``graphs`` the
    ``adjacency`` table (:func:`build_adjacency`, the asset's defaults), with ``macro`` the
    ``macro_series`` (:func:`build_macro_state`); derived ones cached."""
    src = open_data(data, price_volume_only)
    cal = src.calendar()
    start, end = cal[0], cal[-1]
    t0 = time.perf_counter()
    tables = {
        "bars": src.bars(start, end),
        "instruments": src.instruments(),
        "industry_map": src.industry_map(),
        "index_levels": src.index_levels(start, end),
        "index_weights": src.index_weights(start, end),
    }
    have = src.available_tables()
    fundamentals = src.fundamentals() if "fundamentals" in have else None
    consensus = src.consensus(start, end) if "consensus" in have else None
    log.info(
        "source %s loaded in %.0fs: %d bar rows, %d codes",
        data,
        time.perf_counter() - t0,
        len(tables["bars"]),
        tables["bars"]["code"].nunique(),
    )
    if graphs or macro:  # the R2 / R3 inputs: their node, edge and sequence series
        factor_names = list(dict.fromkeys([*factor_names, *(n for s in R3_SETS for n in FACTOR_SETS[s])]))
    key = _digest({"data": str(Path(data).resolve()), "pv": price_volume_only, "factors": sorted(factor_names)})
    names = ["factor_table", "labels", "universe", *(["adjacency"] if graphs else [])]
    paths = {k: cache / f"{k}_{key}.parquet" for k in names}
    if macro:
        if "macro" in have:
            tables["macro_series"], _ = build_macro_state(src.macro(), cal, MacroStateConfig())
        else:
            log.warning("%s has no macro series: the macro models cannot train", data)
    with locked(cache / f"tables_{key}.lock"):
        if all(p.exists() for p in paths.values()):
            for k, p in paths.items():
                tables[k] = pd.read_parquet(p)
            return tables
        t0 = time.perf_counter()
        inputs = FactorInputs(
            tables["bars"],
            _opt(fundamentals),
            _opt(consensus),
            _opt(tables["industry_map"]),
            _opt(tables["instruments"]),
        )
        ft = compute_factors(inputs, factor_names)
        ft.attrs = {}
        log.info("factor table in %.0fs: %d rows x %d factors", time.perf_counter() - t0, len(ft), ft.shape[1] - 2)
        derived = {
            "factor_table": ft,
            "labels": compute_labels(tables["bars"]),
            "universe": build_universe(tables["bars"], _opt(tables["instruments"]), _opt(tables["index_weights"])),
        }
        if graphs:
            derived["adjacency"], skipped = build_adjacency(cal, tables["industry_map"], fundamentals, ft)
            log.info("adjacency: %s; skipped %s", derived["adjacency"].groupby("graph").size().to_dict(), skipped)
        for k, df in derived.items():
            atomic_parquet(df, paths[k])
            tables[k] = df
    return tables


# ----------------------------------------------------------------------------------------
# cache
# ----------------------------------------------------------------------------------------


def _digest(obj) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:16]


# ----------------------------------------------------------------------------------------
# folds and training
# ----------------------------------------------------------------------------------------


def span_folds(calendar: pd.DatetimeIndex, spec, test_from: pd.Timestamp, test_to: pd.Timestamp) -> list[Fold]:
    """The model's walk-forward folds whose test windows meet [test_from, test_to], tests clipped to it."""
    m = spec.inputs
    if m.schedule is not None:  # R2 / R3: their yearly schedule
        from alpha_core.training.schedules import schedule_folds

        folds = schedule_folds(calendar, m.schedule)
    else:
        folds = plan_folds(calendar, FoldPlan.PAPER.config, spec.folds)
    out = []
    for f in folds:
        test = f.test[(f.test >= test_from) & (f.test <= test_to)]
        if len(test):
            out.append(dataclasses.replace(f, test=test))
    return out


def parse_settings(items: list[str]) -> dict:
    """``["max_depth=8", "valid_days=504"]`` -> ``{"max_depth": 8, "valid_days": 504}`` (int, float, bool or str)."""
    out = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"--set expects KEY=VALUE, got {item!r}")
        value: object = raw
        for cast in (int, float):
            try:
                value = cast(raw)
                break
            except ValueError:
                continue
        if raw.lower() in ("true", "false"):
            value = raw.lower() == "true"
        out[key] = value
    return out


FOLD_SETTINGS = ("train_days", "valid_days")


def train_row(
    tables: dict,
    model: str,
    feature_set: FeatureSet | None,
    seeds: int,
    preset: TrainingPreset,
    universe_col: str,
    cache: Path,
    test_from,
    test_to,
    run_tag: str,
    settings: dict | None = None,
) -> tuple[list[pd.DataFrame], list[dict]]:
    """Per seed, the stitched test scores of ``model`` on ``feature_set``; and a log row per fold.

    ``settings``: training overrides on top of the preset (:func:`with_overrides`: TrainConfig /
    XGBConfig fields, ``train_day_step``) and the model's own fold lengths (``train_days``,
    ``valid_days``); both enter the cache key."""
    spec = get_spec(model)
    settings = dict(settings or {})
    fold_over = {k: settings.pop(k) for k in FOLD_SETTINGS if k in settings}
    if fold_over and spec.inputs.schedule is not None:
        raise SystemExit(f"{model} trains on its own yearly schedule; {sorted(fold_over)} apply to the R1 keys")
    budget = with_overrides(training_budget(preset, spec), **settings)
    if fold_over:  # the command line's lengths over the windows the preset trains on
        windows = budget_spec(spec, budget).folds or FoldPlan.PAPER.config
        budget = dataclasses.replace(budget, folds=dataclasses.replace(windows, **fold_over))
    spec = dataclasses.replace(budget_spec(spec, budget), universe=universe_col)
    if feature_set is not None:
        if spec.inputs.schedule is not None:
            raise SystemExit(f"{model} reads its own sequence inputs; feature sets apply to the R1 keys")
        spec = dataclasses.replace(spec, feature_set=feature_set)
    calendar = pd.DatetimeIndex(np.sort(tables["factor_table"]["date"].unique()))
    folds = span_folds(calendar, spec, test_from, test_to)
    if not folds:
        raise SystemExit(f"no {model} fold has a test day in [{test_from.date()}, {test_to.date()}]")
    mt = ModelTables(
        tables["factor_table"],
        tables["labels"],
        tables["universe"],
        tables["bars"],
        tables["industry_map"],
        adjacency=tables.get("adjacency"),
        macro_series=tables.get("macro_series"),
    )
    inputs: FoldInputs | None = None
    per_seed, log_rows = [], []
    for seed in range(seeds):
        by_fold = {}
        for fold in folds:
            fold_s = sampled_fold(spec, fold, budget.train_day_step)
            key = _digest(
                {
                    "tag": run_tag,
                    "model": model,
                    "fs": str(spec.feature_set),
                    "seed": seed,
                    "fold": fold.fold_id,
                    "test": [str(fold.test[0]), str(fold.test[-1])],
                    "budget": {k: v for k, v in dataclasses.asdict(budget).items() if k != "folds" or v is not None},
                    "universe": universe_col,
                    "label": spec.label,
                }
            )
            path = cache / f"scores_{model}_{spec.feature_set}_{fold.fold_id}_s{seed}_{key}.parquet"
            meta = path.with_suffix(".json")
            with locked(path.with_suffix(".lock")):
                if not path.exists():
                    if inputs is None:
                        inputs = prepare_fold_inputs(spec, mt, None)
                    fold_inputs = inputs if spec.inputs.schedule is None else prepare_fold_inputs(spec, mt, fold_s)
                    out = train_fold(
                        spec, fold_s, fold_inputs, train_config=budget.train, xgb_config=budget.xgb, seed=seed
                    )
                    m = out.valid_metrics
                    row = {
                        "model": model,
                        "feature_set": str(spec.feature_set),
                        "seed": seed,
                        "fold": fold.fold_id,
                        "train_days": len(fold_s.train),
                        "best_epoch": int(m.get("best_epoch", 0)),
                        "epochs_run": int(m.get("epochs_run", 0)),
                        "valid_rank_ic": float(m.get("valid_rank_ic", float("nan"))),
                        "wall_s": round(out.wall_s, 1),
                    }
                    atomic_parquet(out.test_scores, path)
                    meta.write_text(json.dumps(row))
                    log.info("trained %s", row)
            by_fold[fold.fold_id] = pd.read_parquet(path)
            if meta.exists():
                log_rows.append(json.loads(meta.read_text()))
        per_seed.append(stitch_signals(by_fold, folds, model)[["date", "code", "score"]])
    return per_seed, log_rows


def rank_ensemble(per_seed: list[pd.DataFrame]) -> pd.DataFrame:
    """(date, code, score): the mean over seeds of each seed's cross-sectional percentile rank
    (:func:`alpha_core.training.ensemble.ensemble_scores`, the ``seeds`` option's ensemble)."""
    return ensemble_scores(per_seed, EnsembleMethod.RANK)[["date", "code", "score"]]


# ----------------------------------------------------------------------------------------
# evaluation
# ----------------------------------------------------------------------------------------


def daily_ics(scores: pd.DataFrame, labels: pd.DataFrame, label: str) -> pd.DataFrame:
    """Per test day with a finite (score, label) pair: Pearson IC and Spearman RankIC of score vs
    ``label`` over the finite pairs (:func:`alpha_core.metrics.signal.daily_ic` /
    :func:`~alpha_core.metrics.signal.daily_rank_ic`: NaN on a day with < 2 pairs or a constant side)."""
    m = scores.merge(labels[["date", "code", label]], on=["date", "code"], how="inner")
    m = m[np.isfinite(m["score"]) & np.isfinite(m[label])]
    score = m.pivot(index="date", columns="code", values="score").sort_index()
    lab = m.pivot(index="date", columns="code", values=label).reindex(index=score.index, columns=score.columns)
    s, y = score.to_numpy(np.float64), lab.to_numpy(np.float64)
    return pd.DataFrame({"date": score.index, "ic": daily_ic(s, y), "rank_ic": daily_rank_ic(s, y)})


def ic_summary(d: pd.DataFrame) -> dict:
    """Mean IC / RankIC, RankIC IR and the number of days, over the days with a defined RankIC."""
    d = d[np.isfinite(d["rank_ic"])]
    sd = d["rank_ic"].std(ddof=1)
    return {
        "rank_ic": float(d["rank_ic"].mean()),
        "ic": float(d["ic"].mean()),
        "rank_ic_ir": float(d["rank_ic"].mean() / sd) if sd > 0 else float("nan"),
        "days": int(len(d)),
    }


class Backtests:
    """The two strategies of a row, on data loaded once."""

    def __init__(self, tables: dict, benchmark: str):
        self.tables = tables
        self.benchmark = benchmark
        self.panel = bars_panel(tables["bars"])
        bp = tables["factor_table"][["date", "code", BP]] if BP in tables["factor_table"] else None
        self.styles = style_frame(tables["bars"], bp)
        self.adj_close = pd.DataFrame(
            self.panel["close"] * self.panel["adj_factor"], index=self.panel.dates, columns=self.panel.codes
        ).ffill()
        self.bench = benchmark_returns(tables["index_levels"], benchmark, self.panel.dates)

    def _summary(self, daily: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> dict:
        d = daily[(daily["date"] > first) & (daily["date"] <= last)].reset_index(drop=True)
        s = performance_summary(d)
        return {
            "excess": float(s["annual_excess_return"]),
            "te": float(s["tracking_error"]),
            "ir": float(s["information_ratio"]),
        }

    def enhancement(self, scores: pd.DataFrame) -> dict:
        """The R1-preset enhancement; NaNs when the data has no industry map (``--price-volume-only``
        drops cn_extra, which holds the industries R1's industry-deviation constraint needs)."""
        industry = self.tables.get("industry_map")
        if industry is None or not len(industry):
            log.warning("no industry map: the R1 enhancement (industry constraints) is not run; TopK only")
            return {"excess": float("nan"), "te": float("nan"), "ir": float("nan")}
        preset = PRESETS[PresetName.R1]
        res = optimize_portfolios(
            scores,
            self.tables["index_weights"],
            self.tables["industry_map"],
            preset,
            styles=self.styles,
            adj_close=self.adj_close,
            index_code=self.benchmark,
        )
        bt = run_backtest(
            self.panel,
            res.weights[["date", "code", "weight"]],
            BacktestConfig(costs=preset.costs, fill=preset.fill, lag=1),
            bench_ret=self.bench,
        )
        return self._summary(bt.daily, scores["date"].min(), scores["date"].max())

    def topk_dropout(self, scores: pd.DataFrame, k: int = 50, n_drop: int = 5) -> dict:
        w = topk_dropout(scores, k=k, n_drop=n_drop)
        bt = run_backtest(
            self.panel,
            w,
            BacktestConfig(costs=CostModel(buy_rate=0.0005, sell_rate=0.0015), fill=FillPrice.CLOSE, lag=1),
            bench_ret=self.bench,
        )
        return self._summary(bt.daily, scores["date"].min(), scores["date"].max())


# ----------------------------------------------------------------------------------------
# report
# ----------------------------------------------------------------------------------------

COLUMNS = [
    "model",
    "feature_set",
    "seeds",
    "test_from",
    "test_to",
    "label",
    "rank_ic",
    "rank_ic_std_over_seeds",
    "rank_ic_ensemble",
    "rank_ic_ir",
    "ic",
    "days",
    "own_label",
    "rank_ic_own_label",
    "excess",
    "te",
    "ir",
    "topk_excess",
    "topk_te",
    "topk_ir",
    "train_wall_s",
]


def markdown(rows: list[dict]) -> str:
    head = [
        "model",
        "features",
        "seeds",
        "RankIC (mean ± std over seeds)",
        "ensemble RankIC",
        "RankIC IR",
        "IC",
        "days",
        "own label RankIC",
        "enh. excess",
        "enh. TE",
        "enh. IR",
        "TopK 50/5 excess",
        "TopK IR",
        "train min",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]

    def f(v, fmt):
        return fmt.format(v) if isinstance(v, (int, float)) and np.isfinite(v) else "-"

    for r in sorted(rows, key=lambda r: -r["rank_ic"]):
        lines.append(
            "| "
            + " | ".join(
                [
                    r["model"],
                    r["feature_set"],
                    str(r["seeds"]),
                    f"{r['rank_ic']:.4f} ± {r['rank_ic_std_over_seeds']:.4f}"
                    if np.isfinite(r["rank_ic_std_over_seeds"])
                    else f"{r['rank_ic']:.4f}",
                    f(r["rank_ic_ensemble"], "{:.4f}"),
                    f(r["rank_ic_ir"], "{:.2f}"),
                    f(r["ic"], "{:.4f}"),
                    str(r["days"]),
                    f"{r['rank_ic_own_label']:.4f} ({r['own_label']})" if r.get("own_label") else "-",
                    f(r.get("excess"), "{:+.2%}"),
                    f(r.get("te"), "{:.2%}"),
                    f(r.get("ir"), "{:.2f}"),
                    f(r.get("topk_excess"), "{:+.2%}"),
                    f(r.get("topk_ir"), "{:.2f}"),
                    f(r["train_wall_s"] / 60, "{:.1f}"),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", required=True, help="a Qlib-format directory (calendars/, instruments/, features/)")
    p.add_argument("--test-from", required=True)
    p.add_argument("--test-to", required=True)
    p.add_argument("--models", default="nn,gat_residual,gat_mask,xgboost")
    p.add_argument("--feature-sets", default="", help="comma list of FeatureSet values; empty = each model's own")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--preset", default=str(TrainingPreset.TUNED), choices=[str(x) for x in TrainingPreset])
    p.add_argument("--label", default="y_close10", help="evaluation label (labels table column)")
    p.add_argument("--universe", default="in_csi300")
    p.add_argument("--benchmark", default="SH000300")
    p.add_argument("--price-volume-only", action="store_true", help="no cn_extra / cn_macro supplements")
    p.add_argument("--no-backtest", action="store_true")
    p.add_argument("--cache", default="/tmp/leaderboard_cache")
    p.add_argument("--json", default=str(Path(__file__).with_name("leaderboard.json")))
    p.add_argument("--md", default=None, help="also write the markdown table here")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a training setting over the preset (e.g. max_depth=8, lr=5e-4, valid_days=504); repeatable",
    )
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s", stream=sys.stdout)
    for noisy in ("alpha_core.training.features", "alpha_core.factors.registry"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    torch.set_num_threads(1)
    t_all = time.perf_counter()
    test_from, test_to = pd.Timestamp(args.test_from), pd.Timestamp(args.test_to)
    models = [m for m in args.models.split(",") if m]
    feature_sets = [FeatureSet(s) for s in args.feature_sets.split(",") if s] or [None]
    names: list[str] = []
    for m in models:
        for fs in feature_sets:
            recipe = FEATURE_RECIPES.get(fs or get_spec(m).feature_set)
            if recipe is not None:
                names += [c for c in recipe.columns if c in FACTORS]
    names += [n for n in ("bp_lf",) if n in FACTORS]  # the enhancement's value style
    cache = Path(args.cache)
    run_tag = _digest({"data": str(Path(args.data).resolve()), "pv": args.price_volume_only})
    specs = [get_spec(m) for m in models]
    tables = load_tables(
        args.data,
        args.price_volume_only,
        list(dict.fromkeys(names)),
        cache,
        graphs=any(s.inputs.needs_adjacency for s in specs),
        macro=any(s.inputs.needs_macro for s in specs),
    )
    if args.universe not in tables["universe"].columns:
        raise SystemExit(f"universe column {args.universe!r} not in {list(tables['universe'].columns)}")
    bt = None if args.no_backtest else Backtests(tables, args.benchmark)
    rows, fold_log = [], []
    for model in models:
        for fs in feature_sets:
            t0 = time.perf_counter()
            per_seed, logs = train_row(
                tables,
                model,
                fs,
                args.seeds,
                TrainingPreset(args.preset),
                args.universe,
                cache,
                test_from,
                test_to,
                run_tag,
                parse_settings(args.set),
            )
            fold_log += logs
            universe = tables["universe"].loc[tables["universe"][args.universe].astype(bool), ["date", "code"]]
            per_seed = [s.merge(universe, on=["date", "code"]) for s in per_seed]
            seed_ics = [ic_summary(daily_ics(s, tables["labels"], args.label)) for s in per_seed]
            ens = rank_ensemble(per_seed)
            ens_ic = ic_summary(daily_ics(ens, tables["labels"], args.label))
            ric = np.array([s["rank_ic"] for s in seed_ics])
            row = {
                "model": model,
                "feature_set": str(fs or get_spec(model).feature_set),
                "seeds": args.seeds,
                "test_from": str(test_from.date()),
                "test_to": str(test_to.date()),
                "label": args.label,
                "rank_ic": float(ric.mean()),
                "rank_ic_std_over_seeds": float(ric.std(ddof=1)) if len(ric) > 1 else float("nan"),
                "rank_ic_ensemble": ens_ic["rank_ic"],
                "rank_ic_ir": ens_ic["rank_ic_ir"],
                "ic": ens_ic["ic"],
                "days": ens_ic["days"],
                "train_wall_s": float(sum(r.get("wall_s", 0.0) for r in logs)),
            }
            own = get_spec(model).label.removesuffix("_rank")
            if own != args.label and own in tables["labels"].columns:  # R2 / R3: their own horizon too
                row.update(
                    own_label=own, rank_ic_own_label=ic_summary(daily_ics(ens, tables["labels"], own))["rank_ic"]
                )
            if bt is not None:
                row.update(bt.enhancement(ens))
                row.update({f"topk_{k}": v for k, v in bt.topk_dropout(ens).items()})
            rows.append(row)
            log.info("row %s (%.0fs)", row, time.perf_counter() - t0)
    wall = time.perf_counter() - t_all
    out = {
        "command": " ".join(["experiments/leaderboard.py", *(argv if argv is not None else sys.argv[1:])]),
        "machine": f"{platform.machine()} {os.cpu_count()} cores",
        "wall_s": round(wall, 1),
        "preset": args.preset,
        "settings": parse_settings(args.set),
        "price_volume_only": args.price_volume_only,
        "rows": [{k: r.get(k) for k in COLUMNS} for r in rows],
        "folds": fold_log,
    }
    Path(args.json).write_text(json.dumps(out, indent=1, default=float))
    text = markdown(rows) + f"\n\nwall time {wall / 60:.1f} min (cached folds are not re-timed)\n"
    if args.md:
        Path(args.md).write_text(text)
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
