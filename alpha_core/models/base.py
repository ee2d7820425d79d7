"""What the one trainer needs from a model (and nothing about data loading or files)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import torch

from alpha_core.training.batch import DayBatch


@runtime_checkable
class ScoreModel(Protocol):
    """A torch ``nn.Module`` that scores one day's cross-section.

    ``forward(batch) -> (N,)`` scores. Optionally ``auxiliary_loss(batch, scores) -> scalar``
    (e.g. the PINN physics residual) which the trainer adds to the main loss.
    """

    def forward(self, batch: DayBatch) -> torch.Tensor: ...

    def __call__(self, batch: DayBatch) -> torch.Tensor: ...
