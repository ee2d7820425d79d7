"""R1's ``nn`` baseline: the GAT+residual encoder and output with no attention.

score = Linear_out(LeakyReLU(Linear_3(h0))), h0 = encoder(x) (two Linear + Sigmoid + BN
blocks), i.e. a 3-hidden-layer MLP. Shapes: batch.x (N, F) -> (N,).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.models.gat_residual import encoder


@dataclass(frozen=True)
class MLPConfig:
    """Args: n_features: F; hidden: H (64)."""

    n_features: int
    hidden: int = 64


class MLP(nn.Module):
    """Encoder + one hidden Linear + output Linear; ``forward(batch) -> (N,)``."""

    def __init__(self, config: MLPConfig):
        super().__init__()
        self.config = config
        self.encoder = encoder(config.n_features, config.hidden)
        self.hidden = nn.Linear(config.hidden, config.hidden)
        self.output = nn.Linear(config.hidden, 1)

    def forward(self, batch: DayBatch) -> torch.Tensor:
        h = F.leaky_relu(self.hidden(self.encoder(batch.x)))
        return self.output(h).squeeze(-1)
