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
