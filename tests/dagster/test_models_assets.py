"""model_checkpoint (fold x model) -> signals -> signal_evaluation materialised on a tiny market."""

import os
import sys

import dagster as dg
import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.store.parquet import ParquetStore
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.training.ensemble import EnsembleMethod, ensemble_scores
from alpha_core.training.inputs import ModelTables, model_fold_config, prepare_fold_inputs, sampled_fold
from alpha_core.training.scoring import member_dirs
from alpha_core.training.specs import get_spec
from alpha_core.training.walkforward import fold_batches
from alpha_dagster.defs.assets.models import build_model_assets
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import AlphaStore

# the tiny R2 / R3 market of tests/training/test_inputs.py (importlib mode: put its directory on sys.path)
_TRAINING = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "training")
if _TRAINING not in sys.path:
    sys.path.insert(0, _TRAINING)
from test_inputs import tiny_market  # noqa: E402

N = 30
CODES = [f"SH6{i:05d}" for i in range(N)]
CAL = pd.bdate_range("2020-01-01", "2020-08-31")
PLAN = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
FOLDS = make_folds(CAL, PLAN)[:2]
SCHEME = build_scheme(
    CAL, fold_keys=[f.fold_id for f in FOLDS], model_keys=["nn", "xgboost", "gat_residual"], strategy_keys=["none"]
)
FOLD_RUN = {"max_epochs": 3, "lr": 1e-3, "hidden": 8, "train_day_step": 2}


def _tables():
    rng = np.random.default_rng(0)
    t = len(CAL)
    key = {"date": np.repeat(CAL.values, N), "code": np.tile(CODES, t)}
    x = rng.normal(size=(t * N, 3))
    y = x[:, 0] + rng.normal(size=t * N)
    factors = pd.DataFrame({**key, "bp_lf": x[:, 0], "ret_5d": x[:, 1], "std_1m": x[:, 2]})
    ranks = pd.Series(y).groupby(key["date"]).rank()
    z = (
        (ranks - ranks.groupby(key["date"]).transform("mean")) / ranks.groupby(key["date"]).transform("std")
    ).to_numpy()
    labels = pd.DataFrame({**key, "y_vwap10": 0.01 * y, "y_vwap10_rank": z, "y_close10_rank": z, "y_vwap5": 0.005 * y})
    universe = pd.DataFrame({**key, "r1": True, "r1_xgb": True})
    bars = pd.DataFrame({**key, "total_mcap": np.tile(rng.uniform(1e9, 1e10, N), t)})
    return {"factor_table": factors, "labels": labels, "universe": universe, "raw_bars": bars}


TABLES = _tables()
MONTHLY = ("factor_table", "labels", "universe", "raw_bars")


def _monthly(name, tables=TABLES, scheme=SCHEME):
    @dg.asset(name=name, partitions_def=scheme.monthly, backfill_policy=dg.BackfillPolicy.single_run())
    def _a(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_bounds(context)
        df = tables[name]
        return df[(df["date"] >= start) & (df["date"] <= end)]

    return _a


def _static(name, table):
    @dg.asset(name=name)
    def _a() -> pd.DataFrame:
        return table

    return _a


INDUSTRY = pd.DataFrame(
    {
        "code": CODES,
        "start_date": pd.Timestamp("2000-01-01"),
        "end_date": pd.NaT,
        "industry": [f"ind{i % 3}" for i in range(N)],
        "sector": [f"s{i % 2}" for i in range(N)],
    }
)
industry_map = _static("industry_map", INDUSTRY)
# R1 models do not read these; empty tables stand in for the graph / macro assets
adjacency = _static(
    "adjacency", pd.DataFrame({"date": pd.to_datetime([]), "graph": [], "src": [], "dst": [], "weight": []})
)
macro_series = _static(
    "macro_series", pd.DataFrame({"date": pd.to_datetime([]), "dln_m": [], "ln_m_gap": [], "r_gap": []})
)


def test_model_assets_materialise(tmp_path):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    monthly = [_monthly(n) for n in TABLES]
    upstream = [*monthly, industry_map, adjacency, macro_series]
    ckpt, signals, evaluation = build_model_assets(SCHEME, PLAN, CAL, per_model_lengths=False)
    everything = [*upstream, ckpt, signals, evaluation]
    assert dg.materialize(
        monthly, resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-08-01"}
    ).success
    assert dg.materialize([industry_map, adjacency, macro_series], resources=resources).success
    for model in ("nn", "xgboost"):
        for k, fold in enumerate(FOLDS):
            # the preset: tuned (the default: mse for the R1 networks) on the first fold, SPEC's on the
            # second (the model's own loss, wmse), with the feature-set option on the second
            run = {**FOLD_RUN, "preset": "SPEC", "feature_set": "R1_ALPHA158"} if k == 1 and model == "nn" else FOLD_RUN
            res = dg.materialize(
                everything,
                selection=[ckpt],
                resources=resources,
                partition_key=dg.MultiPartitionKey({"fold": fold.fold_id, "model": model}),
                run_config={"ops": {"model_checkpoint": {"config": run}}},
            )
            assert res.success
            meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
            assert meta["epochs"].value >= 1 and "test_window" in meta
            ck = load_checkpoint(tmp_path / "checkpoints" / f"model={model}" / f"fold={fold.fold_id}")
            if model == "nn":
                assert meta["loss"].value == ("wmse" if k == 1 else "mse")
                assert meta["preset"].value == ("spec" if k == 1 else "tuned")
                assert ck.meta["extra"]["feature_set"] == ("r1_alpha158" if k == 1 else "r1")
                assert ck.meta["train_config"]["lr"] == FOLD_RUN["lr"]  # an explicit setting beats the preset
            assert ck.features == ["bp_lf", "ret_5d", "std_1m"] and ck.meta["fold_id"] == fold.fold_id
        assert dg.materialize(
            everything, selection=[signals, evaluation], resources=resources, partition_key=model
        ).success
        sig = ParquetStore(str(tmp_path)).read("signals", [model])
        assert list(sig.columns) == ["date", "code", "model", "fold", "score"]
        assert sig["date"].min() == FOLDS[0].test[0] and sig["date"].max() == FOLDS[1].test[-1]
        assert not sig.duplicated(["date", "code"]).any()
        ev = ParquetStore(str(tmp_path)).read("signal_evaluation", [model])
        assert "all" in set(ev["period"]) and ev.loc[ev["period"] == "all", "rank_ic"].iloc[0] > 0.2
    # a seed ensemble: two members, the fold's scores the mean of their daily percentile ranks
    key = dg.MultiPartitionKey({"fold": FOLDS[0].fold_id, "model": "nn"})
    res = dg.materialize(
        everything,
        selection=[ckpt],
        resources=resources,
        partition_key=key,
        run_config={"ops": {"model_checkpoint": {"config": {**FOLD_RUN, "seeds": 2}}}},
    )
    assert res.success
    meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
    assert meta["seeds"].value == [0, 1] and len(meta["seed_valid_rank_ic"].value) == 2
    path = tmp_path / "checkpoints" / "model=nn" / f"fold={FOLDS[0].fold_id}"
    members = member_dirs(path)
    assert [m.name for m in members] == ["seed=0", "seed=1"]
    stored = ParquetStore(str(tmp_path)).read("model_checkpoint")
    stored = stored[(stored["model"] == "nn") & (stored["fold"] == FOLDS[0].fold_id)]
    ck = [load_checkpoint(m) for m in members]
    assert [c.meta["extra"]["seed"] for c in ck] == [0, 1]
    # the stored scores are the rank mean of the members rescored from their checkpoints
    spec = get_spec("nn")
    tables = ModelTables(
        *(TABLES[n] for n in ("factor_table", "labels", "universe", "raw_bars")), industry_map=INDUSTRY
    )
    own = sampled_fold(spec, FOLDS[0], FOLD_RUN["train_day_step"])
    inputs = prepare_fold_inputs(spec, tables, own)
    per_seed = [c.predict(fold_batches(inputs, own.test, c.normalizer, labelled=False)) for c in ck]
    assert not np.allclose(per_seed[0]["score"], per_seed[1]["score"])
    want = ensemble_scores(per_seed, EnsembleMethod.RANK)
    got = stored.sort_values(["date", "code"]).reset_index(drop=True)
    np.testing.assert_allclose(got["score"].to_numpy(), want["score"].to_numpy(), rtol=1e-6)
    # one seed again: the members of the earlier run are gone
    assert dg.materialize(
        everything,
        selection=[ckpt],
        resources=resources,
        partition_key=key,
        run_config={"ops": {"model_checkpoint": {"config": FOLD_RUN}}},
    ).success
    assert member_dirs(path) == []
    # research options reach the checkpoint: HIST's separate residual heads and the weight average
    run = {**FOLD_RUN, "residual_heads": "SEPARATE", "weight_ema": 0.9, "device": "CPU"}  # enums by member name
    key = dg.MultiPartitionKey({"fold": FOLDS[0].fold_id, "model": "gat_residual"})
    res = dg.materialize(
        everything,
        selection=[ckpt],
        resources=resources,
        partition_key=key,
        run_config={"ops": {"model_checkpoint": {"config": run}}},
    )
    assert res.success and res.asset_materializations_for_node("model_checkpoint")[0].metadata["device"].value == "cpu"
    ck = load_checkpoint(tmp_path / "checkpoints" / "model=gat_residual" / f"fold={FOLDS[0].fold_id}")
    assert ck.options.residual_heads == "separate" and "forecast0.weight" in ck.state_dict
    assert ck.meta["train_config"]["weight_ema"] == 0.9 and ck.meta["train_config"]["device"] == "cpu"
    assert ck.meta["extra"]["device"] == "cpu"


R2R3 = ("biagru", "multi_transformer", "pinn_mticg")
R2R3_SCHEME = build_scheme(CAL, fold_keys=[f.fold_id for f in FOLDS], model_keys=list(R2R3), strategy_keys=["none"])


@pytest.fixture
def one_torch_thread():
    """Small models on a shared 2-core box: intra-op threading costs far more than it saves."""
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


def test_r2_r3_models_materialise_and_reload(tmp_path, one_torch_thread):
    """One fold each of biagru (R2 seq), multi_transformer (R3 seq) and pinn_mticg (R3 seq + node
    features + sparse graphs + macro): trained through the asset, scores stored for every test
    day and stock, the checkpoint reloads to identical test scores."""
    market = tiny_market(N, str(CAL[0].date()), str(CAL[-1].date()))
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    monthly = [_monthly(n, market, R2R3_SCHEME) for n in MONTHLY]
    static = [_static(n, market[n]) for n in ("industry_map", "adjacency", "macro_series")]
    ckpt, signals, _ = build_model_assets(R2R3_SCHEME, PLAN, CAL, per_model_lengths=False)
    everything = [*monthly, *static, ckpt, signals]
    assert dg.materialize(
        monthly, resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-08-01"}
    ).success
    assert dg.materialize(static, resources=resources).success
    fold = FOLDS[1]
    tables = ModelTables(
        *(market[n] for n in ("factor_table", "labels", "universe", "raw_bars", "industry_map")),
        adjacency=market["adjacency"],
        macro_series=market["macro_series"],
    )
    store = ParquetStore(str(tmp_path))
    for model in R2R3:
        res = dg.materialize(
            everything,
            selection=[ckpt],
            resources=resources,
            partition_key=dg.MultiPartitionKey({"fold": fold.fold_id, "model": model}),
            run_config={"ops": {"model_checkpoint": {"config": {**FOLD_RUN, "max_epochs": 2}}}},
        )
        assert res.success
        meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
        assert meta["epochs"].value == 2
        scores = store.read("model_checkpoint", [{"fold": fold.fold_id, "model": model}])
        assert len(scores) == len(fold.test) * N and np.isfinite(scores["score"]).all()
        assert set(scores["date"]) == set(fold.test) and scores["score"].std() > 0
        # reload: rebuild the test batches with the checkpoint's normaliser and score them again
        spec = get_spec(model)
        ck = load_checkpoint(tmp_path / "checkpoints" / f"model={model}" / f"fold={fold.fold_id}")
        folds = make_folds(CAL, model_fold_config(spec, PLAN, per_model_lengths=False) or PLAN)
        own = sampled_fold(spec, next(f for f in folds if f.fold_id == fold.fold_id), FOLD_RUN["train_day_step"])
        inputs = prepare_fold_inputs(spec, tables, own)
        again = ck.predict(fold_batches(inputs, own.test, ck.normalizer, labelled=False))
        merged = scores.merge(again, on=["date", "code"], suffixes=("", "_again"))
        assert len(merged) == len(scores)
        np.testing.assert_array_equal(merged["score"].to_numpy(), merged["score_again"].to_numpy())
        assert dg.materialize(everything, selection=[signals], resources=resources, partition_key=model).success
        sig = store.read("signals", [model])
        assert len(sig) == len(scores) and set(sig["model"]) == {model}


def test_biagru_xgb_trains_through_model_checkpoint(tmp_path, one_torch_thread):
    """R2 secondary weighting as a model partition: the two-stage checkpoint (BiAGRU state dict
    + XGBoost booster) and its stage-2 metadata; 40 stocks (the 32 orthogonal factors need more
    stocks than factors) and R2's fundamental factors in factor_table."""
    from alpha_core.training.specs import R2_FUNDAMENTAL_FACTORS

    n = 40
    market = tiny_market(n, str(CAL[0].date()), str(CAL[-1].date()))
    rng = np.random.default_rng(3)
    for c in R2_FUNDAMENTAL_FACTORS:
        if c not in market["factor_table"].columns:
            market["factor_table"][c] = rng.uniform(-1, 1, len(market["factor_table"]))
    scheme = build_scheme(CAL, fold_keys=[f.fold_id for f in FOLDS], model_keys=["biagru_xgb"], strategy_keys=["none"])
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    monthly = [_monthly(m, market, scheme) for m in MONTHLY]
    static = [_static(m, market[m]) for m in ("industry_map", "adjacency", "macro_series")]
    ckpt, _, _ = build_model_assets(scheme, PLAN, CAL, per_model_lengths=False)
    assert dg.materialize(
        monthly, resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-08-01"}
    ).success
    assert dg.materialize(static, resources=resources).success
    fold = FOLDS[1]
    res = dg.materialize(
        [*monthly, *static, ckpt],
        selection=[ckpt],
        resources=resources,
        partition_key=dg.MultiPartitionKey({"fold": fold.fold_id, "model": "biagru_xgb"}),
        run_config={"ops": {"model_checkpoint": {"config": {**FOLD_RUN, "max_epochs": 2, "hidden": 16}}}},
    )
    assert res.success
    meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
    assert meta["epochs"].value == 2 and meta["stage2_best_round"].value >= 1
    assert meta["stage2_features"].value[32:] == list(R2_FUNDAMENTAL_FACTORS)
    scores = ParquetStore(str(tmp_path)).read("model_checkpoint", [{"fold": fold.fold_id, "model": "biagru_xgb"}])
    assert len(scores) == len(fold.test) * n and np.isfinite(scores["score"]).all()
    ck = load_checkpoint(tmp_path / "checkpoints" / "model=biagru_xgb" / f"fold={fold.fold_id}")
    assert ck.state_dict is not None and ck.xgb is not None and len(ck.stage2_features) == 32 + 13


def test_scores_are_not_published_when_a_trained_feature_vanished_on_the_test_days(tmp_path):
    """Issue 16 case 9: ret_5d is delivered while the fold trains, then stops (NaN on the test days)."""
    tables = {k: v.copy() for k, v in TABLES.items()}
    ft = tables["factor_table"]
    ft.loc[ft["date"].isin(FOLDS[0].test), "ret_5d"] = np.nan
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    monthly = [_monthly(n, tables) for n in TABLES]
    ckpt, _, _ = build_model_assets(SCHEME, PLAN, CAL, per_model_lengths=False)
    everything = [*monthly, industry_map, adjacency, macro_series, ckpt]
    assert dg.materialize(
        monthly, resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-08-01"}
    ).success
    assert dg.materialize([industry_map, adjacency, macro_series], resources=resources).success
    key = dg.MultiPartitionKey({"fold": FOLDS[0].fold_id, "model": "nn"})
    res = dg.materialize(
        everything,
        selection=[ckpt],
        resources=resources,
        partition_key=key,
        raise_on_error=False,
        run_config={"ops": {"model_checkpoint": {"config": FOLD_RUN}}},
    )
    assert not res.success
    failure = next(e for e in res.all_events if e.event_type_value == "STEP_FAILURE")
    assert "ret_5d (train 100%, now 0%)" in str(failure.event_specific_data.error)
    assert not (tmp_path / "checkpoints" / "model=nn").exists()  # nothing published
    assert not ParquetStore(str(tmp_path)).read("model_checkpoint", missing_ok=True).shape[0]


def test_training_jobs_open_with_their_preset_and_carry_the_training_tag(tmp_path):
    from alpha_dagster.defs.assets.models import TRAINING_POOL, build_training_jobs

    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    monthly = [_monthly(n) for n in TABLES]
    ckpt, signals, evaluation = build_model_assets(SCHEME, PLAN, CAL, per_model_lengths=False)
    assert ckpt.node_def.pool == TRAINING_POOL  # dagster.yaml's pool limit applies to every run that trains
    defs = dg.Definitions(
        assets=[*monthly, industry_map, adjacency, macro_series, ckpt, signals, evaluation],
        jobs=build_training_jobs(SCHEME),
        resources=resources,
    )
    assert dg.materialize(
        monthly, resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-08-01"}
    ).success
    assert dg.materialize([industry_map, adjacency, macro_series], resources=resources).success
    names = {j.name for j in defs.jobs}
    assert names == {"train_folds_tuned", "train_folds_spec", "train_folds_quick"}
    job = defs.resolve_job_def("train_folds_quick")
    assert job.tags["alpha/stage"] == "training" and job.partitions_def == SCHEME.fold_model
    # no run config given: the job's own (the launchpad's default) picks the preset
    res = job.execute_in_process(
        partition_key=dg.MultiPartitionKey({"fold": FOLDS[0].fold_id, "model": "nn"}),
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert res.success and res.dagster_run.tags["alpha/stage"] == "training"
    meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
    assert meta["preset"].value == "quick" and meta["epochs"].value <= 12
