"""FileSource: a directory of Parquet/CSV tables in the project schema."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import BARS_COLUMNS, INSTRUMENT_COLUMNS
from alpha_core.data.files import FileSource
from alpha_core.data.qlib import QlibSource

ALL = (pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01"))


def _minimal(tmp_path):
    df = pd.DataFrame(
        {
            "date": ["2020-08-21", "2020-08-21", "2020-08-24", "2020-08-24", "2020-08-25"],
            "code": ["sz.300001", "600000.SH", "sz.300001", "600000.SH", "600000.XSHG"],
            "open": [10.0, 8.0, 10.5, 8.1, 8.2],
            "high": [10.6, 8.2, 11.0, 8.3, 8.3],
            "low": [9.9, 7.9, 10.1, 8.0, 8.1],
            "close": [10.2, 8.1, 10.9, 8.2, 8.25],
            "volume": [1e6, 2e6, 0.0, 2e6, 1e6],
            "amount": [1.02e7, 1.6e7, 0.0, 1.64e7, 8.2e6],
        }
    )
    df.to_csv(tmp_path / "bars.csv", index=False)
    return df


def test_minimal_export_is_completed(tmp_path):
    _minimal(tmp_path)
    src = FileSource(tmp_path)
    b = src.bars(*ALL)
    assert list(b.columns) == BARS_COLUMNS
    assert b["code"].tolist() == ["SH600000", "SZ300001", "SH600000", "SZ300001", "SH600000"]  # sorted, canonical
    row = b[(b["code"] == "SZ300001") & (b["date"] == "2020-08-24")].iloc[0]
    assert not row["tradable"] and np.isnan(row["vwap"])  # volume 0 -> suspended
    # ChiNext on the reform day: 20% of the previous close 10.2
    assert (row["limit_up"], row["limit_down"]) == (12.24, 8.16)
    main = b[(b["code"] == "SH600000") & (b["date"] == "2020-08-24")].iloc[0]
    assert (main["limit_up"], main["limit_down"]) == (8.91, 7.29)  # 8.1 x 1.1 = 8.91, x 0.9 = 7.29
    assert main["vwap"] == pytest.approx(1.64e7 / 2e6)
    assert np.isnan(b["turnover"]).all() and (b["adj_factor"] == 1.0).all() and not b["is_st"].any()
    assert list(src.calendar()) == list(pd.to_datetime(["2020-08-21", "2020-08-24", "2020-08-25"]))
    inst = src.instruments()
    assert list(inst.columns) == INSTRUMENT_COLUMNS
    assert inst.set_index("code").loc["SZ300001", "board"] == "chinext"
    assert inst.set_index("code").loc["SZ300001", "delist_date"] == pd.Timestamp("2020-08-25")
    assert pd.isna(inst.set_index("code").loc["SH600000", "delist_date"])
    assert src.bars(pd.Timestamp("2020-08-24"), pd.Timestamp("2020-08-24"))["date"].nunique() == 1


def test_roundtrip_of_qlib_tables(tiny_qlib, tmp_path):
    q = QlibSource(tiny_qlib)
    out = tmp_path / "export"
    out.mkdir()
    q.bars(*ALL).to_parquet(out / "bars.parquet")
    q.instruments().to_csv(out / "instruments.csv", index=False)
    q.index_levels(*ALL).to_parquet(out / "index_levels.parquet")
    q.index_weights(*ALL).to_csv(out / "index_weights.csv", index=False)
    f = FileSource(out)
    pd.testing.assert_frame_equal(f.bars(*ALL), q.bars(*ALL))
    pd.testing.assert_frame_equal(f.instruments(), q.instruments())
    pd.testing.assert_frame_equal(f.index_levels(*ALL), q.index_levels(*ALL))
    pd.testing.assert_frame_equal(f.index_weights(*ALL), q.index_weights(*ALL), check_exact=False)
    assert f.available_tables() >= {"bars", "instruments", "index_levels", "index_weights"}
    assert "consensus" not in f.available_tables()
    assert f.consensus(*ALL).empty and f.fundamentals().empty


def test_fundamentals_and_macro_files(tmp_path):
    _minimal(tmp_path)
    pd.DataFrame(
        {
            "code": ["000001.SZ"],
            "report_period": ["2020-03-31"],
            "announce_date": ["2020-04-20"],
            "revenue": [1e9],
            "net_profit": [1e8],
        }
    ).to_csv(tmp_path / "fundamentals.csv", index=False)
    pd.DataFrame(
        {"series": ["m2"], "period": ["2020-01-01"], "value": [2e6], "release_date": ["2020-02-15"]}
    ).to_parquet(tmp_path / "macro_raw.parquet")
    src = FileSource(tmp_path)
    f = src.fundamentals()
    assert f["code"].tolist() == ["SZ000001"] and np.isnan(f["ocf"].iloc[0])
    assert src.macro()["release_date"].iloc[0] == pd.Timestamp("2020-02-15")
    assert {"fundamentals", "macro"} <= src.available_tables()
