"""Resource instances, configured from the environment (ALPHA_HOME, ALPHA_DATA)."""

from __future__ import annotations

from alpha_core.settings import Settings
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import AlphaStore, MarketData


def build_resources(settings: Settings) -> dict[str, object]:
    home = str(settings.home)
    return {
        "io_manager": ParquetIOManager(home=home),
        "alpha_store": AlphaStore(home=home),
        "market": MarketData(spec=settings.data),
    }
