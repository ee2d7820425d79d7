import numpy as np
import pandas as pd

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.training.ensemble import ensemble_scores, seed_spread
from alpha_core.training.signals import stitch_signals

CAL = pd.bdate_range("2020-01-01", periods=60)


def _pred(dates, value):
    return pd.DataFrame({"date": dates, "code": "SH600000", "score": value})


def test_each_date_from_its_covering_fold():
    cfg = FoldConfig(train_days=20, valid_days=15, test_days=10, step_days=10, purge_days=10)
    folds = make_folds(CAL, cfg)
    # each fold predicts beyond its window (as a model could); stitching keeps only its window
    preds = {f.fold_id: _pred(CAL[CAL >= f.test_start], k) for k, f in enumerate(folds)}
    sig = stitch_signals(preds, folds, "nn")
    assert list(sig.columns) == ["date", "code", "model", "fold", "score"]
    assert sig["date"].is_unique and len(sig) == 60 - 35
    for f, k in zip(folds, range(len(folds))):
        part = sig[sig["fold"] == f.fold_id]
        assert part["date"].tolist() == list(f.test) and (part["score"] == k).all()
    missing = stitch_signals({folds[0].fold_id: preds[folds[0].fold_id]}, folds, "nn")
    assert missing["date"].tolist() == list(folds[0].test)
    assert stitch_signals({}, folds, "nn").empty


def test_ensemble_and_spread():
    d = pd.Timestamp("2021-01-04")
    a = pd.DataFrame({"date": d, "code": ["A", "B", "C"], "score": [1.0, 2.0, 3.0]})
    b = pd.DataFrame({"date": d, "code": ["A", "B", "C"], "score": [30.0, 10.0, 20.0]})
    out = ensemble_scores([a, b])
    z = 1.0 / np.std([1.0, 2.0, 3.0])  # z-scores are (-z, 0, z) for both seeds in some order
    np.testing.assert_allclose(out["score"], [(-z + z) / 2, (0 - z) / 2, (z + 0) / 2])
    np.testing.assert_allclose(out["seed_std"], [z, z / 2, z / 2])
    spread = seed_spread([{"rank_ic": 0.05}, {"rank_ic": 0.07}])
    assert np.isclose(spread.loc["rank_ic", "mean"], 0.06) and np.isclose(
        spread.loc["rank_ic", "std"], np.std([0.05, 0.07], ddof=1)
    )


def test_train_fold_ensemble(market):
    from alpha_core.training.ensemble import train_fold_ensemble
    from alpha_core.training.specs import get_spec
    from alpha_core.training.trainer import TrainConfig
    from alpha_core.training.walkforward import FoldInputs

    feats, labels, groups, dates, _ = market
    fold = make_folds(dates, FoldConfig(train_days=20, valid_days=15, test_days=10, step_days=10, purge_days=10))[0]
    inputs = FoldInputs(feats, labels, ("f0", "f1"), "label", groups=groups)
    outs, scores, spread = train_fold_ensemble(
        get_spec("nn"), fold, inputs, [0, 1], hidden=8, train_config=TrainConfig(max_epochs=2)
    )
    assert len(outs) == 2 and not outs[0].test_scores["score"].equals(outs[1].test_scores["score"])
    assert len(scores) == len(outs[0].test_scores) and (scores["seed_std"] >= 0).all()
    assert spread.loc["valid_rank_ic", "n"] == 2


def test_rank_ensemble_is_the_mean_of_percentile_ranks():
    from alpha_core.training.ensemble import EnsembleMethod

    d = pd.Timestamp("2021-01-04")
    a = pd.DataFrame({"date": d, "code": ["A", "B", "C", "D"], "score": [1.0, 2.0, 2.0, 100.0]})
    b = pd.DataFrame({"date": d, "code": ["A", "B", "C", "D"], "score": [-5.0, 7.0, 3.0, 0.0]})
    out = ensemble_scores([a, b], EnsembleMethod.RANK)
    # a: ranks (1, 2.5, 2.5, 4) / 4; b: ranks (1, 4, 3, 2) / 4 -- the outlier 100 weighs as a rank
    np.testing.assert_allclose(out["score"], [(1 + 1) / 8, (2.5 + 4) / 8, (2.5 + 3) / 8, (4 + 2) / 8])
    np.testing.assert_allclose(out["seed_std"], [0.0, 0.75 / 4, 0.25 / 4, 1.0 / 4])
