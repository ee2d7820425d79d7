import copy

import pandas as pd
import pytest
import torch

from alpha_core.batch import DayBatch
from alpha_core.models.attention import mask_to_edge_index
from alpha_core.models.gat_residual import GATResidual, GATResidualConfig, ResidualHeads
from alpha_core.models.mlp import MLP, MLPConfig


def _batch(n=50, f=6, seed=0, graph="sector"):
    g = torch.Generator().manual_seed(seed)
    sector = torch.randint(0, 5, (n,), generator=g)
    return DayBatch(
        date=pd.Timestamp("2020-01-02"),
        codes=[f"SH{600000 + i}" for i in range(n)],
        x=torch.randn(n, f, generator=g),
        y=torch.randn(n, generator=g),
        graphs={graph: sector[:, None] == sector[None, :]},
    )


VARIANTS = [(True, True), (True, False), (False, True)]


@pytest.mark.parametrize("heads", list(ResidualHeads))
@pytest.mark.parametrize("hidden", [64, 32, 16])
@pytest.mark.parametrize("use_mask,use_global", VARIANTS)
def test_shapes_and_every_parameter_gets_gradient(hidden, use_mask, use_global, heads):
    torch.manual_seed(0)
    model = GATResidual(GATResidualConfig(6, hidden, use_mask=use_mask, use_global=use_global, heads=heads))
    b = _batch()
    out = model(b)
    assert out.shape == (50,)
    ((out - b.y) ** 2).mean().backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and p.grad.abs().sum() > 0, name


def test_ablation_structure():
    full = GATResidual(GATResidualConfig(6))
    mask_only = GATResidual(GATResidualConfig(6, use_global=False))
    global_only = GATResidual(GATResidualConfig(6, use_mask=False))
    assert hasattr(full, "mask_attention") and hasattr(full, "global_attention")
    assert not hasattr(mask_only, "global_attention")
    assert not hasattr(global_only, "mask_attention")
    b = _batch()
    b.graphs = {}
    assert global_only(b).shape == (50,)  # needs no graph
    with pytest.raises(KeyError):
        full(b)


def test_industry_graph_and_edge_index_input_agree():
    torch.manual_seed(1)
    model = GATResidual(GATResidualConfig(6, 16, graph="industry")).eval()
    b = _batch(graph="industry")
    dense_out = model(b)
    mask = b.graphs["industry"].clone()
    mask.fill_diagonal_(False)
    b.graphs = {"industry": mask_to_edge_index(mask)}
    torch.testing.assert_close(model(b), dense_out, atol=1e-5, rtol=1e-5)


def test_permutation_equivariance():
    torch.manual_seed(2)
    model = GATResidual(GATResidualConfig(6, 32)).eval()
    b = _batch()
    perm = torch.randperm(50, generator=torch.Generator().manual_seed(5))
    pb = DayBatch(
        b.date, [b.codes[i] for i in perm], b.x[perm], b.y[perm], graphs={"sector": b.graphs["sector"][perm][:, perm]}
    )
    torch.testing.assert_close(model(pb), model(b)[perm], atol=1e-5, rtol=1e-5)


def test_graph_changes_output_only_with_mask_attention():
    torch.manual_seed(3)
    b = _batch()
    other = _batch(seed=9)
    b2 = DayBatch(b.date, b.codes, b.x, b.y, graphs=other.graphs)
    full = GATResidual(GATResidualConfig(6)).eval()
    glob = GATResidual(GATResidualConfig(6, use_mask=False)).eval()
    assert not torch.allclose(full(b), full(b2))
    torch.testing.assert_close(glob(b), glob(b2))


def test_shared_heads_telescope_to_h0_when_leaky_relu_is_linear():
    """R1's shared heads: with identity activations y0 + y1 + y2 = h0, so the graph cannot reach
    the score; HIST's separate forecast layers keep a linear path from the neighbours."""
    b = _batch()
    b2 = DayBatch(b.date, b.codes, b.x, b.y, graphs=_batch(seed=9).graphs)
    outs = {}
    for heads in ResidualHeads:
        torch.manual_seed(4)
        model = GATResidual(GATResidualConfig(6, 16, heads=heads, negative_slope=1.0)).eval()
        outs[heads] = model(b), model(b2)
        # h0 alone: the output layer applied to the encoder's states
        direct = model.output(model.encoder(b.x)).squeeze(-1)
        if heads is ResidualHeads.SHARED:
            torch.testing.assert_close(outs[heads][0], direct, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(outs[ResidualHeads.SHARED][0], outs[ResidualHeads.SHARED][1], atol=1e-5, rtol=1e-5)
    assert (outs[ResidualHeads.SEPARATE][0] - outs[ResidualHeads.SEPARATE][1]).abs().max() > 1e-3


def test_shared_heads_keep_the_spec_parameters():
    """The SHARED network has exactly the SPEC's layers (old checkpoints load); SEPARATE adds F0, F1."""
    shared = set(GATResidual(GATResidualConfig(6, 16)).state_dict())
    separate = set(GATResidual(GATResidualConfig(6, 16, heads=ResidualHeads.SEPARATE)).state_dict())
    assert not any(k.startswith("forecast") for k in shared)
    assert separate - shared == {"forecast0.weight", "forecast0.bias", "forecast1.weight", "forecast1.bias"}


def test_mlp_shapes_and_gradients():
    torch.manual_seed(0)
    model = MLP(MLPConfig(6, 32))
    b = _batch()
    out = model(b)
    assert out.shape == (50,)
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def _group_batch(n=80, f=6, seed=0):
    g = torch.Generator().manual_seed(seed)
    sector = torch.randint(-1, 5, (n,), generator=g)  # -1: no sector, attends to itself
    return DayBatch(
        pd.Timestamp("2020-01-02"),
        [f"SH{600000 + i}" for i in range(n)],
        torch.randn(n, f, generator=g),
        torch.randn(n, generator=g),
        graphs={"sector": sector},
    )


def test_rank1_network_equals_the_dense_reference_network():
    """Issue 14's kernels (group layout + global rank-1) vs the issue-6 maths: the dense masked
    softmax on group_mask(sector) and the dense (N, N) global softmax; outputs and gradients."""
    from alpha_core.models.attention import group_mask

    torch.manual_seed(6)
    model = GATResidual(GATResidualConfig(6, 32))
    ref = copy.deepcopy(model)
    ref.global_attention.forward = ref.global_attention.dense  # (h, None) -> O(N^2) reference
    b = _group_batch()
    rb = DayBatch(b.date, b.codes, b.x, b.y, graphs={"sector": group_mask(b.graphs["sector"])})
    out, expected = model(b), ref(rb)
    torch.testing.assert_close(out, expected, atol=1e-5, rtol=1e-5)
    ((out - b.y) ** 2).mean().backward()
    ((expected - b.y) ** 2).mean().backward()
    for (name, p), q in zip(model.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, atol=1e-5, rtol=1e-4, msg=name)


def test_day_batch_packs_its_groups_once_and_notices_a_new_graph():
    b = _group_batch()
    layout = b.group_layout("sector")
    assert b.group_layout("sector") is layout
    b.graphs = {"sector": torch.zeros(b.n, dtype=torch.long)}
    assert b.group_layout("sector").slots.shape == (1, b.n)
    with pytest.raises(ValueError, match="sector"):
        DayBatch(b.date, b.codes, b.x, graphs={"sector": torch.ones(2, 2, dtype=torch.bool)}).group_layout("sector")


def test_layout_built_while_validating_serves_training():
    """The trainer validates under inference_mode; a day first seen there must still train."""
    torch.manual_seed(7)
    model = GATResidual(GATResidualConfig(6, 16))
    b = _group_batch()
    with torch.inference_mode():
        model.eval()(b)
    model.train()(b).sum().backward()
    assert model.mask_attention.conv.att_src.grad is not None
