"""A fold reads only its :class:`~alpha_core.training.run.ReadWindow`: the lineage it records is the truth.

``model_checkpoint`` reads features over ``[window.first, window.last]`` and labels over
``[window.labels_first, window.labels_last]`` and records those months as read. That is honest
only if the fold's scores do not depend on anything outside the window: each model is trained
twice through :func:`alpha_core.training.run.run_fold`, on the whole history and on the tables cut
to its window, and the test scores must be byte-identical.
"""

import os
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.training.inputs import ModelTables
from alpha_core.training.run import FoldRunConfig, read_window, run_fold
from alpha_core.training.specs import get_spec

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_inputs import model_tables, tiny_market  # noqa: E402

N = 20
MARKET = tiny_market(N, "2020-01-01", "2020-10-30")
CAL = pd.DatetimeIndex(np.sort(MARKET["factor_table"]["date"].unique()))
PLAN = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
FOLD = make_folds(CAL, PLAN)[-1]  # the last fold: its window starts well after the first day
CONFIG = FoldRunConfig(max_epochs=2, lr=1e-3, hidden=8, train_day_step=2, num_threads=1)


def _cut(frame: pd.DataFrame, first: pd.Timestamp, last: pd.Timestamp) -> pd.DataFrame:
    return frame[(frame["date"] >= first) & (frame["date"] <= last)].reset_index(drop=True)


def _window_tables(model: str) -> tuple[ModelTables, int]:
    w = read_window(model, FOLD.fold_id, CAL, CONFIG, plan=PLAN, per_model_lengths=False)
    full = model_tables(MARKET)
    cut = ModelTables(
        _cut(full.factor_table, w.first, w.last),
        _cut(full.labels, w.labels_first, w.labels_last),
        _cut(full.universe, w.first, w.last),
        _cut(full.raw_bars, w.first, w.last),
        full.industry_map,
        adjacency=full.adjacency if w.reads_adjacency else None,
        macro_series=full.macro_series if w.reads_macro else None,
    )
    return cut, len(full.factor_table) - len(cut.factor_table)


@pytest.fixture
def one_torch_thread():
    prev = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(prev)


@pytest.mark.parametrize("model", ["nn", "xgboost", "biagru", "multi_transformer", "pinn_mticg"])
def test_scores_depend_only_on_the_read_window(model, tmp_path, one_torch_thread):
    cut, dropped = _window_tables(model)
    assert dropped > 0  # the window leaves history out: the comparison is not vacuous
    a = run_fold(
        model,
        FOLD.fold_id,
        model_tables(MARKET),
        CONFIG,
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "full",
    )
    b = run_fold(
        model,
        FOLD.fold_id,
        cut,
        CONFIG,
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "cut",
        calendar=CAL,
    )
    assert len(a.scores) == len(FOLD.test) * N and a.scores["score"].std() > 0
    pd.testing.assert_frame_equal(a.scores.reset_index(drop=True), b.scores.reset_index(drop=True), check_exact=True)


def test_window_spans_the_sequence_history_and_labels_stop_at_validation():
    spec = get_spec("biagru")
    w = read_window("biagru", FOLD.fold_id, CAL, CONFIG, plan=PLAN, per_model_lengths=False)
    train_start = int(CAL.searchsorted(FOLD.train[0]))
    assert w.first == CAL[train_start - spec.inputs.seq_length] and w.last == FOLD.test[-1]
    assert w.labels_first == FOLD.train[0] and w.labels_last == FOLD.valid[-1]
    assert not w.reads_macro
    r1 = read_window("nn", FOLD.fold_id, CAL, CONFIG, plan=PLAN, per_model_lengths=False)
    assert r1.first == FOLD.train[0] and not r1.reads_adjacency
    pinn = read_window("pinn_mticg", FOLD.fold_id, CAL, CONFIG, plan=PLAN, per_model_lengths=False)
    assert pinn.reads_adjacency and pinn.reads_macro
