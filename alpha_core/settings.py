"""Process-level settings read from the environment in one place.

- ``ALPHA_DATA``: which data source (``synthetic`` default, ``synthetic:<profile>``,
  a Qlib directory, or a Parquet/CSV directory); see :mod:`alpha_core.data.registry`.
- ``ALPHA_HOME``: the data root of the Parquet store and DuckDB catalog (default ``.alpha_home``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data: str = "synthetic"
    home: Path = Path(".alpha_home")

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            data=os.environ.get("ALPHA_DATA", "synthetic"),
            home=Path(os.environ.get("ALPHA_HOME", ".alpha_home")).resolve(),
        )
