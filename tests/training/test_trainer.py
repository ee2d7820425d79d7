import numpy as np
import pytest
import torch
from torch import nn

from alpha_core.models.gat_residual import GATResidual, GATResidualConfig
from alpha_core.models.mlp import MLP, MLPConfig
from alpha_core.training.dataset import build_day_batches
from alpha_core.training.losses import mse
from alpha_core.training.trainer import (
    Monitor,
    TrainConfig,
    WeightAverage,
    evaluate,
    predict,
    rank_ic_torch,
    seeded,
    train,
)


def _batches(market, lo, hi, groups=True):
    feats, labels, g, dates, _ = market
    return build_day_batches(
        feats,
        ["f0", "f1", "f2", "f3"],
        labels=labels,
        label_col="label",
        groups=g if groups else None,
        dates=dates[lo:hi],
    )


def test_tiny_training_lowers_validation_loss(market):
    tr, va = _batches(market, 0, 25), _batches(market, 60, 72)
    with seeded(0):
        model = GATResidual(GATResidualConfig(4, 8))
    before, _ = evaluate(model, va, mse)
    result = train(model, tr, va, TrainConfig(lr=1e-2, max_epochs=8, patience=8, monitor=Monitor.LOSS, loss="mse"))
    after, ic = evaluate(model, va, mse)
    assert after < before * 0.9
    assert ic > 0.3  # label = f0 + noise: RankIC of the fitted model is clearly positive
    assert result.best_epoch == int(result.curve["valid_loss"].idxmin()) + 1
    assert np.isclose(after, result.curve["valid_loss"].min(), rtol=1e-5)


def test_deterministic_given_seed(market):
    tr, va = _batches(market, 0, 8), _batches(market, 30, 34)
    states = []
    for _ in range(2):
        with seeded(7):
            model = MLP(MLPConfig(4, 8))
        train(model, tr, va, TrainConfig(lr=1e-3, max_epochs=3, seed=7))
        states.append(model.state_dict())
    for k in states[0]:
        assert torch.equal(states[0][k], states[1][k]), k
    with seeded(8):
        other = MLP(MLPConfig(4, 8))
    assert not torch.equal(other.hidden.weight, MLP(MLPConfig(4, 8)).hidden.weight)


def test_gat_residual_training_is_byte_identical_given_seed(market):
    """The rank-1 attention kernels (sort, cumsum, index_select backward) stay deterministic:
    two runs, fresh batches each (layouts rebuilt), give the same bytes and curve."""
    runs = []
    for _ in range(2):
        tr, va = _batches(market, 0, 8), _batches(market, 30, 34)
        assert tr[0].graphs and next(iter(tr[0].graphs.values())).dim() == 1  # group ids
        with seeded(3):
            model = GATResidual(GATResidualConfig(4, 8))
        res = train(model, tr, va, TrainConfig(lr=1e-3, max_epochs=3, seed=3, monitor=Monitor.LOSS))
        runs.append((model.state_dict(), res.curve))
    for k in runs[0][0]:
        assert runs[0][0][k].numpy().tobytes() == runs[1][0][k].numpy().tobytes(), k
    assert runs[0][1].equals(runs[1][1])


def test_seeded_restores_global_state():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    with seeded(0):
        torch.rand(10)
    assert torch.equal(torch.rand(3), expected)
    assert not torch.are_deterministic_algorithms_enabled()


class _Constant(nn.Module):
    """Scores = w * x0; its validation RankIC never improves (always the same ordering)."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.ones(1))
        self.aux_calls = 0

    def forward(self, batch):
        return self.w * batch.x[:, 0]

    def auxiliary_loss(self, batch, scores):
        self.aux_calls += 1
        return 10.0 * self.w.sum() ** 2


def test_early_stopping_callback_and_auxiliary_loss(market):
    tr, va = _batches(market, 0, 10, groups=False), _batches(market, 20, 25, groups=False)
    model = _Constant()
    reports = []
    result = train(model, tr, va, TrainConfig(lr=1e-2, max_epochs=50, patience=3), callback=reports.append)
    assert result.epochs_run == 4 and result.best_epoch == 1  # RankIC flat -> stop after patience
    assert [r.epoch for r in reports] == [1, 2, 3, 4]
    assert model.aux_calls >= 4 * 10  # every training step (and eval) adds the auxiliary loss
    # the auxiliary term pulls w towards 0 while training, but the best (epoch 1) state is restored
    assert float(model.w.detach()) == float(result.best_state["w"])


def test_warm_start(market):
    tr, va = _batches(market, 0, 5), _batches(market, 20, 25)
    with seeded(0):
        a = MLP(MLPConfig(4, 8))
    with seeded(1):
        b = MLP(MLPConfig(4, 8))
    res = train(b, tr, va, TrainConfig(max_epochs=1, lr=0.0), init_state=a.state_dict())
    assert torch.equal(res.best_state["hidden.weight"], a.state_dict()["hidden.weight"])


def test_predict_frame_and_rank_ic(market):
    va = _batches(market, 0, 3)
    model = _Constant()
    out = predict(model, va)
    assert list(out.columns) == ["date", "code", "score"] and len(out) == sum(b.n for b in va)
    assert out["date"].dtype == "datetime64[ns]"
    assert np.isclose(rank_ic_torch(torch.tensor([1.0, 2, 3, 4]), torch.tensor([1.0, 3, 2, 4])), 0.8)


def test_no_validation_days_and_nan_metric(market):
    tr = _batches(market, 0, 5, groups=False)
    model = _Constant()
    res = train(model, tr, [], TrainConfig(lr=1e-2, max_epochs=3, patience=5))
    assert res.monitor is Monitor.LOSS and res.best_epoch >= 1

    # constant scores: RankIC is NaN every epoch; epoch 1 is kept rather than nothing
    class _Flat(_Constant):
        def forward(self, batch):
            return self.w * torch.ones(batch.n)

    res = train(_Flat(), tr, tr, TrainConfig(max_epochs=3, patience=2))
    assert res.best_epoch == 1 and res.epochs_run == 3


def test_weight_average_is_the_exponential_moving_average_and_swaps_back():
    model = nn.BatchNorm1d(1)  # a weight (float), running stats (float) and a batch counter (int)
    with torch.no_grad():
        model.weight.fill_(1.0)
    ema = WeightAverage(model, decay=0.5)
    for value in (3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(value)
            model.num_batches_tracked.fill_(int(value))
        ema.update()
    # 0.5 * (0.5 * 1 + 0.5 * 3) + 0.5 * 5 = 3.5
    assert float(ema.avg["weight"]) == 3.5 and "num_batches_tracked" not in ema.avg
    ema.swap()
    assert float(model.weight.detach()) == 3.5 and int(model.num_batches_tracked) == 5
    ema.swap()
    assert float(model.weight.detach()) == 5.0 and float(ema.avg["weight"]) == 3.5


def test_training_with_weight_average_returns_the_averaged_weights(market):
    tr, va = _batches(market, 0, 8), _batches(market, 30, 34)
    states = {}
    for name, decay in (("plain", None), ("tiny", 1e-12), ("ema", 0.9)):
        with seeded(3):
            model = MLP(MLPConfig(4, 8))
        res = train(model, tr, va, TrainConfig(lr=1e-2, max_epochs=4, patience=10, seed=3, weight_ema=decay))
        states[name] = (model.state_dict(), res)
    plain, tiny, ema = (states[k][0] for k in ("plain", "tiny", "ema"))
    # a vanishing decay averages over one step: the same weights as plain training
    for k in plain:
        torch.testing.assert_close(tiny[k], plain[k], rtol=0, atol=1e-6)
    assert not torch.allclose(ema["hidden.weight"], plain["hidden.weight"])
    # the returned (averaged) weights are the ones whose validation RankIC the curve shows
    res = states["ema"][1]
    _, ic = evaluate(_ema_model(ema), va, mse)
    assert np.isclose(ic, res.curve.loc[res.curve["epoch"] == res.best_epoch, "valid_rank_ic"].iloc[0], atol=1e-6)
    with pytest.raises(ValueError, match="weight_ema"):
        WeightAverage(MLP(MLPConfig(4, 8)), 1.0)


def _ema_model(state):
    model = MLP(MLPConfig(4, 8))
    model.load_state_dict(state)
    return model
