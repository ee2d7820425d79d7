"""R2's BiAGRU-GAT (SPEC section 3, seeds/001 section 3): the BiAGRU time-series embedding
corrected by a GAT over the fundamental-similarity graph.

Quarterly fundamentals change slowly, so R2 turns them into edges (the ``r2_similarity``
graph); the GAT lets each stock's score depend on the price/volume embeddings of its
fundamentally similar neighbours, with attention deciding how much each neighbour counts.

    z     = BiAGRUEncoder(seq)                                        (N, 2H)
    h     = W_in z                                                    (N, D)
    h'    = h + ELU(concat_k sum_{j in N(i)} alpha^k_ij W^k h_j)      (N, D)   GATEncoder
    score = w . h' + b                                                (N,)

(the residual keeps the stock's own time-series signal; the attention sum is the correction).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.models.biagru import BiAGRUConfig, BiAGRUEncoder
from alpha_core.models.indcap_gat import GATEncoder, checked_graph


@dataclass(frozen=True)
class BiAGRUGATConfig:
    """Args:
    biagru: the time-series module (:class:`BiAGRUConfig`, ``orthogonal`` ignored).
    graph: name of the fundamental-similarity graph in ``batch.graphs`` (``r2_similarity``).
    hidden: D, GAT width (64).
    heads: attention heads (4).
    dropout: dropout on the attention output (0.0).
    """

    biagru: BiAGRUConfig
    graph: str = "r2_similarity"
    hidden: int = 64
    heads: int = 4
    dropout: float = 0.0


class BiAGRUGAT(nn.Module):
    """BiAGRU embedding + residual GAT correction over the fundamental graph; ``forward -> (N,)``."""

    def __init__(self, config: BiAGRUGATConfig):
        super().__init__()
        self.config = config
        self.encoder = BiAGRUEncoder(config.biagru)
        self.gat = GATEncoder(self.encoder.embed_dim, config.hidden, config.heads, config.dropout)
        self.output = nn.Linear(config.hidden, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.gat.reset_parameters()
        self.output.reset_parameters()

    def embed(self, batch: DayBatch) -> torch.Tensor:
        """Graph-corrected embedding h' (N, D)."""
        return self.gat(self.encoder(batch), checked_graph(batch, self.config.graph))

    def forward(self, batch: DayBatch) -> torch.Tensor:
        return self.output(self.embed(batch)).squeeze(-1)

    def extra_repr(self) -> str:
        c = self.config
        return f"graph={c.graph!r}, window={c.biagru.window}, hidden={c.hidden}, heads={c.heads}"
