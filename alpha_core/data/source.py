"""The one interface every data source implements.

A source is chosen by one setting, ``ALPHA_DATA`` (see :func:`alpha_core.data.registry.open_source`):
``synthetic`` (default, the embedded market), ``synthetic:large``, a Qlib
``cn_data`` directory, or a directory of Parquet/CSV files in the project's
own schema. Every method returns a table of :mod:`alpha_core.data.contract`,
already normalised (canonical codes, raw prices, contract dtypes) and validated.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import pandas as pd


@runtime_checkable
class DataSource(Protocol):
    """Read-only access to one market's data. Implementations must be deterministic."""

    name: str

    def calendar(self) -> pd.DatetimeIndex:
        """Trading days, ascending."""
        ...

    def available_tables(self) -> frozenset[str]:
        """Names of the optional tables this source has (e.g. ``consensus``, ``fundamentals``).

        Factors whose inputs are missing are *absent* (not filled) and listed as such in metadata.
        """
        ...

    def instruments(self) -> pd.DataFrame: ...

    def bars(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Daily bars of every instrument for trading days in [start, end] (inclusive)."""
        ...

    def industry_map(self) -> pd.DataFrame: ...

    def index_levels(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame: ...

    def index_weights(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame: ...

    def fundamentals(self) -> pd.DataFrame: ...

    def consensus(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame: ...

    def macro(self) -> pd.DataFrame: ...
