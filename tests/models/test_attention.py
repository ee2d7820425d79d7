import pytest
import torch

from alpha_core.models.attention import GraphAttention, group_mask, mask_to_edge_index


def _setup(n=40, h=8, seed=0):
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    att = GraphAttention(h, h)
    x = torch.randn(n, h, generator=g)
    sector = torch.randint(0, 4, (n,), generator=g)
    mask = sector[:, None] == sector[None, :]
    mask.fill_diagonal_(False)  # edge lists carry no self loops; both paths add them
    return att, x, mask


def test_dense_and_pyg_agree_on_block_graph():
    att, x, mask = _setup()
    dense = att(x, mask)
    sparse = att(x, mask_to_edge_index(mask))
    assert dense.shape == (40, 8)
    torch.testing.assert_close(dense, sparse, atol=1e-5, rtol=1e-5)


def test_dense_and_pyg_agree_on_asymmetric_sparse_graph():
    att, x, _ = _setup(n=30)
    g = torch.Generator().manual_seed(3)
    mask = torch.rand(30, 30, generator=g) < 0.1
    mask.fill_diagonal_(False)
    torch.testing.assert_close(att(x, mask), att(x, mask_to_edge_index(mask)), atol=1e-5, rtol=1e-5)


def test_global_equals_complete_graph_and_chunking():
    att, x, _ = _setup(n=25)
    full = torch.ones(25, 25, dtype=torch.bool)
    glob = att(x, None)
    torch.testing.assert_close(glob, att(x, full))
    att.chunk_rows = 7
    torch.testing.assert_close(att(x, None), glob, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(att(x, full), glob, atol=1e-6, rtol=1e-6)


def test_hand_computed_two_nodes():
    att = GraphAttention(1, 1)
    with torch.no_grad():
        att.conv.lin.weight.fill_(2.0)
        att.conv.att_src.fill_(1.0)
        att.conv.att_dst.fill_(0.5)
    x = torch.tensor([[1.0], [-1.0]])
    wh = torch.tensor([2.0, -2.0])
    lrelu = lambda v: v if v > 0 else 0.2 * v  # noqa: E731
    out = att(x, None)
    for i in range(2):
        e = torch.tensor([lrelu(0.5 * wh[i] + 1.0 * wh[j]) for j in range(2)])
        a = torch.softmax(e, 0)
        assert torch.isclose(out[i, 0], (a * wh).sum(), atol=1e-6)


def test_isolated_node_attends_to_itself():
    att, x, _ = _setup(n=5)
    mask = torch.zeros(5, 5, dtype=torch.bool)
    out = att(x, mask)
    torch.testing.assert_close(out, att.conv.lin(x))


def test_gradients_and_repr():
    att, x, mask = _setup()
    att(x, mask).sum().backward()
    for name, p in att.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name
    assert "GraphAttention(8, 8" in repr(att)


@pytest.mark.parametrize("n", [1, 3])
def test_tiny_days(n):
    att, x, _ = _setup(n=n)
    assert att(x, None).shape == (n, 8)


def test_group_ids_equal_mask():
    att, x, _ = _setup(n=20)
    g = torch.tensor([0, 1, 2, -1] * 5)
    mask = group_mask(g)
    assert not mask[3].any() and mask[0, 4] and not mask[0, 1]
    torch.testing.assert_close(att(x, g), att(x, mask))


def test_group_blocks_equal_pyg_and_grad():
    att, x, _ = _setup(n=33)
    g = torch.randint(-1, 4, (33,), generator=torch.Generator().manual_seed(4))
    mask = group_mask(g)
    mask.fill_diagonal_(False)
    x.requires_grad_(True)
    out = att(x, g)
    torch.testing.assert_close(out, att(x, mask_to_edge_index(mask)), atol=1e-5, rtol=1e-5)
    out.sum().backward()
    assert torch.isfinite(x.grad).all() and att.conv.att_src.grad is not None


# --- rank-1 (sorted prefix-sum) kernel vs the dense O(N^2) reference (issue 14) ---

import copy  # noqa: E402

from alpha_core.batch import GroupLayout  # noqa: E402
from alpha_core.models.attention import rank1_attention  # noqa: E402


def _assert_grads_close(got, ref, tol):
    """Gradients agree to ``tol`` of the largest reference entry (float32 accumulation error:
    1e-5 for scores of order 1; 1e-4 with exponents of +-60, where the dense float32 path
    itself is off by 3e-5)."""
    torch.testing.assert_close(got.double(), ref, atol=tol * float(ref.abs().max()), rtol=0)


def _scaled(att, scale):
    """Spread the attention scores so both LeakyReLU branches and large exponents occur."""
    with torch.no_grad():
        att.conv.att_src.mul_(scale)
        att.conv.att_dst.mul_(scale)
    return att


def _grads(att, x, graph, weight, reference):
    """(output, d loss / d x, d loss / d parameters) of loss = sum(out * weight); the reference
    is the dense path in float64, so the check measures the float32 kernel's own error."""
    if reference:
        att, x, weight = copy.deepcopy(att).double(), x.double(), weight.double()
    x = x.clone().requires_grad_(True)
    att.zero_grad(set_to_none=True)
    out = att.dense(x, graph) if reference else att(x, graph if graph is not None else None)
    (out * weight).sum().backward()
    return out.detach(), x.grad, [p.grad.clone() for p in att.parameters()]


@pytest.mark.parametrize("scale,tol", [(1.0, 1e-5), (20.0, 1e-4)])
def test_rank1_global_equals_dense_reference_with_gradients(scale, tol):
    att, x, _ = _setup(n=300, h=16, seed=1)
    _scaled(att, scale)
    weight = torch.randn(300, 16, generator=torch.Generator().manual_seed(2))
    out, gx, gp = _grads(att, x, None, weight, reference=False)
    ref, rx, rp = _grads(att, x, None, weight, reference=True)
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)
    _assert_grads_close(gx, rx, tol)
    for a, b in zip(gp, rp):
        _assert_grads_close(a, b, tol)


@pytest.mark.parametrize("scale,tol", [(1.0, 1e-5), (20.0, 1e-4)])
def test_rank1_blocks_equal_dense_group_mask_with_gradients(scale, tol):
    att, x, _ = _setup(n=120, h=16, seed=3)
    _scaled(att, scale)
    g = torch.randint(-1, 6, (120,), generator=torch.Generator().manual_seed(4))
    g[:7] = 9  # one small group beside large ones: padding in the grid
    weight = torch.randn(120, 16, generator=torch.Generator().manual_seed(5))
    out, gx, gp = _grads(att, x, GroupLayout.from_groups(g), weight, reference=False)
    ref, rx, rp = _grads(att, x, group_mask(g), weight, reference=True)
    torch.testing.assert_close(out.double(), ref, atol=1e-5, rtol=1e-5)
    _assert_grads_close(gx, rx, tol)
    for a, b in zip(gp, rp):
        _assert_grads_close(a, b, tol)
    isolated = g < 0
    torch.testing.assert_close(out[isolated], att.conv.lin(x)[isolated].detach())


def test_rank1_hand_computed_with_ties_and_both_branches():
    # tied keys s = (1, 1, -2); query 0.5 splits them over both LeakyReLU branches (e = 1.5,
    # 1.5, -1.5), query -1.5 puts all on the negative one, query 3 all on the positive one
    key = torch.tensor([[1.0, 1.0, -2.0]])
    query = torch.tensor([[0.5, -1.5, 3.0]])
    values = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    out = rank1_attention(key, query, values)[0]
    for i in range(3):
        e = torch.tensor([float(query[0, i] + key[0, j]) for j in range(3)])
        e = torch.where(e > 0, e, 0.2 * e)
        w = torch.exp(e) / torch.exp(e).sum()
        torch.testing.assert_close(out[i], w @ values, atol=1e-6, rtol=1e-6)


def test_rank1_threshold_exactly_at_a_key():
    # d_i = -s_j: e_ij = 0 on either branch, so the split point must not matter
    key = torch.tensor([[0.3, -0.7, 1.1, 0.3]])
    query = torch.tensor([[-0.3, 0.7, -1.1, 2.0]])
    values = torch.randn(4, 3, generator=torch.Generator().manual_seed(0))
    e = torch.nn.functional.leaky_relu(query[0, :, None] + key[0, None, :], 0.2)
    ref = torch.softmax(e, 1) @ values
    torch.testing.assert_close(rank1_attention(key, query, values)[0], ref, atol=1e-6, rtol=1e-6)


def test_group_layout_hand_computed():
    layout = GroupLayout.from_groups(torch.tensor([1, -1, 0, 1, 0, 0]))
    # group 0 = rows (2, 4, 5), group 1 = rows (0, 3) + one padding slot (row N = 6)
    assert layout.slots.tolist() == [[2, 4, 5], [0, 3, 6]]
    assert layout.position.tolist() == [3, -1, 0, 4, 1, 2]
    assert layout.isolated.tolist() == [False, True, False, False, False, False]
    assert GroupLayout.from_groups(torch.tensor([0, 0])).isolated is None
    assert GroupLayout.from_groups(torch.tensor([-1, -1])).slots.numel() == 0


def test_all_isolated_block_graph_is_the_self_loop():
    att, x, _ = _setup(n=4)
    torch.testing.assert_close(att(x, torch.full((4,), -1)), att.conv.lin(x))


def test_rank1_memory_is_linear_in_n():
    """5,000 stocks attend globally without an (N, N) temporary (the dense path needs 100 MB)."""
    att = GraphAttention(8, 8)
    x = torch.randn(5000, 8, generator=torch.Generator().manual_seed(0))
    sample = torch.arange(0, 5000, 250)
    ref = torch.softmax(
        torch.nn.functional.leaky_relu(
            (att.conv.lin(x) @ att.conv.att_dst.view(-1))[sample, None]
            + (att.conv.lin(x) @ att.conv.att_src.view(-1))[None, :],
            0.2,
        ),
        1,
    ) @ att.conv.lin(x)
    with torch.no_grad():
        torch.testing.assert_close(att(x, None)[sample], ref, atol=1e-5, rtol=1e-5)
