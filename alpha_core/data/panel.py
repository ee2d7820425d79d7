"""Wide (date x instrument) views of long tables, for vectorised numpy work.

Rolling-window factors are an order of magnitude faster on a (T, N) array than
as a pandas groupby-rolling; this module is the one place that pivots.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Panel:
    """A set of aligned (T, N) float64 arrays.

    Attributes:
        dates: the T trading days (ascending).
        codes: the N instrument codes (sorted).
        fields: field name -> array of shape (T, N); NaN where the instrument has no row.
    """

    dates: pd.DatetimeIndex
    codes: pd.Index
    fields: dict[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_long(cls, df: pd.DataFrame, columns: Iterable[str]) -> Panel:
        """Pivot ``columns`` of a long (date, code) table into (T, N) arrays in one pass."""
        columns = list(columns)
        dates = pd.DatetimeIndex(np.sort(df["date"].unique()))
        codes = pd.Index(np.sort(df["code"].unique()))
        ti = dates.get_indexer(df["date"])
        ni = codes.get_indexer(df["code"])
        out: dict[str, np.ndarray] = {}
        for col in columns:
            arr = np.full((len(dates), len(codes)), np.nan)
            arr[ti, ni] = df[col].to_numpy(dtype=np.float64, na_value=np.nan)
            out[col] = arr
        return cls(dates, codes, out)

    def __getitem__(self, name: str) -> np.ndarray:
        return self.fields[name]

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.dates), len(self.codes)

    def to_long(self, names: Iterable[str] | None = None, *, dropna_all: bool = True) -> pd.DataFrame:
        """Back to a long (date, code, *names) table sorted by (date, code)."""
        names = list(self.fields) if names is None else list(names)
        t, n = self.shape
        data = {
            "date": np.repeat(self.dates.values, n),
            "code": np.tile(self.codes.values.astype(object), t),
        }
        for name in names:
            data[name] = self.fields[name].reshape(-1)
        out = pd.DataFrame(data)
        if dropna_all and names:
            out = out[~out[names].isna().all(axis=1)]
        return out.reset_index(drop=True)
