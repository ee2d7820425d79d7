"""Macro state: publication lag, one-sided trend, r*, gap policies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from alpha_core.errors import DataContractError
from alpha_core.macro.state import (
    MACRO_STATE_COLUMNS,
    GapPolicy,
    MacroStateConfig,
    build_macro_state,
    m2_trend_for_plots,
)

D = pd.Timestamp


def _hp_last(y: np.ndarray, lamb: float = 14400.0) -> float:
    t = len(y)
    d = np.zeros((t - 2, t))
    for i in range(t - 2):
        d[i, i : i + 3] = [1.0, -2.0, 1.0]
    return float(np.linalg.solve(np.eye(t) + lamb * d.T @ d, y)[-1])


def _raw(gap: tuple[str, str] | None = None, months: int = 48, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    periods = pd.date_range("2016-01-01", periods=months, freq="MS")
    m2 = 1.5e5 * np.exp(np.cumsum(rng.normal(0.008, 0.004, months)))
    m2_rows = pd.DataFrame(
        {"series": "m2", "period": periods, "value": m2, "release_date": periods + pd.DateOffset(months=1, days=14)}
    )
    days = pd.bdate_range("2016-01-01", periods[-1] + pd.offsets.MonthEnd(1))
    r = 3.0 + np.cumsum(rng.normal(0, 0.01, len(days)))
    r_rows = pd.DataFrame({"series": "cgb10y", "period": days, "value": r, "release_date": days})
    if gap is not None:
        r_rows = r_rows[(r_rows["period"] < D(gap[0])) | (r_rows["period"] > D(gap[1]))]
    return pd.concat([m2_rows, r_rows], ignore_index=True)


def _calendar() -> pd.DatetimeIndex:
    return pd.bdate_range("2017-01-02", "2019-12-31")


def test_m2_of_month_m_is_not_visible_before_its_release_date() -> None:
    raw = _raw()
    st, _ = build_macro_state(raw, _calendar(), MacroStateConfig(hp_min_periods=12))
    st = st.set_index("date")
    # M2 of 2018-03 is released 2018-04-15 (a Sunday): first visible Monday 2018-04-16
    assert st.loc[D("2018-04-13"), "m2_period"] == D("2018-02-01")
    assert st.loc[D("2018-04-16"), "m2_period"] == D("2018-03-01")
    m2 = raw[raw["series"] == "m2"].set_index("period")["value"]
    ln = np.log(m2)
    assert st.loc[D("2018-04-16"), "ln_m"] == pytest.approx(ln[D("2018-03-01")])
    assert st.loc[D("2018-04-16"), "dln_m"] == pytest.approx(ln[D("2018-03-01")] - ln[D("2018-02-01")])
    star = _hp_last(ln[: D("2018-03-01")].to_numpy())  # one-sided: months up to 2018-03 only
    assert st.loc[D("2018-04-16"), "ln_m_star"] == pytest.approx(star, abs=1e-9)
    assert st.loc[D("2018-04-16"), "ln_m_gap"] == pytest.approx(ln[D("2018-03-01")] - star, abs=1e-9)
    assert list(st.reset_index().columns) == MACRO_STATE_COLUMNS
    for col in ("date", "m2_period", "r_period"):
        assert st.reset_index()[col].dtype == "datetime64[ns]"


def test_rows_up_to_a_day_unchanged_when_later_releases_change() -> None:
    raw = _raw()
    cal = _calendar()
    base, _ = build_macro_state(raw, cal)
    cut = D("2018-06-29")
    other = raw.copy()
    later = other["release_date"] > cut
    other.loc[later, "value"] *= 1.3  # rewrite everything published after the cut
    st, _ = build_macro_state(other, cal)
    upto = base["date"] <= cut
    pd.testing.assert_frame_equal(st[upto], base[upto])
    assert not st[~upto].equals(base[~upto])


def test_r_star_is_a_causal_rolling_mean_of_the_daily_yield() -> None:
    raw = _raw()
    cal = _calendar()
    st, _ = build_macro_state(raw, cal, MacroStateConfig(r_star_window=20, r_star_min_periods=20))
    r = raw[raw["series"] == "cgb10y"].set_index("period")["value"].reindex(cal)
    i = 100
    assert st["r"].iloc[i] == pytest.approx(r.iloc[i])
    assert st["r_star"].iloc[i] == pytest.approx(r.iloc[i - 19 : i + 1].mean())
    assert st["r_gap"].iloc[i] == pytest.approx(r.iloc[i] - r.iloc[i - 19 : i + 1].mean())
    assert np.isnan(st["r_star"].iloc[18]) and np.isfinite(st["r_star"].iloc[19])


def test_forward_fill_carries_the_last_yield_and_flags_stale_days() -> None:
    raw = _raw(gap=("2017-06-01", "2018-02-28"))
    st, summary = build_macro_state(raw, _calendar())
    st = st.set_index("date")
    last = raw[(raw["series"] == "cgb10y") & (raw["period"] < D("2017-06-01"))]["value"].iloc[-1]
    assert st.loc[D("2017-09-01"), "r"] == last
    # causal flag: stale once the latest release is older than 45 days (2017-05-31 + 45 = 2017-07-15)
    assert not st.loc[D("2017-07-14"), "r_imputed"]
    assert st.loc[D("2017-07-17"), "r_imputed"] and st.loc[D("2018-02-28"), "r_imputed"]
    assert not st.loc[D("2018-03-01"), "r_imputed"]
    gap = summary["series"]["cgb10y"]["gaps"]
    assert gap == [
        {
            "after": "2017-05-31",
            "before": "2018-03-01",
            "release_after_gap": "2018-03-01",
            "first_missing_month": "2017-06",
            "last_missing_month": "2018-02",
            "months": 9,
        }
    ]
    assert summary["series"]["cgb10y"]["flagged_trading_days"] == int(st["r_imputed"].sum())
    assert summary["causal"] is True


def test_interpolation_is_linear_between_the_gap_ends_and_flags_every_day() -> None:
    raw = _raw(gap=("2017-06-01", "2018-02-28"))
    st, summary = build_macro_state(raw, _calendar(), MacroStateConfig(gap_policy=GapPolicy.INTERPOLATE_WITH_FLAG))
    st = st.set_index("date")
    r = raw[raw["series"] == "cgb10y"].set_index("period")["value"]
    p0, p1 = D("2017-05-31"), D("2018-03-01")
    day = D("2017-10-02")
    frac = (day - p0) / (p1 - p0)
    assert st.loc[day, "r"] == pytest.approx(r[p0] + frac * (r[p1] - r[p0]))
    inside = (st.index > p0) & (st.index < p1)
    assert st.loc[inside, "r_imputed"].all() and not st.loc[~inside, "r_imputed"].any()
    assert summary["causal"] is False and summary["gap_policy"] == "interpolate_with_flag"


def test_raise_policy_names_the_series_and_the_dates() -> None:
    raw = _raw(gap=("2017-06-01", "2018-02-28"))
    with pytest.raises(DataContractError) as err:
        build_macro_state(raw, _calendar(), MacroStateConfig(gap_policy=GapPolicy.RAISE))
    msg = str(err.value)
    assert "'cgb10y'" in msg and "2017-05-31" in msg and "2018-03-01" in msg and "2017-06..2018-02" in msg
    # a gap outside the calendar does not raise
    build_macro_state(raw, pd.bdate_range("2018-06-01", "2019-06-28"), MacroStateConfig(gap_policy=GapPolicy.RAISE))


def test_missing_m2_month_is_filled_causally_and_reported() -> None:
    raw = _raw()
    raw = raw[~((raw["series"] == "m2") & (raw["period"] == D("2018-05-01")))]
    st, summary = build_macro_state(raw, _calendar(), MacroStateConfig(max_gap_days=45))
    st = st.set_index("date")
    assert summary["series"]["m2"]["filled_months"] == 1
    assert summary["series"]["m2"]["gaps"][0]["first_missing_month"] == "2018-05"
    # April M2 visible from 2018-05-15 until June M2 (released 2018-07-15) arrives
    assert st.loc[D("2018-07-13"), "m2_period"] == D("2018-04-01")
    assert st.loc[D("2018-07-16"), "m2_period"] == D("2018-06-01")
    with pytest.raises(DataContractError, match="'m2'"):
        build_macro_state(raw, _calendar(), MacroStateConfig(gap_policy=GapPolicy.RAISE))


def test_missing_series_raises() -> None:
    raw = _raw()
    with pytest.raises(DataContractError, match="instrument=cgb10y"):
        build_macro_state(raw[raw["series"] == "m2"], _calendar())


def test_plot_table_labels_the_two_sided_trend() -> None:
    out = m2_trend_for_plots(_raw())
    assert "ln_m_star_two_sided_plots_only" in out.columns
    assert out["ln_m_star"].iloc[-1] == pytest.approx(out["ln_m_star_two_sided_plots_only"].iloc[-1])


def test_series_ending_before_the_calendar_is_a_trailing_gap() -> None:
    raw = _raw()
    raw = raw[~((raw["series"] == "cgb10y") & (raw["period"] > D("2019-08-30")))]
    cal = _calendar()  # runs to 2019-12-31
    st, summary = build_macro_state(raw, cal)
    gap = summary["series"]["cgb10y"]["gaps"][-1]
    assert gap["before"] is None and gap["first_missing_month"] == "2019-09" and gap["last_missing_month"] == "2019-12"
    st = st.set_index("date")
    assert st.loc[D("2019-12-31"), "r_imputed"] and not st.loc[D("2019-10-11"), "r_imputed"]
    with pytest.raises(DataContractError, match="'cgb10y'.*2019-08-30 and the end of the calendar"):
        build_macro_state(raw, cal, MacroStateConfig(gap_policy="raise"))


def test_unknown_gap_policy_is_refused() -> None:
    with pytest.raises(ValueError):
        MacroStateConfig(gap_policy="guess")


def test_gap_table_rows_and_the_no_gap_row() -> None:
    from alpha_core.macro.state import gap_table

    summary = {
        "series": {
            "m2": {"gaps": []},
            "cgb10y": {
                "gaps": [
                    {
                        "after": "2016-12-30",
                        "before": "2019-06-03",
                        "first_missing_month": "2017-01",
                        "last_missing_month": "2019-05",
                        "months": 29,
                    }
                ]
            },
        }
    }
    t = gap_table(summary)
    assert t.index.name == "series" and list(t.columns) == ["last obs before", "first obs after", "missing months", "n"]
    assert t.loc["cgb10y"].tolist() == ["2016-12-30", "2019-06-03", "2017-01..2019-05", 29]
    assert gap_table({"series": {"m2": {"gaps": []}}}).reset_index().values.tolist() == [["-", "-", "-", "none", 0]]
