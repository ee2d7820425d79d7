"""R1's residual graph attention network (SPEC section 2, "Network") and its graph ablations.

With hidden size H (64; variants 32, 16), for one day's N stocks with features x (N, F):

1. Encoder: h0 = BN(sigmoid(L2(BN(sigmoid(L1 x)))))                      (N, H)
2. Masked attention on the graph G (sector by default):
   h0'_i = h0_i + LeakyReLU(sum_{j in G(i)} alpha_ij W0 h0_j)
3. Residual I: hhat0 = Linear(h0'); h1 = h0 - hhat0; y0 = LeakyReLU(hhat0)
4. Global attention over all N stocks: h1'_i = h1_i + LeakyReLU(sum_j beta_ij W1 h1_j)
5. Residual II: hhat1 = Linear(h1'); h2 = h1 - hhat1; y1 = LeakyReLU(hhat1)
6. y2 = LeakyReLU(h2); score = Linear(y0 + y1 + y2)                       (N,)

alpha / beta are the GAT coefficients of :mod:`alpha_core.models.attention`.

Residual heads (:class:`ResidualHeads`). In R1's text (``SHARED``) hhat_k is both the part that
is subtracted (backcast) and, through LeakyReLU, the part that is forecast. If LeakyReLU were the
identity the three parts would telescope, y0 + y1 + y2 = hhat0 + hhat1 + (h0 - hhat0 - hhat1) = h0,
so the score could not depend on the graph at all; with slope 0.01 the graph reaches the score only
through the kinks of the LeakyReLUs. HIST (Xu et al. 2021), the network R1 adapts, gives each
module separate forecast and backcast layers (``SEPARATE``):

    hhat_k = B_k h_k'  (backcast, subtracted)      y_k = LeakyReLU(F_k h_k')  (forecast)

so the aggregated neighbours reach the score through a linear path. ``SHARED`` stays the default
(the SPEC network); benchmarks/RESULTS.md ("Does the graph help?") measures both.

Ablations (R1 table 19): ``use_mask=False`` drops steps 2-3 (h1 = h0, no y0) -> GAT+global;
``use_global=False`` drops steps 4-5 (h2 = h1, no y1) -> GAT+mask.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import torch
import torch.nn.functional as F
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.models.attention import GraphAttention


class ResidualHeads(StrEnum):
    """How a residual block turns h_k' into its backcast hhat_k and its forecast y_k."""

    SHARED = "shared"  # R1: hhat_k = L_k h_k', y_k = LeakyReLU(hhat_k)
    SEPARATE = "separate"  # HIST: hhat_k = B_k h_k', y_k = LeakyReLU(F_k h_k')


@dataclass(frozen=True)
class GATResidualConfig:
    """Args:
    n_features: F, number of input features.
    hidden: H, hidden size (64; variants 32, 16).
    graph: name of the graph in ``DayBatch.graphs`` used by the masked attention ("sector").
    use_mask: keep the masked (graph) attention + residual I.
    use_global: keep the global attention + residual II.
    chunk_rows: query-row chunk of a dense attention path (None = all rows at once); the global
        attention runs in O(N H) memory (attention.rank1_attention) and does not need it.
    heads: :class:`ResidualHeads` (SHARED, the SPEC network).
    negative_slope: slope of every LeakyReLU (0.01, torch's default; 1.0 makes them the
        identity, which the tests use to show the SHARED parts telescoping to h0).
    """

    n_features: int
    hidden: int = 64
    graph: str = "sector"
    use_mask: bool = True
    use_global: bool = True
    chunk_rows: int | None = None
    heads: ResidualHeads = ResidualHeads.SHARED
    negative_slope: float = 0.01


def encoder(n_features: int, hidden: int) -> nn.Sequential:
    """Two blocks of Linear + Sigmoid + BatchNorm: (N, F) -> (N, H)."""
    return nn.Sequential(
        nn.Linear(n_features, hidden),
        nn.Sigmoid(),
        nn.BatchNorm1d(hidden),
        nn.Linear(hidden, hidden),
        nn.Sigmoid(),
        nn.BatchNorm1d(hidden),
    )


class GATResidual(nn.Module):
    """The SPEC network. ``forward(batch) -> (N,)`` scores.

    Shapes: batch.x (N, F); batch.graphs[config.graph] int (N,) group ids, bool (N, N) mask or
    edge_index (2, E).
    """

    def __init__(self, config: GATResidualConfig):
        super().__init__()
        self.config = config
        h = config.hidden
        self.encoder = encoder(config.n_features, h)
        separate = ResidualHeads(config.heads) is ResidualHeads.SEPARATE
        if config.use_mask:
            self.mask_attention = GraphAttention(h, h)
            self.residual0 = nn.Linear(h, h)
            self.forecast0 = nn.Linear(h, h) if separate else None
        if config.use_global:
            self.global_attention = GraphAttention(h, h, chunk_rows=config.chunk_rows)
            self.residual1 = nn.Linear(h, h)
            self.forecast1 = nn.Linear(h, h) if separate else None
        self.output = nn.Linear(h, 1)

    def _act(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(x, self.config.negative_slope)

    def _block(
        self, h: torch.Tensor, hp: torch.Tensor, backcast: nn.Linear, forecast: nn.Linear | None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(residual h - hhat, forecast y) of one residual block; hp = h'."""
        hhat = backcast(hp)
        y = self._act(hhat if forecast is None else forecast(hp))
        return h - hhat, y

    def forward(self, batch: DayBatch) -> torch.Tensor:
        h0 = self.encoder(batch.x)
        parts = []
        h1 = h0
        if self.config.use_mask:
            graph = batch.graphs.get(self.config.graph)
            if graph is None:
                raise KeyError(f"batch of {batch.date} has no graph {self.config.graph!r}")
            if graph.dim() == 1:
                graph = batch.group_layout(self.config.graph)  # packed once per day
            h0p = h0 + self._act(self.mask_attention(h0, graph))
            h1, y0 = self._block(h0, h0p, self.residual0, self.forecast0)  # h1: what the graph cannot explain
            parts.append(y0)
        h2 = h1
        if self.config.use_global:
            h1p = h1 + self._act(self.global_attention(h1, None))
            h2, y1 = self._block(h1, h1p, self.residual1, self.forecast1)
            parts.append(y1)
        parts.append(self._act(h2))
        return self.output(torch.stack(parts).sum(0)).squeeze(-1)
