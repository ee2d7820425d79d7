"""The unit of training: one trading day's cross-section (SPEC: one day = one batch)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import torch


@dataclass
class DayBatch:
    """Everything a model may see for one day. Built by the data loader, never by a model.

    Attributes (N stocks of the day's universe):
        date: the trading day T (features use data up to and including T only).
        codes: the N canonical codes, in row order.
        x: (N, F) preprocessed cross-sectional features, float32.
        y: (N,) label (rank-standardised), NaN-free for training days; may be None when scoring.
        seq: optional (N, L, S) per-stock daily sequences (R2/R3 time-series inputs).
        graphs: graph name -> either a dense boolean mask (N, N) (block-dense graphs:
            sector/industry), an int64 (N,) vector of group ids (block graphs stored
            compactly: j is a neighbour of i iff g_j = g_i >= 0; expand with
            ``alpha_core.models.attention.group_mask``), or an ``edge_index`` LongTensor (2, E)
            (sparse graphs), with optional weights under ``f"{name}_weight"``.
        macro: optional (M,) macro state inputs known at T (e.g. d ln M, ln M - ln M*, r - r*).
        extras: anything model-specific (e.g. R3 node features), float tensors with N rows.
    """

    date: pd.Timestamp
    codes: list[str]
    x: torch.Tensor
    y: torch.Tensor | None = None
    seq: torch.Tensor | None = None
    graphs: dict[str, torch.Tensor] = field(default_factory=dict)
    macro: torch.Tensor | None = None
    extras: dict[str, torch.Tensor] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.codes)
