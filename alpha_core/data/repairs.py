"""Declared repairs: every change a reader makes to what the vendor sent is named, counted per
instrument, and either always applied (an encoding the format documents) or opt-in.

Repairs of a documented encoding are always applied and counted:

* :attr:`Repair.NAN_ROW_AS_SUSPENSION`: a Qlib row with every field NaN inside the listing span
  (how standard Qlib dumps store a suspension) -> a suspended row flat at the last close.
* :attr:`Repair.NAN_VOLUME_AS_SUSPENSION`: a row with prices but NaN volume -> volume 0, suspended.
* :attr:`Repair.PRELISTING_BACKFILL_DROPPED`: back-filled listing-price rows before the first
  trade of an instrument whose data starts after the first calendar day -> dropped.

Values a vendor should never send (``+/-inf``, an adjustment factor <= 0, a NaN close on a day with
volume > 0) fail with a :class:`~alpha_core.errors.DataContractError` under the default
:attr:`RepairPolicy.FAIL`; with :attr:`RepairPolicy.REPAIR` they become suspended rows
(:attr:`Repair.INVALID_BAR_AS_SUSPENSION`), counted like the others.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd


class RepairPolicy(StrEnum):
    """What a reader does with a value a vendor should never send."""

    FAIL = "fail"  # raise DataContractError naming file, column, instrument, date and value
    REPAIR = "repair"  # make the row a suspended (untradable) row and count it


class Repair(StrEnum):
    """Every repair a reader may make (see the module docstring)."""

    NAN_ROW_AS_SUSPENSION = "nan_row_as_suspension"
    NAN_VOLUME_AS_SUSPENSION = "nan_volume_as_suspension"
    PRELISTING_BACKFILL_DROPPED = "prelisting_backfill_dropped"
    INVALID_BAR_AS_SUSPENSION = "invalid_bar_as_suspension"


@dataclass(frozen=True)
class RepairConfig:
    """Args:
    invalid_values: policy for inf, factor <= 0 and NaN close with volume > 0 (default FAIL).
    """

    invalid_values: RepairPolicy = RepairPolicy.FAIL


@dataclass(frozen=True)
class RepairCounts:
    """Rows repaired, per repair and instrument: ``counts[repair][code] = n`` (only n > 0 kept)."""

    counts: Mapping[Repair, Mapping[str, int]] = field(default_factory=dict)

    @classmethod
    def from_masks(cls, masks: Mapping[Repair, np.ndarray], codes: np.ndarray) -> RepairCounts:
        """From (T, N) boolean masks of repaired rows over instruments ``codes`` (N,)."""
        out: dict[Repair, dict[str, int]] = {}
        for repair, mask in masks.items():
            per_code = np.asarray(mask, dtype=bool).sum(axis=0)
            hit = np.flatnonzero(per_code)
            if len(hit):
                out[repair] = {str(codes[i]): int(per_code[i]) for i in hit}
        return cls(out)

    @classmethod
    def from_rows(cls, masks: Mapping[Repair, np.ndarray], codes: pd.Series) -> RepairCounts:
        """From (R,) boolean masks over the rows of a long table whose ``code`` column is ``codes``."""
        out: dict[Repair, dict[str, int]] = {}
        for repair, mask in masks.items():
            mask = np.asarray(mask, dtype=bool)
            if mask.any():
                vc = pd.Series(codes.to_numpy()[mask]).value_counts().sort_index()
                out[repair] = {str(k): int(v) for k, v in vc.items()}
        return cls(out)

    @property
    def total(self) -> int:
        return sum(sum(per.values()) for per in self.counts.values())

    def as_metadata(self) -> dict[str, dict[str, int]]:
        """JSON-ready ``{repair: {code: rows}}``, keys sorted (same inputs -> same bytes)."""
        return {r.value: dict(sorted(self.counts[r].items())) for r in sorted(self.counts, key=str)}

    def summary(self) -> str:
        """One line: ``repair: rows in instruments (first codes)`` per repair."""
        parts = []
        for repair, per in sorted(self.counts.items(), key=lambda kv: str(kv[0])):
            codes = sorted(per)
            head = ", ".join(f"{c}={per[c]}" for c in codes[:5]) + (", ..." if len(codes) > 5 else "")
            parts.append(f"{repair.value}: {sum(per.values())} rows in {len(codes)} instruments ({head})")
        return "; ".join(parts)

    def log(self, logger: logging.Logger, what: str) -> None:
        """WARNING with :meth:`summary` when anything was repaired."""
        if self.counts:
            logger.warning("%s: repaired rows: %s", what, self.summary())


@runtime_checkable
class ReportsRepairs(Protocol):
    """A source that can say which rows of its bars it repaired."""

    def repairs(self, start: pd.Timestamp, end: pd.Timestamp) -> RepairCounts:
        """Repairs of the bars rows of trading days in [start, end]."""
        ...
