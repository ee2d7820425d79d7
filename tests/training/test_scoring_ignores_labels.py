"""Look-ahead is impossible by construction: the test window's labels never reach a scored batch.

A fold is trained through :func:`alpha_core.training.run.run_fold` twice, the second time with
every label of the test window replaced by garbage (random values, some NaN); the stored test
scores are byte-identical. Scoring batches carry no label at all (``DayBatch.y is None``).
"""

import numpy as np
import pandas as pd
import pytest

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.training.inputs import ModelTables, prepare_fold_inputs
from alpha_core.training.normalizer import FeatureNormalizer
from alpha_core.training.run import FoldRunConfig, run_fold
from alpha_core.training.specs import get_spec
from alpha_core.training.walkforward import fold_batches

N = 30
CODES = [f"SH6{i:05d}" for i in range(N)]
CAL = pd.bdate_range("2020-01-01", "2020-07-31")
PLAN = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
FOLD = make_folds(CAL, PLAN)[0]
CONFIG = FoldRunConfig(max_epochs=3, lr=1e-3, hidden=8, train_day_step=2, num_threads=1)
LABELS = ("y_vwap10", "y_vwap10_rank", "y_close10_rank", "y_vwap5")


def tables() -> ModelTables:
    rng = np.random.default_rng(0)
    t = len(CAL)
    key = {"date": np.repeat(CAL.values, N), "code": np.tile(CODES, t)}
    x = rng.normal(size=(t * N, 3))
    y = x[:, 0] + rng.normal(size=t * N)
    factors = pd.DataFrame({**key, "bp_lf": x[:, 0], "ret_5d": x[:, 1], "std_1m": x[:, 2]})
    rank = pd.Series(y).groupby(key["date"]).rank(pct=True).to_numpy() - 0.5
    labels = pd.DataFrame(
        {**key, "y_vwap10": 0.01 * y, "y_vwap10_rank": rank, "y_close10_rank": rank, "y_vwap5": 0.005 * y}
    )
    universe = pd.DataFrame({**key, "r1": True, "r1_xgb": True})
    bars = pd.DataFrame({**key, "total_mcap": np.tile(rng.uniform(1e9, 1e10, N), t)})
    industry = pd.DataFrame(
        {
            "code": CODES,
            "start_date": pd.Timestamp("2000-01-01"),
            "end_date": pd.NaT,
            "industry": [f"ind{i % 3}" for i in range(N)],
            "sector": [f"s{i % 2}" for i in range(N)],
        }
    )
    return ModelTables(factors, labels, universe, bars, industry)


def with_garbage_test_labels(t: ModelTables) -> ModelTables:
    """``t`` with every label of the fold's test days random, one in five NaN."""
    labels = t.labels.copy()
    rows = labels["date"].isin(FOLD.test).to_numpy()
    rng = np.random.default_rng(99)
    for c in LABELS:
        garbage = rng.normal(scale=10.0, size=int(rows.sum()))
        garbage[rng.random(garbage.size) < 0.2] = np.nan
        labels.loc[rows, c] = garbage
    assert not np.allclose(labels.loc[rows, "y_vwap10_rank"].fillna(0), t.labels.loc[rows, "y_vwap10_rank"])
    return ModelTables(t.factor_table, labels, t.universe, t.raw_bars, t.industry_map)


def _scores_bytes(frame: pd.DataFrame) -> bytes:
    return pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes()


@pytest.mark.parametrize("model", ["nn", "xgboost"])
def test_test_scores_are_byte_identical_with_garbage_test_labels(model, tmp_path):
    clean, dirty = tables(), with_garbage_test_labels(tables())
    a = run_fold(
        model, FOLD.fold_id, clean, CONFIG, plan=PLAN, per_model_lengths=False, checkpoint_root=tmp_path / "clean"
    )
    b = run_fold(
        model, FOLD.fold_id, dirty, CONFIG, plan=PLAN, per_model_lengths=False, checkpoint_root=tmp_path / "dirty"
    )
    assert len(a.scores) == len(FOLD.test) * N and a.scores["score"].std() > 0
    assert _scores_bytes(a.scores) == _scores_bytes(b.scores)
    assert a.scores["score"].to_numpy().tobytes() == b.scores["score"].to_numpy().tobytes()
    # training and validation never saw the test labels either (wall time aside)
    assert {k: v for k, v in a.valid_metrics.items() if k != "wall_s"} == {
        k: v for k, v in b.valid_metrics.items() if k != "wall_s"
    }


def test_scoring_batches_carry_no_label():
    t = tables()
    spec = get_spec("nn")
    inputs = prepare_fold_inputs(spec, t, FOLD)
    norm = FeatureNormalizer(list(inputs.feature_cols))
    scored = fold_batches(inputs, FOLD.test, norm, labelled=False)
    assert len(scored) == len(FOLD.test) and all(b.y is None and b.n == N for b in scored)
    assert all(b.y is not None for b in fold_batches(inputs, FOLD.valid, norm, labelled=True))
    # a scoring-only caller (the weekly rebalance) passes no labels table at all
    live = prepare_fold_inputs(spec, ModelTables(t.factor_table, None, t.universe, t.raw_bars, t.industry_map))
    assert all(b.y is None for b in fold_batches(live, FOLD.test[-1:], norm, labelled=False))
    with pytest.raises(ValueError, match="labels"):
        fold_batches(live, FOLD.valid, norm, labelled=True)
