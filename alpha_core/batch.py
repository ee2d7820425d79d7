"""The unit of training and scoring: one trading day's cross-section (SPEC: one day = one batch).

Shared by :mod:`alpha_core.models` (which read batches) and :mod:`alpha_core.training` (which
builds them), so it sits below both:

- :class:`DayBatch`: everything a model may see for one day.
- :class:`GroupLayout`: a block graph's stocks packed group by group, built once per day from
  the group-id vector in ``DayBatch.graphs`` (read by the rank-1 attention of
  :mod:`alpha_core.models.attention`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd
import torch


@dataclass(frozen=True, eq=False)  # holds tensors: identity, not elementwise, equality
class GroupLayout:
    """The stocks of a block graph packed group by group into a padded (G, n_max) grid.

    Depends on the group ids only, so it can be built once per day and reused every epoch
    (:meth:`DayBatch.group_layout`).

    Attributes:
        groups: (N,) int64, the group ids it packs.
        slots: (G, n_max) int64, the stock (row of h) in each slot; padding slots hold N.
        position: (N,) int64, each stock's flat slot ``g * n_max + r``; -1 for a negative id.
        isolated: (N,) bool, stocks with a negative id (no neighbours), or None if none.
    """

    groups: torch.Tensor
    slots: torch.Tensor
    position: torch.Tensor
    isolated: torch.Tensor | None

    @classmethod
    def from_groups(cls, groups: torch.Tensor) -> GroupLayout:
        """Group ids (N,) -> layout; groups are ordered by id, stocks within a group by row."""
        n = groups.shape[0]
        valid = groups >= 0
        members = torch.nonzero(valid).squeeze(1)
        ids = groups[members]
        order = torch.argsort(ids, stable=True)
        members, ids = members[order], ids[order]
        counts = torch.unique_consecutive(ids, return_counts=True)[1]
        n_groups = counts.numel()
        width = int(counts.max()) if n_groups else 0
        dev = groups.device
        group = torch.repeat_interleave(torch.arange(n_groups, device=dev), counts)
        rank = torch.arange(members.numel(), device=dev) - (torch.cumsum(counts, 0) - counts)[group]
        flat = group * width + rank
        slots = torch.full((n_groups * width,), n, dtype=torch.long, device=dev)
        slots[flat] = members
        position = torch.full((n,), -1, dtype=torch.long, device=dev)
        position[members] = flat
        return cls(groups, slots.view(n_groups, width), position, None if bool(valid.all()) else ~valid)


@dataclass
class DayBatch:
    """Everything a model may see for one day. Built by the data loader, never by a model.

    Attributes (N stocks of the day's universe):
        date: the trading day T (features use data up to and including T only).
        codes: the N canonical codes, in row order.
        x: (N, F) preprocessed cross-sectional features, float32.
        y: (N,) label (rank-standardised), NaN-free on training / validation days; None on the
            batches that are scored (a fold's test window, the rebalance's decision day): the
            labels of the days a model scores never reach it (look-ahead is impossible, not
            avoided by discipline).
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

    def to(self, device: torch.device) -> DayBatch:
        """This batch with every tensor on ``device`` (itself when ``x`` is already there)."""
        if self.x.device == device:
            return self

        def move(t: torch.Tensor | None) -> torch.Tensor | None:
            return None if t is None else t.to(device)

        return dataclasses.replace(
            self,
            x=move(self.x),
            y=move(self.y),
            seq=move(self.seq),
            graphs={k: move(v) for k, v in self.graphs.items()},
            macro=move(self.macro),
            extras={k: move(v) for k, v in self.extras.items()},
        )

    def group_layout(self, name: str) -> GroupLayout:
        """The :class:`GroupLayout` of the group-id graph ``name``.

        Built on first use and kept while ``graphs[name]`` is the same tensor, so a training
        run packs each day's groups once, not once per epoch.
        """
        groups = self.graphs[name]
        if groups.dim() != 1:
            raise ValueError(f"graph {name!r} of {self.date} is not a group-id vector: shape {tuple(groups.shape)}")
        cached = self._layouts.get(name)
        if cached is None or cached[0] is not groups:
            with torch.inference_mode(False):  # reusable by a later training step
                cached = (groups, GroupLayout.from_groups(groups))
            self._layouts[name] = cached
        return cached[1]
