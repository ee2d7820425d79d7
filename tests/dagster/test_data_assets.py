"""Data-layer wiring: Definitions load, raw_bars materialises per month with its checks,
and bad input fails the run without touching the previous materialisation."""

import os
import sys
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest

from alpha_core.data.synthetic import SyntheticSource
from alpha_core.errors import DataContractError
from alpha_core.settings import Settings
from alpha_core.store.catalog import Catalog
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.definitions import build_definitions

# the hand-made Qlib directory of tests/data/_qlib_tiny.py (importlib mode: put its directory on sys.path)
_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
if _DATA not in sys.path:
    sys.path.insert(0, _DATA)
from _qlib_tiny import TINY_DAYS, tiny_market, write_bin, write_qlib  # noqa: E402

TINY_MONTH = "2020-08-01"


def _materialize(
    defs: dg.Definitions, selection: list[str], partition_key: str | None = None, raise_on_error: bool = True
) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        list(defs.assets) + list(defs.asset_checks),
        selection=selection,
        partition_key=partition_key,
        resources=defs.resources,
        raise_on_error=raise_on_error,
    )


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
    assert checks == {
        "ohlc_consistent": True,
        "unique_date_code": True,
        "non_negative": True,
        "finite_values": True,
        "calendar_coverage": True,
        "partitions_in_sync": True,
    }  # the WARN check of every partitioned asset (none stale yet)
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


def _set_bin(root: Path, code: str, field: str, day: int, value: float) -> Path:
    """Overwrite one day of one .bin file in place (``day`` is the calendar index)."""
    file = root / "features" / code.lower() / f"{field}.day.bin"
    raw = np.fromfile(file, dtype="<f4").astype(np.float64)
    raw[1 + day - int(raw[0])] = value
    write_bin(file, int(raw[0]), raw[1:])
    return file


def test_inf_in_qlib_bin_fails_the_run_and_keeps_the_previous_partition(tmp_path):
    """Issue 16 case 1: an inf close used to pass the contract and the checks and overwrite raw_bars."""
    root = write_qlib(tmp_path / "cn_qlib", TINY_DAYS, tiny_market())
    home = tmp_path / "home"
    assert _materialize(build_definitions(Settings(data=str(root), home=home)), ["raw_bars"], TINY_MONTH).success
    target = ParquetStore(home).path("raw_bars", TINY_MONTH)
    good = target.read_bytes()

    file = _set_bin(root, "SH600000", "close", 3, float("inf"))
    defs = build_definitions(Settings(data=str(root), home=home))
    with pytest.raises(DataContractError) as err:
        _materialize(defs, ["raw_bars"], TINY_MONTH)
    message = str(err.value)
    for part in (f"file={file}", "column=close", "instrument=SH600000", f"date={TINY_DAYS[3].date()}", "value=inf"):
        assert part in message
    assert target.read_bytes() == good


def test_repair_policy_counts_go_to_the_raw_bars_metadata(tmp_path, monkeypatch):
    """Issue 16 case 2: with ALPHA_DATA_REPAIR=repair a NaN close on a traded day becomes a
    suspension row, and the materialisation says so per instrument."""
    root = write_qlib(tmp_path / "cn_qlib", TINY_DAYS, tiny_market())
    _set_bin(root, "SH688001", "close", 6, float("nan"))  # volume 1e6 that day
    defs = build_definitions(Settings(data=str(root), home=tmp_path / "home"))
    with pytest.raises(DataContractError, match="NaN close"):  # the default policy refuses
        _materialize(defs, ["raw_bars"], TINY_MONTH)

    monkeypatch.setenv("ALPHA_DATA_REPAIR", "repair")
    result = _materialize(build_definitions(Settings(data=str(root), home=tmp_path / "home")), ["raw_bars"], TINY_MONTH)
    meta = result.asset_materializations_for_node("raw_bars")[0].metadata
    repairs = meta["repairs"].value
    assert repairs["invalid_bar_as_suspension"] == {"SH688001": 1}
    assert repairs["prelisting_backfill_dropped"] == {"SZ300344": 3}  # declared too
    assert meta["repaired_rows"].value == 4
    bars = ParquetStore(tmp_path / "home").read("raw_bars", [TINY_MONTH])
    row = bars[(bars["code"] == "SH688001") & (bars["date"] == TINY_DAYS[6])].iloc[0]
    assert not row["tradable"]


def test_file_source_is_validated_when_raw_bars_materialises(tmp_path):
    """Issue 16 case 6: without calendar.csv a duplicate bars row used to fail while the definitions
    loaded (the whole code location); now the definitions load and the raw_bars run fails."""
    market = SyntheticSource.from_profile("small")
    files = tmp_path / "vendor"
    files.mkdir()
    bars = market.bars(pd.Timestamp("2018-01-01"), pd.Timestamp("2018-02-28"))
    bars.to_parquet(files / "bars.parquet", index=False)
    home = tmp_path / "home"
    assert _materialize(build_definitions(Settings(data=str(files), home=home)), ["raw_bars"], "2018-02-01").success
    target = ParquetStore(home).path("raw_bars", "2018-02-01")
    good = target.read_bytes()

    dup = bars[bars["date"] == pd.Timestamp("2018-02-07")].iloc[[0]]
    pd.concat([bars, dup], ignore_index=True).to_parquet(files / "bars.parquet", index=False)
    defs = build_definitions(Settings(data=str(files), home=home))  # loads
    dg.Definitions.validate_loadable(defs)
    with pytest.raises(DataContractError) as err:
        _materialize(defs, ["raw_bars"], "2018-02-01")
    message = str(err.value)
    assert "bars.parquet" in message and "duplicate" in message and dup["code"].iloc[0] in message
    assert target.read_bytes() == good
