"""R3 models: multi-scale Transformer, indcap-GAT, MTICG and PINN-MTICG."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.models.attention import mask_to_edge_index
from alpha_core.models.indcap_gat import IndcapGAT, IndcapGATConfig
from alpha_core.models.mticg import MTICG, MTICGConfig
from alpha_core.models.multi_transformer import MultiTransformer, MultiTransformerConfig
from alpha_core.models.pinn import MacroStateConfig
from alpha_core.training.losses import LossKind, ic_loss
from alpha_core.training.trainer import Monitor, TrainConfig, rank_ic_torch, seeded, train

# The planted cross-section lives in the sibling test_r3_synthetic.py; with pytest's importlib
# import mode the test directory is not on sys.path, so put it there (idempotent).
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from test_r3_synthetic import fit_lowers_valid_loss, one_torch_thread, planted_days  # noqa: E402, F401 (fixture)

TF = MultiTransformerConfig(d_model=16, n_heads=2, n_layers=1, dim_feedforward=32, dropout=0.0)
GAT = IndcapGATConfig(hidden=16, heads=2, dropout=0.0)


def build(kind: str, physics_weight: float = 0.1):
    with seeded(0):
        if kind == "multi_transformer":
            return MultiTransformer(TF)
        if kind == "indcap_gat":
            return IndcapGAT(GAT)
        macro = MacroStateConfig(hidden=8, physics_weight=physics_weight) if kind == "pinn_mticg" else None
        return MTICG(MTICGConfig(TF, GAT, macro, fusion_hidden=16))


KINDS = ["multi_transformer", "indcap_gat", "mticg", "pinn_mticg"]


def day(seed=0, n=40):
    return planted_days(1, n=n, seed=seed)[0]


@pytest.mark.parametrize("kind", KINDS)
def test_shapes_and_gradients_reach_every_parameter(kind):
    model = build(kind)
    b = day()
    scores = model(b)
    assert scores.shape == (b.n,) and torch.isfinite(scores).all()
    # MSE, not 1 - IC: a correlation is blind to the output bias (its gradient is exactly 0)
    loss = ((scores - b.y) ** 2).mean()
    if hasattr(model, "auxiliary_loss"):
        loss = loss + model.auxiliary_loss(b, scores)
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_ic_loss_is_one_minus_pearson():
    rng = np.random.default_rng(0)
    pred, label = rng.standard_normal(30), rng.standard_normal(30) + 0.5 * np.arange(30) / 30
    expected = 1.0 - np.corrcoef(pred, label)[0, 1]
    got = ic_loss(torch.tensor(pred), torch.tensor(label), eps=0.0)
    assert float(got) == pytest.approx(expected, abs=1e-12)
    # scale and shift invariant, as a correlation must be
    assert float(ic_loss(torch.tensor(3 * pred + 7), torch.tensor(label), eps=0.0)) == pytest.approx(expected)


def test_scales_are_upsampled_linearly_and_gated():
    model = build("multi_transformer").eval()
    b = day()
    enc = model.encoder
    ups = enc.sequences(b)
    assert ups.shape == (b.n, 80, 3, 16)
    # scale 20: its own encoder output interpolated linearly (align_corners) to 80 steps
    z20 = enc.scales[0](b.seq[:, -20:, :]).detach().numpy()
    grid = np.linspace(0, 19, 80)
    expected = np.interp(grid, np.arange(20), z20[0, :, 3])
    np.testing.assert_allclose(ups[0, :, 0, 3].detach().numpy(), expected, atol=1e-5)
    # scale 80 is untouched
    assert torch.allclose(ups[:, :, 2], enc.scales[2](b.seq))
    g = enc.gate_weights(ups)
    assert g.shape == (b.n, 80, 3) and torch.allclose(g.sum(-1), torch.ones(b.n, 80))
    pooled = (g.unsqueeze(-1) * ups).sum(2).mean(1)
    assert torch.allclose(model(b), model.output(pooled).squeeze(-1), atol=1e-6)


def test_transformer_reads_only_the_last_80_steps_and_no_other_stock():
    model = build("multi_transformer").eval()
    b = planted_days(1, n=20, seq_len=100)[0]
    base = model(b).detach()
    seq = b.seq.clone()
    seq[:, :20] = 50.0
    assert torch.allclose(model(dataclasses.replace(b, seq=seq)), base)
    seq = b.seq.clone()
    seq[1:] = 0.0
    assert torch.allclose(model(dataclasses.replace(b, seq=seq))[0], base[0], atol=1e-6)
    with pytest.raises(DataContractError, match="needs 80"):
        model(dataclasses.replace(b, seq=b.seq[:, -60:]))


def test_indcap_dense_and_sparse_graphs_agree_and_bad_graphs_raise():
    model = build("indcap_gat").eval()
    b = day()
    base = model(b)
    graphs = {"r3_industry": mask_to_edge_index(b.graphs["r3_industry"]), "r3_flow": b.graphs["r3_flow"]}
    assert torch.allclose(model(dataclasses.replace(b, graphs=graphs)), base, atol=1e-5)
    with pytest.raises(DataContractError, match="r3_flow"):
        model(dataclasses.replace(b, graphs={"r3_industry": b.graphs["r3_industry"]}))
    bad = b.graphs["r3_flow"].clone()
    bad[0, 0] = b.n
    with pytest.raises(DataContractError, match="outside"):
        model(dataclasses.replace(b, graphs={**b.graphs, "r3_flow": bad}))
    extras = {**b.extras, "r3_node_flow": b.extras["r3_node_flow"][:, :5]}
    with pytest.raises(DataContractError, match="model expects 19"):
        model(dataclasses.replace(b, extras=extras))


def test_indcap_uses_graph_neighbours_only():
    model = build("indcap_gat").eval()
    b = day()
    base = model(b).detach()
    j = 2
    ind = b.extras["r3_node_industry"].clone()
    ind[j] += 1.0
    moved = (model(dataclasses.replace(b, extras={**b.extras, "r3_node_industry": ind})) - base).abs() > 1e-6
    neighbours = b.graphs["r3_industry"][:, j].clone()
    neighbours[j] = True
    assert moved[neighbours].all() and not moved[~neighbours].any()


def test_auxiliary_loss_is_lambda_times_physics_and_zero_without_macro():
    b = day()
    pinn = build("pinn_mticg", physics_weight=0.25)
    scores = pinn(b)
    assert torch.allclose(pinn.auxiliary_loss(b, scores), 0.25 * pinn.macro.physics_loss(b.macro))
    assert pinn.auxiliary_loss(b, scores).item() > 0
    plain = build("mticg")
    assert float(plain.auxiliary_loss(b, plain(b))) == 0.0
    assert "kind=pinn_mticg" in repr(pinn) and "kind=mticg" in repr(plain)


def test_the_macro_state_moves_the_cross_section_not_just_the_level():
    model = build("pinn_mticg").eval()
    b = day()
    other = dataclasses.replace(b, macro=b.macro + torch.tensor([[3.0, -2.0, 1.0], [0.0, 0.0, 0.0]]))
    s0, s1 = model(b).detach(), model(other).detach()
    assert model.macro_state(b)[0] != model.macro_state(other)[0]
    diff = s1 - s0
    assert float(diff.std()) > 1e-4  # not a constant shift: the ranking can change
    with pytest.raises(DataContractError, match="macro"):
        model(dataclasses.replace(b, macro=None))


@pytest.mark.parametrize("kind", KINDS)
def test_short_training_lowers_validation_loss(kind):
    before, after = fit_lowers_valid_loss(lambda: build(kind), LossKind.IC, n=40, n_train=12, n_valid=4, epochs=6)
    assert after < before - 0.05, (before, after)


def test_pinn_fusion_learns_a_tilt_whose_sign_follows_the_macro_state():
    """A cross-section whose only signal is u(t) * tilt_i, u flipping sign from day to day: the
    PINN fusion z * (1 + gamma u) + beta u must learn the interaction (positive IC on days of
    either sign of u); MTICG, blind to u, can at best learn the average tilt (IC ~ 0 here)."""
    days = planted_days(110, n=48, weights=(0.0, 0.0, 1.0), noise=0.5, seed=3)
    train_days, valid_days, test_days = days[:80], days[80:90], days[90:]
    u = np.array([float(b.macro[0, 0] - b.macro[0, 2]) for b in test_days])
    assert (u > 0).sum() >= 4 and (u < 0).sum() >= 4
    ics = {}
    for kind in ("mticg", "pinn_mticg"):
        model = build(kind)
        train(
            model,
            train_days,
            valid_days,
            TrainConfig(lr=3e-3, max_epochs=10, patience=10, monitor=Monitor.RANK_IC, loss=LossKind.IC),
            progress=False,
        )
        model.eval()
        with torch.no_grad():
            ics[kind] = np.array([rank_ic_torch(model(b), b.y) for b in test_days])
    pinn, plain = ics["pinn_mticg"], ics["mticg"]
    assert pinn[u > 0].mean() > 0.3 and pinn[u < 0].mean() > 0.3, pinn
    assert abs(plain.mean()) < 0.15, plain
