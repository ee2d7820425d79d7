"""What the one trainer needs from a model (and nothing about data loading or files)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch
from torch import nn

from alpha_core.batch import DayBatch


@runtime_checkable
class ScoreModel(Protocol):
    """A torch ``nn.Module`` that scores one day's cross-section.

    ``forward(batch) -> (N,)`` scores. Optionally ``auxiliary_loss(batch, scores) -> scalar``
    (e.g. the PINN physics residual) which the trainer adds to the main loss.
    """

    def forward(self, batch: DayBatch) -> torch.Tensor: ...

    def __call__(self, batch: DayBatch) -> torch.Tensor: ...


class LinearHeadScorer(nn.Module):
    """An encoder followed by a linear head: ``score = w . encoder(batch) + b``.

    Shapes: ``encoder(batch) -> (N, width)``; ``embed(batch) -> (N, width)``; ``forward -> (N,)``.
    The shared shape of the R3 scorers (multi-scale Transformer, indcap-GAT), whose encoders
    are also reused inside the MTICG fusion.
    """

    def __init__(self, encoder: nn.Module, width: int):
        super().__init__()
        self.encoder = encoder
        self.output = nn.Linear(width, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.output.reset_parameters()

    def embed(self, batch: DayBatch) -> torch.Tensor:
        return self.encoder(batch)

    def forward(self, batch: DayBatch) -> torch.Tensor:
        return self.output(self.embed(batch)).squeeze(-1)
