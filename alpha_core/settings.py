"""Process-level settings read from the environment in one place.

- ``ALPHA_DATA``: which data source (``synthetic`` default, ``synthetic:<profile>``,
  a Qlib directory, or a Parquet/CSV directory); see :mod:`alpha_core.data.registry`.
- ``ALPHA_HOME``: the data root of the Parquet store and DuckDB catalog (default ``.alpha_home``).
- ``ALPHA_FOLDS``: the walk-forward plan, ``paper`` (R1's windows), ``demo`` (short folds) or
  ``quick`` (tiny folds); default ``demo`` on the synthetic market (``quick`` on its 2-year
  ``small`` profile), ``paper`` on any other source.
- ``ALPHA_DEVICE``: where torch models train, ``auto`` (default: a CUDA device when torch sees
  one, else the CPU), ``cpu`` or ``cuda`` (:mod:`alpha_core.training.device`); a fold's run
  config can still name its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alpha_core.folds import FoldPlan
from alpha_core.training.device import DevicePolicy


@dataclass(frozen=True)
class Settings:
    data: str = "synthetic"
    home: Path = Path(".alpha_home")
    folds: str | None = None
    device: DevicePolicy = DevicePolicy.AUTO

    def __post_init__(self) -> None:
        object.__setattr__(self, "device", _device(self.device))

    @property
    def fold_plan(self) -> FoldPlan:
        if self.folds:
            return FoldPlan(self.folds)
        if self.data == "synthetic:small":
            return FoldPlan.QUICK
        return FoldPlan.DEMO if self.data.startswith("synthetic") else FoldPlan.PAPER

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data=os.environ.get("ALPHA_DATA", "synthetic"),
            home=Path(os.environ.get("ALPHA_HOME", ".alpha_home")).resolve(),
            folds=os.environ.get("ALPHA_FOLDS") or None,
            device=os.environ.get("ALPHA_DEVICE") or DevicePolicy.AUTO,
        )


def _device(value: DevicePolicy | str) -> DevicePolicy:
    try:
        return DevicePolicy(str(value).lower())
    except ValueError:
        raise ValueError(f"ALPHA_DEVICE={value!r}: expected one of {[d.value for d in DevicePolicy]}") from None
