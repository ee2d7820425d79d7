"""Resource classes (instances live in alpha_dagster/defs/resources.py)."""

from __future__ import annotations

import functools
from pathlib import Path

import dagster as dg

from alpha_core.data.source import DataSource
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore


class AlphaStore(dg.ConfigurableResource):
    """The Parquet store and DuckDB catalog under ``home`` (``ALPHA_HOME``)."""

    home: str

    @property
    def store(self) -> ParquetStore:
        return ParquetStore(self.home)

    @property
    def catalog(self) -> Catalog:
        return Catalog(self.home)

    @property
    def path(self) -> Path:
        return Path(self.home).resolve()


class MarketData(dg.ConfigurableResource):
    """The data source chosen by ``ALPHA_DATA`` (see alpha_core.data.registry)."""

    spec: str = "synthetic"

    def open(self) -> DataSource:
        return open_cached_source(self.spec)


@functools.lru_cache(maxsize=4)
def open_cached_source(spec: str) -> DataSource:
    """One source object per process and spec: sources cache what they read (the synthetic
    market is generated once), so the assets of one run share it."""
    from alpha_core.data.registry import open_source

    return open_source(spec)
