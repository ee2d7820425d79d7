"""Progress lines of training (epochs, boosting rounds): one per epoch when unthrottled, a final
line, and training that is byte-identical with or without them."""

import re

import pandas as pd
import torch

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.models.mlp import MLP, MLPConfig
from alpha_core.progress import ProgressLog
from alpha_core.training.boosting import XGBConfig, XGBEarlyStop
from alpha_core.training.dataset import build_day_batches
from alpha_core.training.specs import get_spec
from alpha_core.training.trainer import Monitor, TrainConfig, seeded, train
from alpha_core.training.walkforward import FoldInputs, train_fold

FOLDS = FoldConfig(train_days=40, valid_days=20, test_days=15, step_days=15, purge_days=10)


class ListLog:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, msg: str, *args: object) -> None:
        self.lines.append(msg % args)


class TickingClock:
    """Every reading is one second after the previous one."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += 1.0
        return self.now


def _sink(log: ListLog) -> ProgressLog:
    return ProgressLog(log, every_s=0, clock=TickingClock())


def _batches(market, lo, hi):
    feats, labels, _, dates, _ = market
    return build_day_batches(feats, ["f0", "f1", "f2", "f3"], labels=labels, label_col="label", dates=dates[lo:hi])


def _train(market, cfg, progress_log=None):
    tr, va = _batches(market, 0, 10), _batches(market, 30, 36)
    with seeded(cfg.seed):
        model = MLP(MLPConfig(4, 8))
    result = train(model, tr, va, cfg, progress_log=progress_log)
    return model.state_dict(), result


def _same_state(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> bool:
    return a.keys() == b.keys() and all(a[k].numpy().tobytes() == b[k].numpy().tobytes() for k in a)


def test_one_line_per_epoch_and_identical_training(market):
    cfg = TrainConfig(lr=1e-3, max_epochs=4, patience=4, seed=5, monitor=Monitor.LOSS)
    log = ListLog()
    state, result = _train(market, cfg, _sink(log))
    plain_state, plain = _train(market, cfg)
    assert _same_state(state, plain_state)
    pd.testing.assert_frame_equal(result.curve, plain.curve)
    assert result.epochs_run == plain.epochs_run == 4 and result.best_epoch == plain.best_epoch
    # patience == max_epochs: no early stop, so the ETA is exact (no "<="); clock: 1 at the start, +1 per epoch
    assert [line.split(";")[0] for line in log.lines] == [
        "epoch 1/4 (25%): elapsed 0:01, ETA 0:03",
        "epoch 2/4 (50%): elapsed 0:02, ETA 0:02",
        "epoch 3/4 (75%): elapsed 0:03, ETA 0:01",
        "epoch 4/4 done in 0:04",
    ]
    first = result.curve.iloc[0]
    assert log.lines[0].endswith(
        f"; train {first['train_loss']:.5f} valid {first['valid_loss']:.5f} "
        f"RankIC {first['valid_rank_ic']:.4f} (best epoch 1)"
    )


def test_early_stop_ends_with_a_final_line(market):
    cfg = TrainConfig(lr=1e-3, max_epochs=40, patience=1, seed=1)
    log = ListLog()
    _, result = _train(market, cfg, _sink(log))
    assert result.epochs_run < 40  # RankIC with patience 1 stops long before 40 epochs
    n = result.epochs_run
    assert len(log.lines) == n + 1
    assert all(
        re.match(rf"epoch {k}/40 \(\d+%\): elapsed \S+, ETA <= ", line) for k, line in enumerate(log.lines[:n], 1)
    )
    assert log.lines[-1] == f"epoch {n}/40 done in 0:{n + 1:02d} (stopped early); best epoch {result.best_epoch}"


def test_throttled_by_default_a_fast_run_logs_only_its_final_line(market):
    log = ListLog()
    _train(market, TrainConfig(lr=1e-3, max_epochs=3, patience=3), ProgressLog(log))
    assert len(log.lines) == 1 and log.lines[0].startswith("epoch 3/3 done in 0:0")


def _fold(market):
    feats, labels, groups, dates, _ = market
    return FoldInputs(feats, labels, ("f0", "f1", "f2", "f3"), "label", groups=groups), make_folds(dates, FOLDS)[0]


def test_train_fold_torch_prefixes_lines_and_scores_identically(market):
    inputs, fold = _fold(market)
    log = ListLog()
    kw = {"hidden": 8, "train_config": TrainConfig(lr=1e-3, max_epochs=2, patience=2), "seed": 3}
    out = train_fold(get_spec("gat_residual"), fold, inputs, progress_log=_sink(log), **kw)
    plain = train_fold(get_spec("gat_residual"), fold, inputs, **kw)
    pd.testing.assert_frame_equal(out.test_scores, plain.test_scores)
    assert _same_state(out.state_dict, plain.state_dict)
    prefix = f"gat_residual {fold.fold_id} seed 3: "
    assert len(log.lines) == 2
    assert log.lines[0].startswith(prefix + "epoch 1/2 (50%): elapsed 0:01, ETA 0:01; train ")
    assert log.lines[1].startswith(prefix + "epoch 2/2 done in 0:02; train ")


def test_train_fold_xgboost_rounds_and_identical_scores(market):
    inputs, fold = _fold(market)
    for metric in XGBEarlyStop:
        cfg = XGBConfig(num_rounds=60, early_stopping=5, n_threads=1, early_stop_metric=metric)
        log = ListLog()
        out = train_fold(get_spec("xgboost"), fold, inputs, xgb_config=cfg, progress_log=_sink(log))
        plain = train_fold(get_spec("xgboost"), fold, inputs, xgb_config=cfg)
        pd.testing.assert_frame_equal(out.test_scores, plain.test_scores)
        pd.testing.assert_frame_equal(out.curve, plain.curve)
        assert out.xgb.best_iteration_ == plain.xgb.best_iteration_
        rounds = len(out.curve)
        assert len(log.lines) == rounds + (rounds < 60)  # one per round (unthrottled), a final line on early stop
        assert log.lines[0].startswith(
            f"xgboost {fold.fold_id} seed 0: boosting round 1/60 (1%): elapsed 0:01, ETA <= 0:59; valid rmse "
        )
        assert f"boosting round {rounds}/60 done in" in log.lines[-1]
        if rounds < 60:
            assert log.lines[-1].endswith(f"(stopped early); best round {out.xgb.best_iteration_ + 1}")
