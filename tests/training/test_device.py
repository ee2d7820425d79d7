"""Device placement (issue 19, GPU-ready training): the policy, batches on a device, the CPU path
unchanged and recorded, a CUDA request on a machine without one refused with a clear error."""

import os
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.batch import DayBatch, GroupLayout
from alpha_core.folds import FoldConfig, make_folds
from alpha_core.settings import Settings
from alpha_core.training.checkpoint import load_checkpoint
from alpha_core.training.device import DevicePolicy, DeviceUnavailableError, resolve_device
from alpha_core.training.run import FoldRunConfig, run_fold
from alpha_core.training.trainer import on_device

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_inputs import model_tables, tiny_market  # noqa: E402

MARKET = tiny_market(20, "2020-01-01", "2020-07-31")
CAL = pd.DatetimeIndex(np.sort(MARKET["factor_table"]["date"].unique()))
PLAN = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
FOLD = make_folds(CAL, PLAN)[0]
CONFIG = FoldRunConfig(max_epochs=2, lr=1e-3, hidden=8, train_day_step=2, num_threads=1)
META = torch.device("meta")  # a non-CPU device every machine has: placement without a GPU


def _batch() -> DayBatch:
    return DayBatch(
        pd.Timestamp("2020-01-02"),
        ["a", "b", "c"],
        x=torch.ones(3, 2),
        y=torch.zeros(3),
        seq=torch.ones(3, 4, 2),
        graphs={"industry": torch.tensor([0, 0, 1])},
        macro=torch.ones(3),
        extras={"node": torch.ones(3, 1)},
    )


def test_policies_resolve_on_a_machine_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device(DevicePolicy.CPU) == torch.device("cpu")
    assert resolve_device("auto") == torch.device("cpu")
    with pytest.raises(DeviceUnavailableError, match="CUDA.*no CUDA device"):
        resolve_device(DevicePolicy.CUDA)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_device(DevicePolicy.AUTO) == torch.device("cuda", 0)
    assert resolve_device(DevicePolicy.CPU) == torch.device("cpu")


def test_settings_read_alpha_device(monkeypatch):
    monkeypatch.setenv("ALPHA_DEVICE", "CUDA")
    assert Settings.from_env().device is DevicePolicy.CUDA
    monkeypatch.delenv("ALPHA_DEVICE")
    assert Settings.from_env().device is DevicePolicy.AUTO
    monkeypatch.setenv("ALPHA_DEVICE", "tpu")
    with pytest.raises(ValueError, match="ALPHA_DEVICE='tpu'"):
        Settings.from_env()


def test_a_batch_moves_every_tensor_and_stays_put_where_it_is():
    b = _batch()
    assert b.to(torch.device("cpu")) is b
    moved = b.to(META)
    tensors = [moved.x, moved.y, moved.seq, moved.macro, *moved.graphs.values(), *moved.extras.values()]
    assert all(t.device == META for t in tensors) and moved.codes == b.codes and b.x.device.type == "cpu"
    layout = GroupLayout.from_groups(torch.tensor([0, 0, 1]))
    assert layout.slots.tolist() == [[0, 1], [2, 3]] and layout.position.tolist() == [0, 1, 2]


def test_lists_move_once_and_lazy_sequences_as_they_are_read():
    class Lazy:
        reads = 0

        def __len__(self):
            return 2

        def __getitem__(self, i):
            Lazy.reads += 1
            return _batch()

    eager = on_device([_batch(), _batch()], META)
    assert isinstance(eager, list) and all(b.x.device == META for b in eager)
    lazy = on_device(Lazy(), META)
    assert Lazy.reads == 0 and len(lazy) == 2
    assert lazy[1].x.device == META and Lazy.reads == 1


def test_the_cpu_path_gives_the_same_bytes_and_records_its_device(tmp_path):
    auto = run_fold(
        "nn",
        FOLD.fold_id,
        model_tables(MARKET),
        CONFIG,
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "auto",
    )
    cpu = run_fold(
        "nn",
        FOLD.fold_id,
        model_tables(MARKET),
        FoldRunConfig(**{**CONFIG.__dict__, "device": "cpu"}),
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "cpu",
    )
    if not torch.cuda.is_available():  # AUTO is the CPU here: byte-identical
        pd.testing.assert_frame_equal(auto.scores, cpu.scores, check_exact=True)
    assert load_checkpoint(cpu.checkpoint).meta["extra"]["device"] == "cpu"
    assert cpu.outcome.device == "cpu"


def test_a_cuda_request_without_a_gpu_fails_before_training(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceUnavailableError):
        run_fold(
            "nn",
            FOLD.fold_id,
            model_tables(MARKET),
            FoldRunConfig(**{**CONFIG.__dict__, "device": "cuda"}),
            plan=PLAN,
            per_model_lengths=False,
            checkpoint_root=tmp_path,
        )
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.skipif(not torch.cuda.is_available(), reason="the CUDA path runs where torch sees a GPU")
def test_scores_on_cuda_match_the_cpu_to_float_tolerance(tmp_path):
    cpu = run_fold(
        "nn",
        FOLD.fold_id,
        model_tables(MARKET),
        FoldRunConfig(**{**CONFIG.__dict__, "device": "cpu"}),
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "cpu",
    )
    gpu = run_fold(
        "nn",
        FOLD.fold_id,
        model_tables(MARKET),
        FoldRunConfig(**{**CONFIG.__dict__, "device": "cuda"}),
        plan=PLAN,
        per_model_lengths=False,
        checkpoint_root=tmp_path / "gpu",
    )
    assert gpu.outcome.device.startswith("cuda")
    np.testing.assert_allclose(gpu.scores["score"], cpu.scores["score"], rtol=1e-3, atol=1e-4)
