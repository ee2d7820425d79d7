import pandas as pd
import pytest
import torch

from alpha_core.errors import CorruptFileError
from alpha_core.folds import FoldConfig, make_folds
from alpha_core.training.checkpoint import STATE, XGB_MODEL, load_checkpoint
from alpha_core.training.specs import get_spec
from alpha_core.training.trainer import TrainConfig
from alpha_core.training.walkforward import FoldInputs, fold_batches, save_fold, train_fold

CFG = FoldConfig(train_days=40, valid_days=20, test_days=15, step_days=15, purge_days=10)


def _inputs(market):
    feats, labels, groups, dates, _ = market
    return FoldInputs(feats, labels, ("f0", "f1", "f2", "f3"), "label", groups=groups), make_folds(dates, CFG)


def test_torch_round_trip_reproduces_predictions(market, tmp_path):
    inputs, folds = _inputs(market)
    out = train_fold(
        get_spec("gat_residual"), folds[0], inputs, hidden=16, train_config=TrainConfig(lr=1e-3, max_epochs=3)
    )
    path = save_fold(out, tmp_path / "ck")
    ck = load_checkpoint(path)
    assert (
        ck.features == ["f0", "f1", "f2", "f3"] and ck.options.hidden == 16 and ck.meta["fold_id"] == folds[0].fold_id
    )
    assert len(ck.curve) == out.valid_metrics["epochs_run"] and "valid_rank_ic" in ck.valid_metrics
    test_b = fold_batches(inputs, folds[0].test, ck.normalizer, labelled=False)
    again = ck.predict(test_b)
    pd.testing.assert_frame_equal(again, out.test_scores)
    assert all(torch.equal(ck.state_dict[k], v) for k, v in out.state_dict.items())
    assert not (tmp_path / "ck.tmp").exists()


def test_xgboost_round_trip(market, tmp_path):
    inputs, folds = _inputs(market)
    out = train_fold(get_spec("xgboost"), folds[0], inputs)
    ck = load_checkpoint(save_fold(out, tmp_path / "xgb"))
    again = ck.predict(fold_batches(inputs, folds[0].test, ck.normalizer, labelled=False))
    pd.testing.assert_frame_equal(again, out.test_scores)
    assert ck.meta["xgb_config"]["max_depth"] == 3


def test_normalizer_in_checkpoint_ignores_test_window(market, tmp_path):
    inputs, folds = _inputs(market)
    feats = inputs.features.copy()
    feats.loc[feats["date"] >= folds[0].valid[0], "f1"] += 50.0
    a = train_fold(get_spec("nn"), folds[0], inputs, train_config=TrainConfig(max_epochs=1))
    b = train_fold(
        get_spec("nn"),
        folds[0],
        FoldInputs(feats, inputs.labels, inputs.feature_cols, "label"),
        train_config=TrainConfig(max_epochs=1),
    )
    assert (a.normalizer.mean_ == b.normalizer.mean_).all()


@pytest.mark.parametrize("model_key, part", [("gat_residual", STATE), ("xgboost", XGB_MODEL)])
def test_truncated_checkpoint_names_the_file(market, tmp_path, model_key, part):
    """A checkpoint file cut short (disk full, killed copy) raises naming that file, not EOFError('')."""
    inputs, folds = _inputs(market)
    kw = {"hidden": 8, "train_config": TrainConfig(lr=1e-3, max_epochs=1)} if model_key == "gat_residual" else {}
    path = save_fold(train_fold(get_spec(model_key), folds[0], inputs, **kw), tmp_path / model_key)
    load_checkpoint(path)  # intact: loads
    file = path / part
    file.write_bytes(file.read_bytes()[: file.stat().st_size // 3])
    with pytest.raises(CorruptFileError) as exc:
        load_checkpoint(path)
    assert exc.value.file == str(file) and str(file) in str(exc.value)
