"""The three research reports this project reproduces (``../shared/seeds``; ``../shared/SPEC.md``).

:class:`Report` is the one key of a report across the layers: a model spec names the report it
comes from (:attr:`alpha_core.training.specs.ModelSpec.report`), and the same value keys that
report's portfolio preset (:data:`alpha_core.portfolio.presets.PRESETS`, whose keys are
:data:`alpha_core.portfolio.presets.PresetName`, this enum). Imports nothing.
"""

from __future__ import annotations

from enum import StrEnum


class Report(StrEnum):
    """R1: GAT + residual on 42 factors (weekly, CSI 500 enhancement); R2: BiAGRU-GAT (weekly);
    R3: PINN-MTICG with macro states (monthly)."""

    R1 = "r1"
    R2 = "r2"
    R3 = "r3"
