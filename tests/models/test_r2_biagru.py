"""BiAGRU, its orthogonal variant and BiAGRU-GAT (R2)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.models.attention import mask_to_edge_index
from alpha_core.models.biagru import AttentionPool, BiAGRU, BiAGRUConfig
from alpha_core.models.biagru_gat import BiAGRUGAT, BiAGRUGATConfig
from alpha_core.training.losses import LossKind
from alpha_core.training.trainer import seeded

# The planted cross-section lives in the sibling test_r3_synthetic.py; with pytest's importlib
# import mode the test directory is not on sys.path, so put it there (idempotent).
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from test_r3_synthetic import fit_lowers_valid_loss, one_torch_thread, planted_days  # noqa: E402, F401 (fixture)

S = 7  # R2 daily price/volume fields
SMALL = dict(n_inputs=S, window=20, hidden=16)


def day(seed: int = 0, n: int = 48):
    return planted_days(1, n=n, seq_len=40, n_seq=S, seed=seed)[0]


def build(kind: str, **kw):
    cfg = BiAGRUConfig(**{**SMALL, **kw})
    with seeded(0):
        if kind == "biagru_gat":
            return BiAGRUGAT(BiAGRUGATConfig(cfg, graph="r2_similarity", hidden=16, heads=2))
        return BiAGRU(cfg)


@pytest.mark.parametrize(
    "kind,kw", [("biagru", {}), ("biagru", {"orthogonal": True, "n_factors": 8}), ("biagru_gat", {})]
)
def test_shapes_and_gradients_reach_every_parameter(kind, kw):
    model = build(kind, **kw)
    b = day()
    scores = model(b)
    assert scores.shape == (b.n,)
    assert torch.isfinite(scores).all()
    ((scores - b.y) ** 2).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_attention_pool_weights_sum_to_one_and_pool_is_the_weighted_mean():
    with seeded(1):
        pool = AttentionPool(6, 4)
    h = torch.randn(5, 9, 6, generator=torch.Generator().manual_seed(0))
    w = pool.weights(h)
    assert torch.allclose(w.sum(dim=1), torch.ones(5))
    # hand computation of the additive attention
    e = (torch.tanh(h @ pool.proj.weight.T + pool.proj.bias) @ pool.score.weight.T).squeeze(-1)
    a = torch.exp(e) / torch.exp(e).sum(dim=1, keepdim=True)
    assert torch.allclose(pool(h), (a[..., None] * h).sum(dim=1), atol=1e-6)


def test_only_the_last_window_steps_are_read_and_stocks_do_not_leak():
    model = build("biagru").eval()
    b = day()
    base = model(b).detach()
    seq = b.seq.clone()
    seq[:, : seq.shape[1] - SMALL["window"], :] += 100.0  # older than the window
    assert torch.allclose(model(dataclasses.replace(b, seq=seq)), base)
    seq = b.seq.clone()
    seq[5:] = torch.randn_like(seq[5:])  # other stocks changed: the first five scores stay
    assert torch.allclose(model(dataclasses.replace(b, seq=seq))[:5], base[:5], atol=1e-6)


def test_gat_correction_uses_neighbours_only():
    model = build("biagru_gat").eval()
    b = day()
    mask = b.graphs["r2_similarity"]
    base = model(b).detach()
    j = 3
    seq = b.seq.clone()
    seq[j] += 1.0
    moved = (model(dataclasses.replace(b, seq=seq)) - base).abs() > 1e-6
    neighbours = mask[:, j].clone()
    neighbours[j] = True
    assert moved[neighbours].all()
    assert not moved[~neighbours].any()
    # the sparse edge_index of the same graph gives the same scores
    sparse = dataclasses.replace(b, graphs={"r2_similarity": mask_to_edge_index(mask)})
    assert torch.allclose(model(sparse), base, atol=1e-5)


def test_bad_inputs_name_the_day_and_the_stock():
    model = build("biagru")
    b = day()
    seq = b.seq.clone()
    seq[7, -1, 2] = float("nan")
    with pytest.raises(DataContractError, match="SZ000007") as err:
        model(dataclasses.replace(b, seq=seq))
    assert "2020-01-02" in str(err.value)
    with pytest.raises(DataContractError, match="needs 20"):
        model(dataclasses.replace(b, seq=b.seq[:, :10]))
    with pytest.raises(DataContractError, match="missing"):
        model(dataclasses.replace(b, seq=None))
    with pytest.raises(DataContractError, match="r2_similarity"):
        build("biagru_gat")(dataclasses.replace(b, graphs={}))
    small = planted_days(1, n=8, seq_len=40, n_seq=S)[0]
    with pytest.raises(DataContractError, match="the day has 8") as err:
        build("biagru", orthogonal=True, n_factors=8)(small)
    assert "2020-01-02" in str(err.value)


def test_repr_is_readable():
    text = repr(build("biagru", orthogonal=True, n_factors=8))
    assert "window=20" in text and "orthogonal=8(lowdin)" in text
    assert "graph='r2_similarity'" in repr(build("biagru_gat"))


@pytest.mark.parametrize(
    "kind,kw", [("biagru", {}), ("biagru", {"orthogonal": True, "n_factors": 8}), ("biagru_gat", {})]
)
def test_short_training_lowers_validation_loss(kind, kw):
    before, after = fit_lowers_valid_loss(
        lambda: build(kind, **kw), LossKind.MSE, seq_len=40, n_seq=S, n=48, weights=(2.0, 1.0, 0.0)
    )
    assert after < before - 0.05, (before, after)


def test_factor_frame_is_long_and_orthogonal_per_day():
    model = build("biagru", orthogonal=True, n_factors=8)
    days = planted_days(2, n=48, seq_len=40, n_seq=S)
    frame = model.factor_frame(days)
    assert list(frame.columns[:3]) == ["date", "code", "dl_f00"] and frame.shape == (96, 10)
    for _, g in frame.groupby("date"):
        f = g.filter(like="dl_f").to_numpy()
        np.testing.assert_allclose(f.T @ f / len(f), np.eye(8), atol=1e-4)
