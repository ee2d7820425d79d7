"""Single-head graph attention with interchangeable implementations.

The coefficient (GAT, Velickovic et al.; SPEC section 2 step 2):

    e_ij     = LeakyReLU_0.2(a_dst . W h_i + a_src . W h_j)      (= a . [W h_i || W h_j])
    alpha_ij = softmax_{j in N(i)} e_ij
    out_i    = sum_{j in N(i)} alpha_ij W h_j

``N(i)`` always contains ``i`` itself (self-loops are added), so no row is empty.

Implementations, chosen by the type of ``graph``:

- rank-1 (``graph`` None: global attention over all N stocks; or an int (N,) vector of group
  ids: j in N(i) iff g_j = g_i >= 0, a block graph). e_ij depends on j only through the
  scalar s_j = a_src . W h_j, and LeakyReLU is linear on each side of 0, so with the keys
  sorted by s_j the softmax splits at the threshold t_i = -(a_dst . W h_i):

      w_ij = exp(e_ij) = exp(d_i) exp(s_j)            if s_j >= t_i   (upper set U_i)
                       = exp(0.2 d_i) exp(0.2 s_j)    if s_j <  t_i   (lower set L_i)
      out_i = [exp(d_i) sum_{U_i} exp(s_j) W h_j + exp(0.2 d_i) sum_{L_i} exp(0.2 s_j) W h_j]
              / (the same with W h_j -> 1)

  The two sums are a suffix and a prefix cumulative sum of the sorted keys, read at the
  position of t_i (``searchsorted``): O(N log N + N H) work and memory instead of O(N^2 H),
  the same function up to float rounding (tested against the dense path). Block graphs run
  all groups at once on a (G, n_max) padded layout (:class:`GroupLayout`).
- dense (``graph`` a bool (N, N) mask, ``mask[i, j]`` = j is a neighbour of i): e is an
  (N, N) broadcast sum of two (N,) vectors, masked with -inf, softmaxed row-wise; rows in
  chunks of ``chunk_rows`` to bound the (chunk, N) temporaries. ``dense(h, None)`` is the
  quadratic reference of the global rank-1 path.
- sparse (``graph`` a LongTensor (2, E) ``edge_index``, row 0 = source j, row 1 = target i,
  PyG convention): torch-geometric ``GATConv`` message passing.

All share the parameters of one ``GATConv`` (``lin``, ``att_src``, ``att_dst``), so the
paths compute the same function (tested).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch_geometric.nn import GATConv

from alpha_core.batch import GroupLayout

NEGATIVE_SLOPE = 0.2


def mask_to_edge_index(mask: torch.Tensor) -> torch.Tensor:
    """Dense neighbour mask (N, N) (``mask[i, j]``: j in N(i)) -> edge_index (2, E) src=j, dst=i."""
    dst, src = mask.nonzero(as_tuple=True)
    return torch.stack([src, dst])


def group_mask(groups: torch.Tensor) -> torch.Tensor:
    """Group ids (N,) -> bool (N, N) mask of same-group pairs; a negative id has no neighbours."""
    return (groups[:, None] == groups[None, :]) & (groups[:, None] >= 0)


def rank1_attention(
    key: torch.Tensor,
    query: torch.Tensor,
    values: torch.Tensor,
    slots: torch.Tensor | None = None,
    slope: float = NEGATIVE_SLOPE,
) -> torch.Tensor:
    """``out_gi = sum_j softmax_j(LeakyReLU(query_gi + key_gj)) values[slot_gj]`` per grid row g.

    The sorted-prefix-sum evaluation of the module docstring; padding keys are -inf (weight 0).
    The softmax is shifted by its row maximum LeakyReLU(query_gi + max_j key_gj) (LeakyReLU
    is increasing), so every exp is <= 1; the shifts are constants for autograd (the result
    does not depend on them).

    Args:
        key, query: (G, n) scores s_j = a_src . W h_j and d_i = a_dst . W h_i of the slots.
        values: (R, H) rows W h_j.
        slots: (G, n) int64 row of ``values`` in each slot; None: G = 1 and slot j is row j.
        slope: the LeakyReLU's negative slope.

    Returns:
        (G, n, H); every query attends to the keys of its own grid row.
    """
    n_groups, n = key.shape
    hidden = values.shape[1]
    key_sorted, order = torch.sort(key, dim=1, stable=True)
    rows = order if slots is None else torch.gather(slots, 1, order)
    top = key_sorted[:, -1:].detach()
    w_up = torch.exp(key_sorted - top).flip(1)  # (G, n) descending keys
    w_low = torch.exp(slope * (key_sorted - top))  # (G, n) ascending keys
    v_up = values.index_select(0, rows.flip(1).reshape(-1)).view(n_groups, n, hidden)
    v_low = values.index_select(0, rows.reshape(-1)).view(n_groups, n, hidden)
    zero_v, zero_w = values.new_zeros(n_groups, 1, hidden), values.new_zeros(n_groups, 1)
    # [k] = sum over the k largest (up) / k smallest (low) keys; [0] = 0
    sum_up = torch.cat([zero_v, torch.cumsum(w_up[..., None] * v_up, 1)], 1).view(-1, hidden)
    sum_low = torch.cat([zero_v, torch.cumsum(w_low[..., None] * v_low, 1)], 1).view(-1, hidden)
    norm_up = torch.cat([zero_w, torch.cumsum(w_up, 1)], 1).view(-1)
    norm_low = torch.cat([zero_w, torch.cumsum(w_low, 1)], 1).view(-1)
    below = torch.searchsorted(key_sorted.detach(), (-query).detach().contiguous())  # |L_i|, (G, n)
    base = torch.arange(n_groups, device=key.device)[:, None] * (n + 1)
    at_low = (base + below).view(-1)
    at_up = (base + n - below).view(-1)
    x = query + top  # d_i + max_j s_j; e_i,max = LeakyReLU(x)
    shift = F.leaky_relu(x, slope).detach()
    c_up = torch.exp(x - shift).view(-1, 1)
    c_low = torch.exp(slope * x - shift).view(-1, 1)
    num = c_up * sum_up.index_select(0, at_up) + c_low * sum_low.index_select(0, at_low)
    den = c_up * norm_up.index_select(0, at_up)[:, None] + c_low * norm_low.index_select(0, at_low)[:, None]
    return (num * den.reciprocal()).view(n_groups, n, hidden)  # den >= 1: the row maximum has weight 1


class GraphAttention(nn.Module):
    """Single-head attention aggregation ``out_i = sum_j alpha_ij W h_j``.

    Args:
        in_dim: size of h (H_in).
        out_dim: size of W h (H_out).
        chunk_rows: process the dense path this many query rows at a time (None: all).

    Shapes:
        h (N, H_in); graph: bool (N, N) mask, LongTensor (N,) group ids or their
        :class:`GroupLayout`, LongTensor (2, E) edge_index, or None (global) -> (N, H_out).
    """

    def __init__(self, in_dim: int, out_dim: int, *, chunk_rows: int | None = None):
        super().__init__()
        self.in_dim = in_dim
        self.out_dim = out_dim
        self.chunk_rows = chunk_rows
        # The GATConv owns the parameters; the dense path reads them directly.
        self.conv = GATConv(in_dim, out_dim, heads=1, add_self_loops=True, bias=False, negative_slope=NEGATIVE_SLOPE)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.conv.reset_parameters()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.in_dim}, {self.out_dim}, chunk_rows={self.chunk_rows})"

    def forward(self, h: torch.Tensor, graph: torch.Tensor | GroupLayout | None) -> torch.Tensor:
        if graph is None:
            return self.all_pairs(h)
        if isinstance(graph, GroupLayout):
            return self.blocks(h, graph)
        if graph.dim() == 1:
            return self.blocks(h, GroupLayout.from_groups(graph))
        if graph.dtype != torch.bool:
            return self.conv(h, graph)
        return self.dense(h, graph)

    def _scores(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(W h (N, H_out), s_src (N,) = a_src . W h_j, s_dst (N,) = a_dst . W h_i)."""
        wh = self.conv.lin(h)
        return wh, wh @ self.conv.att_src.view(-1), wh @ self.conv.att_dst.view(-1)

    def all_pairs(self, h: torch.Tensor) -> torch.Tensor:
        """Attention over all N stocks by :func:`rank1_attention` (equal to ``dense(h, None)``)."""
        wh, s_src, s_dst = self._scores(h)
        return rank1_attention(s_src[None], s_dst[None], wh)[0]

    def blocks(self, h: torch.Tensor, layout: GroupLayout) -> torch.Tensor:
        """Block graph of a :class:`GroupLayout`: :func:`rank1_attention` within each group.

        Equal to ``dense(h, group_mask(groups))``, all groups in one padded call. A negative id
        has no neighbours: out_i = W h_i (its self loop only).
        """
        wh, s_src, s_dst = self._scores(h)
        if layout.slots.numel() == 0:
            return wh
        padded = torch.cat([wh, wh.new_zeros(1, wh.shape[1])])  # row N: the padding slots
        flat = layout.slots.view(-1)  # index_select: its backward is index_add, not index_put
        key = torch.cat([s_src, s_src.new_full((1,), float("-inf"))]).index_select(0, flat).view(layout.slots.shape)
        query = torch.cat([s_dst, s_dst.new_zeros(1)]).index_select(0, flat).view(layout.slots.shape)
        out = rank1_attention(key, query, padded, layout.slots).view(-1, wh.shape[1])
        out = out.index_select(0, layout.position.clamp(min=0))
        return out if layout.isolated is None else torch.where(layout.isolated[:, None], wh, out)

    def dense(self, h: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        """Dense masked softmax attention; ``mask`` None means all pairs (the O(N^2) reference)."""
        wh, s_src, s_dst = self._scores(h)
        n = h.shape[0]
        step = n if self.chunk_rows is None else max(1, self.chunk_rows)
        outs = []
        for start in range(0, n, step):
            stop = min(n, start + step)
            e = F.leaky_relu(s_dst[start:stop, None] + s_src[None, :], NEGATIVE_SLOPE)  # (c, N)
            if mask is not None:
                m = mask[start:stop].clone()
                rows = torch.arange(start, stop, device=h.device)
                m[rows - start, rows] = True  # self-loop, as GATConv adds
                e = e.masked_fill(~m, float("-inf"))
            outs.append(torch.softmax(e, dim=1) @ wh)
        return outs[0] if len(outs) == 1 else torch.cat(outs, dim=0)
