"""QlibSource on a hand-made Qlib directory: every cleaning rule against hand-computed values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _qlib_tiny import TINY_DAYS, tiny_market, write_qlib

from alpha_core.data.contract import BARS_COLUMNS, INDEX_WEIGHT_COLUMNS
from alpha_core.data.limits import limit_pct, limit_prices
from alpha_core.data.qlib import QlibSource

ALL = (pd.Timestamp("2000-01-01"), pd.Timestamp("2030-01-01"))


def _row(bars: pd.DataFrame, code: str, day: int) -> pd.Series:
    sel = bars[(bars["code"] == code) & (bars["date"] == TINY_DAYS[day])]
    assert len(sel) == 1, (code, day)
    return sel.iloc[0]


@pytest.fixture
def bars(tiny_qlib) -> pd.DataFrame:
    return QlibSource(tiny_qlib).bars(*ALL)


def test_columns_order_and_sorting(bars):
    assert list(bars.columns) == BARS_COLUMNS
    assert bars["date"].dtype == "datetime64[ns]"
    keys = list(zip(bars["date"], bars["code"]))
    assert keys == sorted(keys)
    assert len(bars) == 12 + 8 + 10  # SZ300344 loses its 4 back-filled rows; the index is not a bar


def test_raw_price_is_adjusted_over_factor(bars, tiny_qlib):
    close = np.fromfile(tiny_qlib / "features/sh600000/close.day.bin", "<f4")[1:]
    factor = np.fromfile(tiny_qlib / "features/sh600000/factor.day.bin", "<f4")[1:]
    got = bars[bars["code"] == "SH600000"]["close"].to_numpy()
    np.testing.assert_allclose(got, close.astype(float) / factor, atol=0.005)
    np.testing.assert_allclose(got, [10.0, 10.5, 10.2, 10.2, 10.8, 11.0, 10.9, 11.3, 11.1, 11.6, 11.4, 11.5])
    assert _row(bars, "SH600000", 9)["adj_factor"] == pytest.approx(2.2)


def test_suspension_untradable(bars):
    r = _row(bars, "SH600000", 3)
    assert not r["tradable"] and np.isnan(r["vwap"]) and r["amount"] == 0 and r["volume"] == 0
    assert bars[bars["code"] != "SH600000"]["tradable"].all()
    assert bars[(bars["code"] == "SH600000")]["tradable"].sum() == 11


def test_prelisting_backfill_dropped(tiny_qlib, bars):
    src = QlibSource(tiny_qlib)
    got = bars[bars["code"] == "SZ300344"]["date"]
    assert got.min() == TINY_DAYS[4]
    inst = src.instruments().set_index("code")
    assert inst.loc["SZ300344", "list_date"] == TINY_DAYS[4]
    assert inst.loc["SH688001", "list_date"] == TINY_DAYS[2]
    assert inst.loc["SZ300344", "board"] == "chinext" and inst.loc["SH688001", "board"] == "star"
    assert "SH000300" not in inst.index


def test_amount_proxy_and_vwap(tiny_qlib, bars):
    r = _row(bars, "SH600000", 1)
    # raw high 10.71, low 10.29, close 10.5 -> typical price 10.5, volume 2e6
    assert r["amount"] == pytest.approx(10.5 * 2e6, rel=1e-6)
    assert r["vwap"] == pytest.approx(10.5, rel=1e-6)
    assert "proxy" in QlibSource(tiny_qlib).derived_fields()["amount"].lower()
    assert np.isnan(bars["turnover"]).all() and np.isnan(bars["total_mcap"]).all()  # no extras: never invented
    assert not bars["is_st"].any()


def test_limit_prices_hand_computed(bars):
    r = _row(bars, "SH600000", 1)
    assert (r["limit_up"], r["limit_down"]) == (11.0, 9.0)
    # ex-rights day 8: reference = 11.3 * 2.0 / 2.2 = 10.2727 -> 10.27; x1.1 = 11.297 -> 11.30; x0.9 = 9.243 -> 9.24
    r = _row(bars, "SH600000", 8)
    assert (r["limit_up"], r["limit_down"]) == (11.30, 9.24)
    assert np.isnan(_row(bars, "SH600000", 0)["limit_up"])
    assert np.isnan(_row(bars, "SZ300344", 4)["limit_up"])  # first traded day: no previous close
    r = _row(bars, "SZ300344", 5)  # 2020-08-24, ChiNext reform day: 20%
    assert TINY_DAYS[5] == pd.Timestamp("2020-08-24")
    assert (r["limit_up"], r["limit_down"]) == (14.40, 9.60)
    r = _row(bars, "SH688001", 3)
    assert (r["limit_up"], r["limit_down"]) == (36.0, 24.0)


def test_limit_rules_vectorised():
    boards = np.array(["main", "chinext", "chinext", "star", "bse", "main", "chinext"], dtype=object)
    dates = np.array(
        ["2020-01-02", "2020-08-21", "2020-08-24", "2019-08-01", "2022-01-04", "2020-01-02", "2019-01-02"],
        dtype="datetime64[ns]",
    )
    st = np.array([False, False, False, True, False, True, True])
    np.testing.assert_allclose(limit_pct(boards, dates, st), [0.10, 0.10, 0.20, 0.20, 0.30, 0.05, 0.05])
    up, down = limit_prices(
        np.array([9.99, 10.005]),
        np.array(["main", "main"], dtype=object),
        np.array(["2020-01-02"] * 2, dtype="datetime64[ns]"),
        np.array([False, False]),
    )
    # 9.99 * 1.1 = 10.989 -> 10.99; 10.005 rounds half-up to 10.01 first: 11.011 -> 11.01
    np.testing.assert_allclose(up, [10.99, 11.01])
    np.testing.assert_allclose(down, [8.99, 9.01])


def test_volume_is_adjusted_option(tmp_path):
    root = write_qlib(tmp_path / "q", TINY_DAYS, tiny_market())
    plain = QlibSource(root).bars(*ALL)
    adjusted = QlibSource(root, volume_is_adjusted=True).bars(*ALL)
    a = plain[plain["code"] == "SH600000"]["volume"].to_numpy()
    b = adjusted[adjusted["code"] == "SH600000"]["volume"].to_numpy()
    np.testing.assert_allclose(b, a * np.array([2.0] * 8 + [2.2] * 4), rtol=1e-6)


def test_index_levels_and_weights(tiny_qlib):
    src = QlibSource(tiny_qlib)
    lv = src.index_levels(*ALL)
    assert set(lv["index_code"]) == {"SH000300"} and len(lv) == 12
    assert lv["close"].iloc[0] == pytest.approx(4000.0)
    w = src.index_weights(*ALL)
    assert list(w.columns) == INDEX_WEIGHT_COLUMNS
    np.testing.assert_allclose(w.groupby("date")["weight"].sum(), 1.0)
    day6 = w[w["date"] == TINY_DAYS[6]]
    assert set(day6["code"]) == {"SH600000", "SZ300344"}
    np.testing.assert_allclose(day6["weight"], 0.5)  # no market caps known: equal weight
    assert set(w[w["date"] == TINY_DAYS[1]]["code"]) == {"SH600000"}  # SZ300344 not yet trading
    assert set(w[w["date"] == TINY_DAYS[9]]["code"]) == {"SH600000", "SH688001"}


def test_future_perturbation_leaves_past_unchanged(tmp_path):
    """Causality: changing the last 3 days of every file changes no bar before them."""
    base = QlibSource(write_qlib(tmp_path / "a", TINY_DAYS, tiny_market())).bars(*ALL)
    market = tiny_market()
    for fields in market.values():
        for name, (start, values) in fields.items():
            if name in ("open", "high", "low", "close"):
                fields[name] = (start, values[:-3] + [v * 1.3 for v in values[-3:]])
            elif name == "volume":
                fields[name] = (start, values[:-3] + [0.0] * 3)
    moved = QlibSource(write_qlib(tmp_path / "b", TINY_DAYS, market)).bars(*ALL)
    cut = TINY_DAYS[-3]
    pd.testing.assert_frame_equal(
        base[base["date"] < cut].reset_index(drop=True), moved[moved["date"] < cut].reset_index(drop=True)
    )
    assert not base[base["date"] >= cut]["close"].equals(moved[moved["date"] >= cut]["close"])


def test_bars_date_window(tiny_qlib):
    b = QlibSource(tiny_qlib).bars(TINY_DAYS[2], TINY_DAYS[4])
    assert set(b["date"]) == set(TINY_DAYS[2:5])


def test_consensus_absent(tiny_qlib):
    src = QlibSource(tiny_qlib)
    assert "consensus" not in src.available_tables()
    assert "fundamentals" not in src.available_tables()
    assert src.consensus(*ALL).empty and list(src.consensus(*ALL).columns)[:2] == ["date", "code"]


def test_nan_rows_inside_span_become_suspension_days(tmp_path):
    """Standard Qlib stores a suspension as NaN in every field: it stays a row, untradable, flat."""
    market = tiny_market()
    for name, (start, values) in market["SH688001"].items():
        values = list(values)
        values[3] = float("nan")  # calendar day 5 (the stock starts on day 2)
        market["SH688001"][name] = (start, values)
    b = QlibSource(write_qlib(tmp_path / "q", TINY_DAYS, market)).bars(*ALL)
    r = _row(b, "SH688001", 5)
    prev = _row(b, "SH688001", 4)
    assert not r["tradable"] and r["volume"] == 0 and np.isnan(r["vwap"])
    assert r["open"] == r["high"] == r["low"] == r["close"] == prev["close"] == 36.0
    assert _row(b, "SH688001", 6)["limit_up"] == pytest.approx(43.2)  # reference: the carried 36.0 x 1.2
