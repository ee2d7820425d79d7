"""Bad input in temporary directories: each error names what is wrong and where."""

from __future__ import annotations

import pandas as pd
import pytest
from _qlib_tiny import TINY_DAYS, tiny_market, write_bin, write_qlib

from alpha_core.data.files import FileSource
from alpha_core.data.qlib import QlibSource
from alpha_core.data.registry import open_source
from alpha_core.errors import DataContractError, UnknownCodeError

ALL = (pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01"))


def _bars_csv() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "date": ["2020-01-02", "2020-01-02", "2020-01-03", "2020-01-03"],
            "code": ["SH600000", "SZ000001", "SH600000", "SZ000001"],
            "open": [10.0, 15.0, 10.2, 15.1],
            "high": [10.5, 15.5, 10.6, 15.4],
            "low": [9.9, 14.8, 10.0, 15.0],
            "close": [10.2, 15.2, 10.4, 15.3],
            "volume": [1e6, 2e6, 1e6, 2e6],
        }
    )


def test_truncated_bin_partial_float(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "features" / "sh600000" / "close.day.bin"
    f.write_bytes(f.read_bytes()[:-2])  # cut inside the last float32
    with pytest.raises(DataContractError) as exc:
        QlibSource(root).bars(*ALL)
    loc = exc.value.location
    assert loc.file == str(f) and loc.instrument == "SH600000" and loc.column == "close"
    assert "truncated" in str(exc.value)


def test_truncated_bin_missing_days(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "features" / "sh600000" / "volume.day.bin"
    f.write_bytes(f.read_bytes()[: -3 * 4])  # the last 3 days lost, whole floats
    with pytest.raises(DataContractError) as exc:
        QlibSource(root).bars(*ALL)
    loc = exc.value.location
    assert loc.file == str(f) and loc.instrument == "SH600000" and loc.column == "volume"
    assert loc.date == str(TINY_DAYS[-3].date())  # the first day that is missing
    assert "truncated" in str(exc.value)


def test_bin_past_calendar(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    write_bin(root / "features" / "sh688001" / "open.day.bin", 5, [1.0] * 20)
    with pytest.raises(DataContractError) as exc:
        QlibSource(root).bars(*ALL)
    assert exc.value.location.instrument == "SH688001" and exc.value.location.column == "open"


def test_missing_calendar(tmp_path):
    root = write_qlib(tmp_path / "cn_qlib", TINY_DAYS, tiny_market())
    (root / "calendars" / "day.txt").unlink()
    with pytest.raises(DataContractError) as exc:
        QlibSource(root)
    assert exc.value.location.file == str(root / "calendars" / "day.txt")
    with pytest.raises(DataContractError, match="calendar"):
        open_source(str(root))  # still recognised as Qlib (features/), not silently read as files


def test_high_below_low(tmp_path):
    df = _bars_csv()
    df.loc[3, ["high", "low"]] = [14.0, 15.0]
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date) == (
        str(tmp_path / "bars.csv"),
        "high/low",
        "SZ000001",
        "2020-01-03",
    )


def test_duplicate_rows(tmp_path):
    df = pd.concat([_bars_csv(), _bars_csv().iloc[[2]]], ignore_index=True)
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.column, loc.instrument, loc.date) == ("date/code", "SH600000", "2020-01-03")
    assert "duplicate" in str(exc.value)


def test_negative_volume(tmp_path):
    df = _bars_csv()
    df.loc[1, "volume"] = -5.0
    df.to_parquet(tmp_path / "bars.parquet")
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date) == (
        str(tmp_path / "bars.parquet"),
        "volume",
        "SZ000001",
        "2020-01-02",
    )


def test_unknown_code_spelling(tmp_path):
    df = _bars_csv()
    df.loc[2, "code"] = "PINGAN"
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(UnknownCodeError) as exc:
        FileSource(tmp_path).bars(*ALL)
    assert exc.value.location.instrument == "PINGAN"
    assert exc.value.location.file == str(tmp_path / "bars.csv")
    assert exc.value.location.column == "code"


def test_unknown_code_in_qlib_instruments(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "instruments" / "all.txt"
    f.write_text(f.read_text() + "600000.SHX\t2020-08-17\t2020-09-01\n")
    with pytest.raises(UnknownCodeError) as exc:
        QlibSource(root).bars(*ALL)
    assert exc.value.location.file == str(f) and exc.value.location.instrument == "600000.SHX"


def test_bar_off_calendar(tmp_path):
    _bars_csv().to_csv(tmp_path / "bars.csv", index=False)
    pd.DataFrame({"date": ["2020-01-02"]}).to_csv(tmp_path / "calendar.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    assert exc.value.location.date == "2020-01-03" and exc.value.location.instrument == "SH600000"


def test_unparsable_number(tmp_path):
    df = _bars_csv().astype({"close": object})
    df.loc[0, "close"] = "n/a?"
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    assert exc.value.location.column == "close"


def test_error_message_names_location(tmp_path):
    df = _bars_csv()
    df.loc[0, "high"] = 1.0
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    text = str(exc.value)
    for part in ("bars.csv", "column=high/low", "instrument=SH600000", "date=2020-01-02"):
        assert part in text


# --- non-finite values (issue 16, case 1) -----------------------------------------------------------


@pytest.mark.parametrize("field, day", [("volume", 4), ("high", 6), ("close", 9)])
def test_inf_in_qlib_bin_names_file_column_instrument_date_value(tmp_path, field, day):
    market = tiny_market()
    start, values = market["SH600000"][field]
    values = list(values)
    values[day] = float("inf")
    market["SH600000"][field] = (start, values)
    root = write_qlib(tmp_path / "q", TINY_DAYS, market)
    with pytest.raises(DataContractError) as exc:
        QlibSource(root).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date, loc.value) == (
        str(root / "features" / "sh600000" / f"{field}.day.bin"),
        field,
        "SH600000",
        str(TINY_DAYS[day].date()),
        "inf",
    )


@pytest.mark.parametrize("column", ["close", "high"])
def test_inf_in_file_source_names_location_and_value(tmp_path, column):
    df = _bars_csv()
    df.loc[3, column] = float("-inf") if column == "close" else float("inf")
    df.to_parquet(tmp_path / "bars.parquet")
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.date) == (
        str(tmp_path / "bars.parquet"),
        column,
        "SZ000001",
        "2020-01-03",
    )
    assert loc.value in ("inf", "-inf") and f"value={loc.value}" in str(exc.value)


# --- errors that point at the line (issue 16, case 5) ------------------------------------------------


def test_bad_date_in_qlib_instrument_list(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "instruments" / "all.txt"
    lines = f.read_text().splitlines()
    lines[2] = lines[2].split("\t")[0] + "\t2020-13-45\t2020-09-01"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataContractError) as exc:
        QlibSource(root).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.instrument, loc.value, loc.line) == (
        str(f),
        "start",
        lines[2].split("\t")[0],
        "'2020-13-45'",
        3,
    )


def test_unparsable_day_in_qlib_calendar_names_value_and_line(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    f = root / "calendars" / "day.txt"
    lines = f.read_text().splitlines()
    lines[4] = "2020/08/21x"
    f.write_text("\n".join(lines) + "\n")
    with pytest.raises(DataContractError) as exc:
        QlibSource(root)
    loc = exc.value.location
    assert (loc.file, loc.value, loc.line) == (str(f), "'2020/08/21x'", 5)


def test_empty_calendar_csv(tmp_path):
    _bars_csv().to_csv(tmp_path / "bars.csv", index=False)
    (tmp_path / "calendar.csv").write_text("")
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).calendar()
    assert exc.value.location.file == str(tmp_path / "calendar.csv") and "empty" in str(exc.value)
    (tmp_path / "calendar.csv").write_text("date\n")  # a header, no day
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).calendar()
    assert exc.value.location.file == str(tmp_path / "calendar.csv") and "no dates" in str(exc.value)


@pytest.mark.parametrize("content", ["", "date,code,open,high,low,close,volume\n"])
def test_empty_bars_csv(tmp_path, content):
    (tmp_path / "bars.csv").write_text(content)
    src = open_source(str(tmp_path))
    with pytest.raises(DataContractError) as exc:
        src.calendar()  # what the Dagster definitions read first
    assert exc.value.location.file == str(tmp_path / "bars.csv")
    with pytest.raises(DataContractError) as exc:
        src.bars(*ALL)
    assert exc.value.location.file == str(tmp_path / "bars.csv")


def test_unparsable_date_names_value_and_line(tmp_path):
    df = _bars_csv()
    df.loc[2, "date"] = "2020-01-3x"
    df.to_csv(tmp_path / "bars.csv", index=False)
    with pytest.raises(DataContractError) as exc:
        FileSource(tmp_path).bars(*ALL)
    loc = exc.value.location
    assert (loc.file, loc.column, loc.value, loc.line) == (str(tmp_path / "bars.csv"), "date", "'2020-01-3x'", 4)
    assert "line=4" in str(exc.value) and "2020-01-3x" in str(exc.value)
