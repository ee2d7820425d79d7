"""The unit of training: one trading day's cross-section (SPEC: one day = one batch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd
import torch

if TYPE_CHECKING:
    from alpha_core.models.attention import GroupLayout


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
    # graph name -> (the group-id tensor it was built from, its layout); derived, not data
    _layouts: dict[str, tuple[torch.Tensor, GroupLayout]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def n(self) -> int:
        return len(self.codes)

    def group_layout(self, name: str) -> GroupLayout:
        """The :class:`~alpha_core.models.attention.GroupLayout` of the group-id graph ``name``.

        Built on first use and kept while ``graphs[name]`` is the same tensor, so a training
        run packs each day's groups once, not once per epoch.
        """
        from alpha_core.models.attention import GroupLayout  # models import this module

        groups = self.graphs[name]
        if groups.dim() != 1:
            raise ValueError(f"graph {name!r} of {self.date} is not a group-id vector: shape {tuple(groups.shape)}")
        cached = self._layouts.get(name)
        if cached is None or cached[0] is not groups:
            with torch.inference_mode(False):  # reusable by a later training step
                cached = (groups, GroupLayout.from_groups(groups))
            self._layouts[name] = cached
        return cached[1]
