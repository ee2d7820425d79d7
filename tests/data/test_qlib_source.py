"""QlibSource on the real shared dump (../shared/data): values checked against the raw files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.data.contract import BARS_COLUMNS, FUNDAMENTAL_COLUMNS, MACRO_COLUMNS
from alpha_core.data.qlib import INDEX_CODES, QlibSource

pytestmark = pytest.mark.realdata
ALL = (pd.Timestamp("2010-01-01"), pd.Timestamp("2022-12-31"))


@pytest.fixture(scope="module")
def src(shared_data) -> QlibSource:
    return QlibSource(shared_data / "cn_qlib", shared_data / "cn_extra", shared_data / "cn_macro")


@pytest.fixture(scope="module")
def bars(src) -> pd.DataFrame:
    return src.bars(*ALL)


def _bin(qlib_dir, code: str, field: str, day: str) -> float:
    cal = (qlib_dir / "calendars" / "day.txt").read_text().split()
    raw = np.fromfile(qlib_dir / "features" / code.lower() / f"{field}.day.bin", dtype="<f4")
    return float(raw[1 + cal.index(day) - int(raw[0])])


def _get(bars: pd.DataFrame, code: str, day: str) -> pd.Series:
    sel = bars[(bars["code"] == code) & (bars["date"] == pd.Timestamp(day))]
    assert len(sel) == 1
    return sel.iloc[0]


def test_shape_and_no_index_in_bars(bars, src):
    assert list(bars.columns) == BARS_COLUMNS
    assert bars["code"].nunique() == 706
    assert not set(bars["code"]).intersection(INDEX_CODES)
    assert bars["date"].min() == pd.Timestamp("2010-01-04") and bars["date"].max() == pd.Timestamp("2022-12-30")
    assert len(src.calendar()) == 3159


def test_raw_close_is_close_over_factor(bars, qlib_dir):
    for code, day in [("SH600000", "2020-01-02"), ("SZ000001", "2015-06-15"), ("SH600519", "2018-03-01")]:
        expected = _bin(qlib_dir, code, "close", day) / _bin(qlib_dir, code, "factor", day)
        row = _get(bars, code, day)
        assert row["close"] == pytest.approx(expected, abs=0.005)
        assert row["close"] == pytest.approx(round(expected, 2), abs=1e-9)
        assert row["adj_factor"] == pytest.approx(_bin(qlib_dir, code, "factor", day), rel=1e-6)
    assert _get(bars, "SH600000", "2020-01-02")["close"] == pytest.approx(12.47)  # the exchange's close


def test_suspension_untradable(bars, qlib_dir):
    # SH600009 (Shanghai Airport) was suspended from 2021-06-10: volume 0 in the .bin
    assert _bin(qlib_dir, "SH600009", "volume", "2021-06-10") == 0
    row = _get(bars, "SH600009", "2021-06-10")
    assert not row["tradable"] and np.isnan(row["vwap"]) and row["amount"] == 0
    assert _get(bars, "SH600009", "2021-06-09")["tradable"]
    assert not bars.loc[bars["volume"] <= 0, "tradable"].any()


def test_leading_flat_rows_kept_as_suspension(bars, src, qlib_dir):
    # SZ000156 has 677 flat, volume-0 rows from the first day of the dump; trading resumes 2012-10-19.
    # Rows from the first calendar day are a suspension of a listed stock: kept, untradable.
    vol = np.fromfile(qlib_dir / "features" / "sz000156" / "volume.day.bin", dtype="<f4")[1:]
    first_trade = int(np.flatnonzero(vol > 0)[0])
    cal = pd.DatetimeIndex((qlib_dir / "calendars" / "day.txt").read_text().split())
    got = bars[bars["code"] == "SZ000156"]
    assert got["date"].min() == cal[0] and cal[first_trade] == pd.Timestamp("2012-10-19")
    assert not got[got["date"] < cal[first_trade]]["tradable"].any() and got["tradable"].iloc[first_trade]
    inst = src.instruments().set_index("code")
    assert inst.loc["SZ000156", "list_date"] == cal[0]  # all.txt's start, not the first trade
    # the README's example SZ300344 is not in this dump at all (see tests/data/test_qlib_tiny.py)
    assert "SZ300344" not in inst.index


SUSPENDED_AT_START = ["SH600022", "SH600739", "SH601699", "SZ000623", "SZ000685", "SZ000709"]


def test_stocks_suspended_on_the_first_day_keep_their_rows(qlib_dir, tmp_path):
    """Issue 16 case 3, on a six-stock view of the dump (links, no copy): the suspended rows from
    2010-01-04 are kept, untradable at the file's close, and list_date is all.txt's 2010-01-04."""
    view = tmp_path / "cn_qlib"
    (view / "calendars").mkdir(parents=True)
    (view / "calendars" / "day.txt").symlink_to(qlib_dir / "calendars" / "day.txt")
    (view / "features").mkdir()
    lines = [
        line
        for line in (qlib_dir / "instruments" / "all.txt").read_text().splitlines()
        if line.split("\t")[0] in SUSPENDED_AT_START
    ]
    (view / "instruments").mkdir()
    (view / "instruments" / "all.txt").write_text("\n".join(lines) + "\n")
    for code in SUSPENDED_AT_START:
        (view / "features" / code.lower()).symlink_to(qlib_dir / "features" / code.lower())
    src = QlibSource(view)
    first = pd.Timestamp("2010-01-04")
    bars = src.bars(first, pd.Timestamp("2010-03-31"))
    inst = src.instruments().set_index("code")
    for code in SUSPENDED_AT_START:
        vol = np.fromfile(qlib_dir / "features" / code.lower() / "volume.day.bin", dtype="<f4")[1:]
        close = np.fromfile(qlib_dir / "features" / code.lower() / "close.day.bin", dtype="<f4")[1:]
        factor = np.fromfile(qlib_dir / "features" / code.lower() / "factor.day.bin", dtype="<f4")[1:]
        n_susp = int(np.flatnonzero(vol > 0)[0])
        mine = bars[bars["code"] == code].reset_index(drop=True)
        assert mine["date"].iloc[0] == first, code
        assert not mine["tradable"].iloc[:n_susp].any() and mine["tradable"].iloc[n_susp], code
        raw = np.floor(float(close[0]) / float(factor[0]) * 100 + 0.5 + 1e-7) / 100
        assert mine["close"].iloc[0] == pytest.approx(raw), code
        assert inst.loc[code, "list_date"] == first, code


def _span_members(qlib_dir, day: str) -> set[str]:
    spans = pd.read_csv(qlib_dir / "instruments" / "csi300.txt", sep="\t", header=None, names=["code", "s", "e"])
    return set(spans[(spans["s"] <= day) & (spans["e"] >= day)]["code"])


def test_csi300_membership_and_weights(src, qlib_dir):
    w = src.index_weights(pd.Timestamp("2019-06-28"), pd.Timestamp("2019-06-28"))
    assert 270 <= len(w) <= 300
    assert set(w["code"]) == _span_members(qlib_dir, "2019-06-28")
    assert w["weight"].sum() == pytest.approx(1.0)
    assert w["weight"].nunique() > 100  # market-cap weighted where caps are known (2016-2020)
    big = w.set_index("code")["weight"]
    assert big["SH601318"] > big.median() * 5  # Ping An, the largest cap, dominates
    early = src.index_weights(pd.Timestamp("2012-03-01"), pd.Timestamp("2012-03-01"))
    assert set(early["code"]) == _span_members(qlib_dir, "2012-03-01")  # 260: missing historical members
    np.testing.assert_allclose(early["weight"], 1 / len(early))  # no caps before 2016: equal weight


def test_limit_prices_known_day(bars, shared_data):
    detail = pd.read_parquet(shared_data / "cn_extra" / "csi300_daily_detail.parquet")
    pre = detail[(detail["code"] == "sh.600000") & (detail["date"] == "2020-01-03")]["preclose"].iloc[0]
    assert pre == pytest.approx(12.47)
    row = _get(bars, "SH600000", "2020-01-03")
    assert row["limit_up"] == pytest.approx(13.72)  # 12.47 * 1.1 = 13.717
    assert row["limit_down"] == pytest.approx(11.22)  # 12.47 * 0.9 = 11.223
    star = _get(bars, "SH688981", "2021-06-01")  # STAR: 20%
    prev = _get(bars, "SH688981", "2021-05-31")["close"]
    assert star["limit_up"] == pytest.approx(np.floor(prev * 1.2 * 100 + 0.5) / 100)
    tradable = bars[bars["tradable"] & bars["limit_up"].notna()]
    assert (tradable["close"] <= tradable["limit_up"] + 1e-9).mean() > 0.99999


def test_extras_joined(bars, shared_data):
    row = _get(bars, "SH600000", "2020-01-02")
    assert row["amount"] == pytest.approx(647446166.0, rel=1e-6)  # daily detail, raw CNY
    assert row["turnover"] == pytest.approx(0.1837 / 100)
    assert row["vwap"] == pytest.approx(647446166.0 / 51629079.0, rel=1e-5)
    # market cap: the month-end file's shares carried into the next month x that day's raw close
    m = pd.read_csv(shared_data / "cn_extra" / "csi300_mcap_monthly.csv")
    jan = m[(m["code"] == "600000.SH") & (m["date"] == "2016-01-31")]["mcap"].iloc[0]
    c_jan = _get(bars, "SH600000", "2016-01-29")["close"]
    feb = _get(bars, "SH600000", "2016-02-01")
    assert feb["total_mcap"] == pytest.approx(jan * 1e8 * feb["close"] / c_jan, rel=1e-9)
    assert np.isnan(_get(bars, "SH600000", "2016-01-28")["total_mcap"])  # before the first month end
    assert np.isnan(_get(bars, "SH600000", "2015-06-01")["turnover"])  # no source: NaN, never invented
    # Ping An's total cap is written in trillions in the file (1.5663 on 2019-07-31): ~1.57e12 CNY
    assert _get(bars, "SH601318", "2019-08-01")["total_mcap"] == pytest.approx(1.5663e12, rel=0.05)
    st = bars[bars["is_st"]]
    assert len(st) > 0 and st["date"].min() >= pd.Timestamp("2020-01-02")


def test_industry_and_sector(src):
    ind = src.industry_map()
    latest = ind[ind["end_date"].isna()].set_index("code")
    assert latest.loc["SH600000", ["industry", "sector"]].tolist() == ["banks", "financial"]
    assert latest.loc["SZ000002", ["industry", "sector"]].tolist() == ["real_estate", "financial"]
    assert latest.loc["SH600519", ["industry", "sector"]].tolist() == ["food_beverage", "consumer"]
    assert ind.groupby("code").size().max() == 5  # 2016..2020, one row per year
    row = ind[(ind["code"] == "SH600000") & (ind["start_date"] == "2017-01-01")].iloc[0]
    assert row["end_date"] == pd.Timestamp("2017-12-31")


def test_fundamentals_lag_units_and_quarters(src):
    f = src.fundamentals()
    assert list(f.columns) == FUNDAMENTAL_COLUMNS
    f = f.set_index(["code", "report_period"])
    q1 = f.loc[("SH600519", pd.Timestamp("2016-03-31"))]
    assert q1["announce_date"] == pd.Timestamp("2016-04-30")
    assert q1["revenue"] == pytest.approx(99.8875e8)  # file is single-quarter for this code
    annual = f.loc[("SH600519", pd.Timestamp("2016-12-31"))]
    assert annual["announce_date"] == pd.Timestamp("2017-04-30")
    assert f.loc[("SH600519", pd.Timestamp("2016-06-30")), "announce_date"] == pd.Timestamp("2016-08-31")
    assert f.loc[("SH600519", pd.Timestamp("2016-09-30")), "announce_date"] == pd.Timestamp("2016-10-31")
    # SH601318 (Ping An) reports year-to-date: H1 single quarter = 3766.57 - 2088.57
    assert f.loc[("SH601318", pd.Timestamp("2016-06-30")), "revenue"] == pytest.approx((3766.57 - 2088.57) * 1e8)
    # CMB's total assets are written in trillions in the file (5.9423): repaired to CNY
    assert f.loc[("SH600036", pd.Timestamp("2016-12-31")), "total_assets"] == pytest.approx(5.9423e12)
    assert f["gross_profit"].isna().all() and f["current_liabilities"].isna().all()


def test_macro(src):
    m = src.macro()
    assert list(m.columns) == MACRO_COLUMNS
    m2 = m[m["series"] == "m2"].set_index("period")
    assert m2.loc[pd.Timestamp("2008-01-01"), "release_date"] == pd.Timestamp("2008-02-15")
    assert m2.loc[pd.Timestamp("2008-01-01"), "value"] == pytest.approx(417846.2)
    y = m[m["series"] == "cgb10y"].set_index("period")
    assert y.loc[pd.Timestamp("2019-06-01"), "release_date"] == pd.Timestamp("2019-06-30")
    assert y.loc[pd.Timestamp("2002-01-04"), "release_date"] == pd.Timestamp("2002-01-04")
    gap = y.loc[pd.Timestamp("2017-01-01") : pd.Timestamp("2019-05-31")]
    assert gap.empty  # the 2017-01..2019-05 gap is kept, not filled here


def test_index_levels(src, qlib_dir):
    lv = src.index_levels(*ALL)
    assert set(lv["index_code"]) == INDEX_CODES
    got = lv[(lv["index_code"] == "SH000300") & (lv["date"] == "2010-01-04")]["close"].iloc[0]
    assert got == pytest.approx(_bin(qlib_dir, "SH000300", "close", "2010-01-04"))
    csi1000 = lv[lv["index_code"] == "SH000852"]
    assert csi1000["close"].notna().all() and len(csi1000) == 3159 - 243  # 243 NaN days (2011) dropped


def test_available_tables(src):
    assert src.available_tables() >= {"bars", "instruments", "industry_map", "fundamentals", "macro", "index_weights"}
    assert "consensus" not in src.available_tables()
