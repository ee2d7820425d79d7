"""Data-layer wiring: Definitions load, raw_bars materialises per month with its checks,
and bad input fails the run without touching the previous materialisation."""

from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.errors import DataContractError
from alpha_core.settings import Settings
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions


def _materialize(defs: dg.Definitions, selection: list[str], partition_key: str | None = None,
                 raise_on_error: bool = True) -> dg.ExecuteInProcessResult:
    return dg.materialize(list(defs.assets) + list(defs.asset_checks), selection=selection,
                          partition_key=partition_key, resources=defs.resources, raise_on_error=raise_on_error)


@pytest.fixture(scope="module")
def small_defs(tmp_path_factory) -> tuple[dg.Definitions, Path]:
    home = tmp_path_factory.mktemp("home")
    return build_definitions(Settings(data="synthetic:small", home=home)), home


def test_definitions_load_and_validate(small_defs):
    defs, _ = small_defs
    dg.Definitions.validate_loadable(defs)
    keys = {a.key.to_user_string() for a in defs.assets}
    assert {"instruments", "raw_bars", "industry_map", "index_weights", "fundamentals", "macro_raw"} <= keys


def test_raw_bars_month_and_checks(small_defs):
    defs, home = small_defs
    result = _materialize(defs, ["raw_bars"], "2018-03-01")
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"ohlc_consistent": True, "unique_date_code": True, "non_negative": True,
                      "calendar_coverage": True}
    bars = ParquetStore(home).read("raw_bars", ["2018-03-01"])
    assert bars["date"].min() >= pd.Timestamp("2018-03-01") and bars["date"].max() <= pd.Timestamp("2018-03-31")
    n = Catalog(home).query("SELECT count(*) AS n FROM raw_bars")["n"].iloc[0]
    assert n == len(bars)


def test_bad_month_fails_clearly_and_keeps_previous_file(tmp_path):
    market = SyntheticSource.from_profile("small")
    files = tmp_path / "vendor"
    files.mkdir()
    bars = market.bars(pd.Timestamp("2018-01-01"), pd.Timestamp("2018-02-28"))
    bars.to_parquet(files / "bars.parquet", index=False)
    market.instruments().to_parquet(files / "instruments.parquet", index=False)
    pd.DataFrame({"date": bars["date"].drop_duplicates()}).to_csv(files / "calendar.csv", index=False)
    home = tmp_path / "home"
    defs = build_definitions(Settings(data=str(files), home=home))
    assert _materialize(defs, ["raw_bars"], "2018-02-01").success
    target = ParquetStore(home).path("raw_bars", "2018-02-01")
    good = target.read_bytes()

    # The vendor file now has a bar with high < low on 2018-02-06.
    bad = bars.copy()
    row = bad.index[(bad["date"] == pd.Timestamp("2018-02-06")) & bad["tradable"]][0]
    bad.loc[row, "high"] = bad.loc[row, "low"] - 0.5
    bad.to_parquet(files / "bars.parquet", index=False)
    defs = build_definitions(Settings(data=str(files), home=home))
    with pytest.raises(DataContractError) as err:
        _materialize(defs, ["raw_bars"], "2018-02-01")
    message = str(err.value)
    assert "bars.parquet" in message and bad.loc[row, "code"] in message and "2018-02-06" in message
    assert "high" in message
    assert target.read_bytes() == good
