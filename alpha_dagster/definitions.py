"""Builds the Dagster Definitions for the configured data source; nothing else."""

from __future__ import annotations

import dagster as dg

from alpha_core.settings import Settings
from alpha_dagster.defs.assets.data import build_data_assets
from alpha_dagster.defs.assets.features import build_feature_assets
from alpha_dagster.defs.assets.graphs import build_graph_assets
from alpha_dagster.defs.checks.bars import build_bar_checks
from alpha_dagster.defs.partitions import build_scheme
from alpha_dagster.defs.resources import build_resources
from alpha_core.data.registry import open_source


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or Settings.from_env()
    source = open_source(settings.data)
    calendar = source.calendar()
    scheme = build_scheme(calendar, fold_keys=[], model_keys=["none"], strategy_keys=["none"])
    data_assets = build_data_assets(scheme, with_ground_truth=hasattr(source, "ground_truth"))
    raw_bars = next(a for a in data_assets if a.key == dg.AssetKey("raw_bars"))
    assets = [*data_assets, *build_feature_assets(scheme), *build_graph_assets()]
    return dg.Definitions(
        assets=assets,
        asset_checks=build_bar_checks(raw_bars),
        resources=build_resources(settings),
    )


defs = build_definitions()
