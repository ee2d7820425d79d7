"""Resource classes (instances live in alpha_dagster/defs/resources.py)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from alpha_core.data.repairs import RepairConfig, RepairPolicy
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
    """The data source chosen by ``ALPHA_DATA`` (see alpha_core.data.registry).

    The source is opened once per run (lazily) and shared by that run's assets: sources
    cache what they read (the synthetic market is generated once per run), while a new
    run sees corrected files. ``repair_policy`` decides what happens to values a vendor should
    never send (inf, factor <= 0, NaN close on a traded day): ``fail`` (default) or ``repair``
    (see alpha_core.data.repairs); None defers to ``ALPHA_DATA_REPAIR``.
    """

    spec: str = "synthetic"
    repair_policy: RepairPolicy | None = None
    _source: DataSource | None = PrivateAttr(default=None)

    def open(self) -> DataSource:
        if self._source is None:
            from alpha_core.data.registry import open_source

            repairs = None if self.repair_policy is None else RepairConfig(invalid_values=self.repair_policy)
            self._source = open_source(self.spec, repairs=repairs)
        return self._source
