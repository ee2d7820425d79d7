"""``biagru_xgb`` (R2 secondary weighting) through the one fold machinery: train_fold ->
save_fold -> load_checkpoint -> score_days, on the tiny market of test_inputs.py (40 stocks:
the 32 orthogonal factors need more stocks than factors) with R2's fundamental factors added.

The label is ``bp_lf`` + two R3 columns + noise (test_inputs.tiny_market), so stage 2 has a
fundamental column worth using.
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.factors.registry import XGB_FACTORS
from alpha_core.folds import Fold
from alpha_core.models.orthogonal import factor_column_names
from alpha_core.training.boosting import XGBConfig
from alpha_core.training.checkpoint import CURVE, NORMALIZER, STATE, XGB_MODEL, load_checkpoint, save_checkpoint
from alpha_core.training.inputs import R2_X_COLUMNS, prepare_fold_inputs, sampled_fold
from alpha_core.training.scoring import score_days
from alpha_core.training.secondary import secondary_weighting_batches
from alpha_core.training.specs import (
    R2_FUNDAMENTAL,
    R2_FUNDAMENTAL_FACTORS,
    FeatureSet,
    ModelFamily,
    ModelKey,
    ModelSpec,
    Report,
    get_spec,
)
from alpha_core.training.trainer import TrainConfig
from alpha_core.training.walkforward import fold_batches, save_fold, train_fold

# the tiny market of test_inputs.py (importlib mode: put this directory on sys.path)
_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from test_inputs import _perturb_after, model_tables, tiny_market  # noqa: E402

N = 40
SPEC = get_spec(ModelKey.BIAGRU_XGB)
TRAIN_CFG = TrainConfig(lr=1e-3, max_epochs=3, patience=3, num_threads=1)
XGB_CFG = XGBConfig(num_rounds=200, n_threads=1)
HIDDEN = 16


def _market() -> dict[str, pd.DataFrame]:
    m = tiny_market(N)
    rng = np.random.default_rng(7)
    ft = m["factor_table"]
    for c in R2_FUNDAMENTAL_FACTORS:
        if c not in ft.columns:  # bp_lf is already there (and drives the label)
            ft[c] = rng.uniform(-1, 1, len(ft))
    return m


MARKET = _market()
CAL = pd.DatetimeIndex(np.sort(MARKET["factor_table"]["date"].unique()))
# purged by hand: train .. 94, valid 100 .. 109, test 110 .. 129; R2 samples train / valid every 5 days
FOLD = sampled_fold(SPEC, Fold(str(CAL[110].date()), CAL[50:95], CAL[100:110], CAL[110:130]))


def _train(market: dict[str, pd.DataFrame]):
    inputs = prepare_fold_inputs(SPEC, model_tables(market), FOLD)
    out = train_fold(SPEC, FOLD, inputs, hidden=HIDDEN, train_config=TRAIN_CFG, xgb_config=XGB_CFG)
    return inputs, out


@pytest.fixture(scope="module")
def trained():
    return _train(MARKET)


def test_spec_is_two_stage_like_biagru():
    biagru = get_spec(ModelKey.BIAGRU)
    assert SPEC.family is ModelFamily.TWO_STAGE and SPEC.stage2_extras == (R2_FUNDAMENTAL,)
    assert (SPEC.label, SPEC.loss, SPEC.folds, SPEC.feature_set) == (
        biagru.label,
        biagru.loss,
        biagru.folds,
        biagru.feature_set,
    )
    assert set(R2_FUNDAMENTAL_FACTORS) <= set(XGB_FACTORS)  # factor_table computes them
    with pytest.raises(ValueError, match="builder"):
        ModelSpec(ModelKey.BIAGRU_XGB, ModelFamily.TWO_STAGE, Report.R2, FeatureSet.R2, "y", stage2_extras=("e",))
    with pytest.raises(ValueError, match="TWO_STAGE"):
        ModelSpec(
            ModelKey.NN, ModelFamily.TORCH, Report.R1, FeatureSet.R1, "y", build=lambda o: None, stage2_extras=("e",)
        )


def test_train_fold_scores_every_test_day_and_stock(trained):
    inputs, out = trained
    assert inputs.feature_cols == R2_X_COLUMNS and out.options.n_features == 7  # stage 1 reads what biagru reads
    s = out.test_scores
    assert list(s.columns) == ["date", "code", "score"] and len(s) == len(FOLD.test) * N
    assert set(s["date"]) == set(FOLD.test) and not s.duplicated(["date", "code"]).any()
    assert np.isfinite(s["score"]).all() and s["score"].std() > 0
    assert out.stage2_features == [*factor_column_names(32), *R2_FUNDAMENTAL_FACTORS]
    assert out.state_dict is not None and out.xgb is not None
    stage = out.curve["stage"]
    assert (stage == 1).sum() == out.valid_metrics["epochs_run"] == 3
    assert (stage == 2).sum() == out.valid_metrics["stage2_epochs_run"] >= out.valid_metrics["stage2_best_epoch"]
    # stage 2 uses the fundamentals: bp_lf (column 32) drives the label and carries gain
    gain = out.xgb.booster_.get_score(importance_type="gain")
    assert gain.get("f32", 0.0) == max(gain.values())


def test_stage2_features_are_orthogonal_factors_then_fundamentals(trained):
    inputs, out = trained
    model = SPEC.build_model(out.options)
    model.load_state_dict(out.state_dict)
    days = FOLD.test[[0, -1]]
    batches = fold_batches(inputs, days, out.normalizer, labelled=False)
    stage2 = secondary_weighting_batches(model, batches, SPEC.stage2_extras)
    ft = MARKET["factor_table"]
    for b, b2 in zip(batches, stage2, strict=True):
        assert b2.x.shape == (N, 32 + len(R2_FUNDAMENTAL_FACTORS)) and b2.codes == b.codes and b2.seq is None
        deep = b2.x[:, :32].double()
        np.testing.assert_allclose(deep.mean(0).numpy(), 0.0, atol=1e-5)  # centred per day
        np.testing.assert_allclose((deep.T @ deep / N).numpy(), np.eye(32), atol=1e-3)  # orthonormal per day
        with torch.no_grad():
            assert torch.equal(b2.x[:, :32], model.eval().factors(b))
        # the fundamentals: each column z-scored across the day's stocks (uniform: no winsorising)
        day = ft[ft["date"] == b.date].set_index("code").loc[b.codes, list(R2_FUNDAMENTAL_FACTORS)].to_numpy()
        want = (day - day.mean(0)) / day.std(0)
        np.testing.assert_allclose(b2.x[:, 32:].numpy(), want, atol=1e-5)


def test_checkpoint_reload_reproduces_test_scores_bit_for_bit(trained, tmp_path):
    _, out = trained
    path = save_fold(out, tmp_path / "model=biagru_xgb" / f"fold={FOLD.fold_id}")
    assert {p.name for p in path.iterdir()} == {"meta.json", STATE, XGB_MODEL, NORMALIZER, CURVE}
    ck = load_checkpoint(path)
    assert ck.family is ModelFamily.TWO_STAGE and ck.stage2_features == out.stage2_features
    assert ck.features == list(R2_X_COLUMNS) and ck.xgb.best_iteration_ == out.xgb.best_iteration_
    assert all(torch.equal(ck.state_dict[k], v) for k, v in out.state_dict.items())
    # the live path: fresh inputs for the test days, scored with the reloaded checkpoint
    live = prepare_fold_inputs(SPEC, model_tables(MARKET), FOLD)
    again = score_days(ck, live, FOLD.test)
    pd.testing.assert_frame_equal(again, out.test_scores, check_exact=True)
    with pytest.raises(ValueError, match="stage2_features"):
        save_checkpoint(
            tmp_path / "bad",
            spec=SPEC,
            options=out.options,
            features=out.features,
            normalizer=out.normalizer,
            curve=out.curve,
            valid_metrics={},
            state_dict=out.state_dict,
            xgb=out.xgb,
        )


def _model_bytes(out, path) -> dict[str, bytes]:
    d = save_fold(out, path)
    return {name: (d / name).read_bytes() for name in (STATE, XGB_MODEL, NORMALIZER, CURVE)}


def test_future_after_the_valid_window_leaves_the_model_unchanged(trained, tmp_path):
    """Perturb bars, factors (fundamentals) and labels after the last valid day: both stages,
    the normaliser and the curve are byte-identical; perturbing inside the valid window is not."""
    _, out = trained
    base = _model_bytes(out, tmp_path / "base")
    _, late = _train(_perturb_after(MARKET, FOLD.valid[-1]))
    assert _model_bytes(late, tmp_path / "late") == base
    assert late.valid_metrics["stage2_valid_loss"] == out.valid_metrics["stage2_valid_loss"]
    assert not late.test_scores["score"].equals(out.test_scores["score"])  # the test inputs did change
    _, early = _train(_perturb_after(MARKET, FOLD.valid[0]))  # the last valid day moves
    moved = _model_bytes(early, tmp_path / "early")
    assert moved[STATE] != base[STATE] or moved[XGB_MODEL] != base[XGB_MODEL]
