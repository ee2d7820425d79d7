"""model_checkpoint (fold x model) -> signals -> signal_evaluation materialised on a tiny market."""

import dagster as dg
import numpy as np
import pandas as pd
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from alpha_core.store.parquet import ParquetStore
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.training.folds import FoldConfig, make_folds
from alpha_dagster.defs.assets.models import build_model_assets
from alpha_dagster.defs.partitions import build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import AlphaStore

N = 30
CODES = [f"SH6{i:05d}" for i in range(N)]
CAL = pd.bdate_range("2020-01-01", "2020-08-31")
PLAN = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
FOLDS = make_folds(CAL, PLAN)[:2]
SCHEME = build_scheme(CAL, fold_keys=[f.fold_id for f in FOLDS], model_keys=["nn", "xgboost"], strategy_keys=["none"])
FOLD_RUN = {"max_epochs": 3, "lr": 1e-3, "hidden": 8, "train_day_step": 2}


def _tables():
    rng = np.random.default_rng(0)
    t = len(CAL)
    key = {"date": np.repeat(CAL.values, N), "code": np.tile(CODES, t)}
    x = rng.normal(size=(t * N, 3))
    y = x[:, 0] + rng.normal(size=t * N)
    factors = pd.DataFrame({**key, "bp_lf": x[:, 0], "ret_5d": x[:, 1], "std_1m": x[:, 2]})
    ranks = pd.Series(y).groupby(key["date"]).rank()
    z = ((ranks - ranks.groupby(key["date"]).transform("mean")) / ranks.groupby(key["date"]).transform("std")).to_numpy()
    labels = pd.DataFrame({**key, "y_vwap10": 0.01 * y, "y_vwap10_rank": z, "y_close10_rank": z, "y_vwap5": 0.005 * y})
    universe = pd.DataFrame({**key, "r1": True, "r1_xgb": True})
    bars = pd.DataFrame({**key, "total_mcap": np.tile(rng.uniform(1e9, 1e10, N), t)})
    return {"factor_table": factors, "labels": labels, "universe": universe, "raw_bars": bars}


TABLES = _tables()


def _monthly(name):
    @dg.asset(name=name, partitions_def=SCHEME.monthly, backfill_policy=dg.BackfillPolicy.single_run())
    def _a(context: dg.AssetExecutionContext) -> pd.DataFrame:
        start, end = window_bounds(context)
        df = TABLES[name]
        return df[(df["date"] >= start) & (df["date"] <= end)]

    return _a


@dg.asset
def industry_map() -> pd.DataFrame:
    return pd.DataFrame({"code": CODES, "start_date": pd.Timestamp("2000-01-01"), "end_date": pd.NaT,
                         "industry": [f"ind{i % 3}" for i in range(N)], "sector": [f"s{i % 2}" for i in range(N)]})


def test_model_assets_materialise(tmp_path):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    upstream = [_monthly(n) for n in TABLES] + [industry_map]
    ckpt, signals, evaluation = build_model_assets(SCHEME, PLAN, per_model_lengths=False)
    everything = [*upstream, ckpt, signals, evaluation]
    assert dg.materialize(upstream[:-1], resources=resources, tags={
        ASSET_PARTITION_RANGE_START_TAG: "2020-01-01", ASSET_PARTITION_RANGE_END_TAG: "2020-08-01"}).success
    assert dg.materialize([industry_map], resources=resources).success
    for model in ("nn", "xgboost"):
        for fold in FOLDS:
            res = dg.materialize(everything, selection=[ckpt], resources=resources,
                                 partition_key=dg.MultiPartitionKey({"fold": fold.fold_id, "model": model}),
                                 run_config={"ops": {"model_checkpoint": {"config": FOLD_RUN}}})
            assert res.success
            meta = res.asset_materializations_for_node("model_checkpoint")[0].metadata
            assert meta["epochs"].value >= 1 and "test_window" in meta
            ck = load_checkpoint(tmp_path / "checkpoints" / f"model={model}" / f"fold={fold.fold_id}")
            assert ck.features == ["bp_lf", "ret_5d", "std_1m"] and ck.meta["fold_id"] == fold.fold_id
        assert dg.materialize(everything, selection=[signals, evaluation], resources=resources, partition_key=model).success
        sig = ParquetStore(str(tmp_path)).read("signals", [model])
        assert list(sig.columns) == ["date", "code", "model", "fold", "score"]
        assert sig["date"].min() == FOLDS[0].test[0] and sig["date"].max() == FOLDS[1].test[-1]
        assert not sig.duplicated(["date", "code"]).any()
        ev = ParquetStore(str(tmp_path)).read("signal_evaluation", [model])
        assert "all" in set(ev["period"]) and ev.loc[ev["period"] == "all", "rank_ic"].iloc[0] > 0.2
