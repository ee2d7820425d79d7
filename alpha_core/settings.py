"""Process-level settings read from the environment in one place.

- ``ALPHA_DATA``: which data source (``synthetic`` default, ``synthetic:<profile>``,
  a Qlib directory, or a Parquet/CSV directory); see :mod:`alpha_core.data.registry`.
- ``ALPHA_HOME``: the data root of the Parquet store and DuckDB catalog (default ``.alpha_home``).
- ``ALPHA_FOLDS``: the walk-forward plan, ``paper`` (R1's windows), ``demo`` (short folds) or
  ``quick`` (tiny folds); default ``demo`` on the synthetic market (``quick`` on its 2-year
  ``small`` profile), ``paper`` on any other source.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from alpha_core.folds import FoldPlan


@dataclass(frozen=True)
class Settings:
    data: str = "synthetic"
    home: Path = Path(".alpha_home")
    folds: str | None = None

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
        )
