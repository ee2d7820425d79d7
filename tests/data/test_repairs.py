"""Declared repairs (issue 16, cases 2 and 3): values a vendor should never send fail by default
with their location; the opt-in repair policy counts every repaired row per instrument; rows
before the first trade at the start of the data are kept."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from _qlib_tiny import TINY_DAYS, tiny_market, write_qlib

from alpha_core.data.files import FileSource
from alpha_core.data.qlib import QlibSource
from alpha_core.data.repairs import Repair, RepairConfig, RepairCounts, RepairPolicy
from alpha_core.errors import DataContractError

ALL = (pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01"))
REPAIR = RepairConfig(invalid_values=RepairPolicy.REPAIR)


def _set(market: dict, code: str, field: str, day: int, value: float) -> None:
    """Set ``field`` of ``code`` on calendar day ``day`` (values are stored from the file's start)."""
    start, values = market[code][field]
    values = list(values)
    values[day - start] = value
    market[code][field] = (start, values)


def _row(bars: pd.DataFrame, code: str, day: int) -> pd.Series:
    return bars[(bars["code"] == code) & (bars["date"] == TINY_DAYS[day])].iloc[0]


@pytest.mark.parametrize(
    "field, value, what",
    [("close", float("nan"), "NaN close"), ("close", float("inf"), "infinite"), ("factor", 0.0, "factor <= 0")],
)
def test_qlib_vendor_error_fails_by_default_with_location(tmp_path, field, value, what):
    market = tiny_market()
    _set(market, "SH688001", field, 6, value)  # a traded day: volume 1e6
    root = write_qlib(tmp_path / "q", TINY_DAYS, market)
    with pytest.raises(DataContractError, match=what) as exc:
        QlibSource(root).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date, loc.value) == (
        str(root / "features" / "sh688001" / f"{field}.day.bin"),
        field,
        "SH688001",
        str(TINY_DAYS[6].date()),
        repr(value),
    )


def test_qlib_repair_policy_counts_the_repaired_row(tmp_path):
    market = tiny_market()
    _set(market, "SH688001", "close", 6, float("nan"))  # volume 1e6 that day
    src = QlibSource(write_qlib(tmp_path / "q", TINY_DAYS, market), repairs=REPAIR)
    bars = src.bars(*ALL)
    r, prev = _row(bars, "SH688001", 6), _row(bars, "SH688001", 5)
    assert not r["tradable"] and r["volume"] == 0 and r["close"] == prev["close"] == 35.0  # flat at day 5
    assert src.repairs(*ALL).counts[Repair.INVALID_BAR_AS_SUSPENSION] == {"SH688001": 1}
    assert src.repairs(TINY_DAYS[7], TINY_DAYS[-1]).counts == {}  # counted on its own day only


def test_qlib_nan_row_is_a_declared_counted_repair(tmp_path, caplog):
    """A whole NaN row (standard Qlib suspension) is repaired under the default policy, but counted
    per instrument and logged at WARNING."""
    market = tiny_market()
    for name in market["SH600000"]:
        _set(market, "SH600000", name, 7, float("nan"))
    src = QlibSource(write_qlib(tmp_path / "q", TINY_DAYS, market))
    with caplog.at_level(logging.WARNING, logger="alpha_core.data.qlib"):
        bars = src.bars(*ALL)
    assert not _row(bars, "SH600000", 7)["tradable"]
    got = src.repairs(*ALL)
    assert got.counts[Repair.NAN_ROW_AS_SUSPENSION] == {"SH600000": 1}
    assert got.as_metadata()["nan_row_as_suspension"] == {"SH600000": 1}
    assert any(rec.levelno == logging.WARNING and "nan_row_as_suspension" in rec.getMessage() for rec in caplog.records)


def test_file_source_nan_close_on_traded_day_fails_by_default(tmp_path):
    bars = pd.DataFrame(
        {
            "date": ["2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"],
            "code": ["SH600000", "SZ000001", "SH600000", "SZ000001"],
            "open": [10.0, 15.0, 10.2, 15.1],
            "high": [10.5, 15.5, 10.6, 15.4],
            "low": [9.9, 14.8, 10.0, 15.0],
            "close": [10.2, 15.2, np.nan, 15.3],
            "volume": [1e6, 2e6, 1e6, 2e6],
        }
    )
    bars.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError, match="NaN close") as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date, loc.line) == (
        str(tmp_path / "bars.csv"),
        "close",
        "SH600000",
        "2020-01-03",
        4,
    )

    src = FileSource(tmp_path, repairs=REPAIR)
    got = src.bars(*ALL).set_index(["code", "date"])
    row = got.loc[("SH600000", pd.Timestamp("2020-01-03"))]
    assert not row["tradable"] and np.isnan(row["vwap"])  # a NaN close never stays tradable
    assert got["tradable"].sum() == 3
    assert src.repairs(*ALL).counts == {Repair.INVALID_BAR_AS_SUSPENSION: {"SH600000": 1}}

    bars.assign(volume=[1e6, 2e6, 0.0, 2e6], tradable=[True, True, True, True]).to_csv(
        tmp_path / "bars.csv", index=False
    )  # no volume, but the vendor says tradable: still an error
    with pytest.raises(DataContractError, match="NaN close"):
        FileSource(tmp_path).bars(*ALL)


def test_repair_counts_per_instrument_from_masks():
    masks = {Repair.NAN_ROW_AS_SUSPENSION: np.array([[True, False, True], [True, False, False]])}
    got = RepairCounts.from_masks(masks, np.array(["A", "B", "C"]))
    assert got.counts == {Repair.NAN_ROW_AS_SUSPENSION: {"A": 2, "C": 1}} and got.total == 3
    assert "2 instruments" in got.summary() and RepairCounts().summary() == ""


# --- rows before the first trade (case 3) -------------------------------------------------------------


def _suspended_from_day0(market: dict, code: str, days: int) -> None:
    """Make ``code`` (data from calendar day 0) suspended on its first ``days`` days: flat at the
    first close, no volume, like SH600022 in the shared dump."""
    start, close = market[code]["close"]
    assert start == 0
    for k in range(days):
        for name in ("open", "high", "low"):
            _set(market, code, name, k, close[0])
        _set(market, code, "close", k, close[0])
        _set(market, code, "volume", k, 0.0)


def test_rows_suspended_from_the_first_calendar_day_are_kept(tmp_path):
    market = tiny_market()
    _suspended_from_day0(market, "SH600000", 3)
    src = QlibSource(write_qlib(tmp_path / "q", TINY_DAYS, market))
    bars = src.bars(*ALL)
    mine = bars[bars["code"] == "SH600000"]
    assert len(mine) == 12 and mine["date"].min() == TINY_DAYS[0]
    assert not mine["tradable"].iloc[:3].any() and mine["tradable"].iloc[4]
    assert (mine["close"].iloc[:3] == 10.0).all()  # the last close is in the file
    inst = src.instruments().set_index("code")
    assert inst.loc["SH600000", "list_date"] == TINY_DAYS[0]  # all.txt start, not the first trade
    assert "SH600000" not in src.repairs(*ALL).counts.get(Repair.PRELISTING_BACKFILL_DROPPED, {})


def test_backfill_after_the_first_calendar_day_is_dropped_and_counted(tiny_qlib):
    """SZ300344's data start on day 1 with 3 back-filled rows: they go, counted per instrument."""
    src = QlibSource(tiny_qlib)
    got = src.bars(*ALL)
    assert got[got["code"] == "SZ300344"]["date"].min() == TINY_DAYS[4]
    assert src.instruments().set_index("code").loc["SZ300344", "list_date"] == TINY_DAYS[4]
    assert src.repairs(*ALL).counts[Repair.PRELISTING_BACKFILL_DROPPED] == {"SZ300344": 3}


def test_listing_date_comes_from_the_instrument_file(tmp_path):
    """all.txt says SH688001 listed on day 4 although its .bin has (traded) rows from day 2."""
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "instruments" / "all.txt"
    f.write_text(f.read_text().replace(f"SH688001\t{TINY_DAYS[2]:%Y-%m-%d}", f"SH688001\t{TINY_DAYS[4]:%Y-%m-%d}"))
    assert QlibSource(root).instruments().set_index("code").loc["SH688001", "list_date"] == TINY_DAYS[4]
