"""Point-in-time expiry of fundamentals and consensus: hand fixtures, the default's rule, causality."""

import numpy as np
import pandas as pd
import pytest
from factor_synth import make_bars, make_fundamentals

from alpha_core.data.contract import FUNDAMENTAL_COLUMNS
from alpha_core.factors import FACTORS, FactorInputs, compute_factors
from alpha_core.factors.fundamentals import PitFundamentals
from alpha_core.factors.inputs import FactorContext
from alpha_core.factors.pit import DEFAULT_MAX_AGE_DAYS, PitConfig
from alpha_core.factors.staleness import newest_report_age, report_staleness
from alpha_core.graph.similarity import latest_announced

D = pd.Timestamp
DATES = pd.bdate_range("2020-01-01", "2021-06-30")
CODES = pd.Index(["SH600000", "SH600001", "SH600002"])


def _report(code, period, announced, revenue, book_value):
    row = dict.fromkeys(FUNDAMENTAL_COLUMNS[3:], 1.0)
    row.update(code=code, report_period=D(period), announce_date=D(announced), revenue=revenue, book_value=book_value)
    return row


def _fund() -> pd.DataFrame:
    """SH600000 reports Q3 and Q4 2019, then nothing until Q4 2020 (announced 2021-03-15);
    SH600001 reports every quarter on the deadline; SH600002 never reports."""
    rows = [
        _report("SH600000", "2019-09-30", "2019-10-25", 10.0, 100.0),
        _report("SH600000", "2019-12-31", "2020-03-20", 20.0, 200.0),
        _report("SH600000", "2020-12-31", "2021-03-15", 30.0, 300.0),
    ]
    deadlines = {
        "2019-09-30": "2019-10-31",
        "2019-12-31": "2020-04-30",
        "2020-03-31": "2020-04-30",
        "2020-06-30": "2020-08-31",
        "2020-09-30": "2020-10-30",
        "2020-12-31": "2021-04-30",
        "2021-03-31": "2021-04-30",
    }
    rows += [_report("SH600001", p, a, 5.0 + i, 50.0 + i) for i, (p, a) in enumerate(deadlines.items())]
    return pd.DataFrame(rows)[FUNDAMENTAL_COLUMNS]


def _at(arr: np.ndarray, day: str, code: str) -> float:
    return float(arr[DATES.get_loc(D(day)), CODES.get_loc(code)])


def test_default_is_the_longest_deadline_gap_plus_a_month_of_grace():
    # deadlines Q1 Apr 30, H1 Aug 31, Q3 Oct 31, annual Apr 30 next year; over a leap year
    deadlines = pd.DatetimeIndex(
        ["2019-04-30", "2019-08-31", "2019-10-31", "2020-04-30", "2020-08-31", "2020-10-31", "2021-04-30"]
    )
    longest = int(deadlines.to_series().diff().dt.days.max())
    assert longest == 182  # Oct 31 2019 -> Apr 30 2020
    assert DEFAULT_MAX_AGE_DAYS == longest + 30
    assert PitConfig().fundamentals_max_age_days == PitConfig().consensus_max_age_days == DEFAULT_MAX_AGE_DAYS


@pytest.mark.parametrize("bad", [-1, 1.5, True, "212"])
def test_bad_expiry_is_refused(bad):
    with pytest.raises(ValueError, match="fundamentals_max_age_days"):
        PitConfig(fundamentals_max_age_days=bad)


def test_report_present_until_its_expiry_day_then_nan_until_a_newer_report():
    pit = PitFundamentals(_fund(), DATES, CODES)  # default: 212 days
    rev, bv = pit.get("revenue_q"), pit.get("book_value")
    # Q4 2019 (announced Fri 2020-03-20) is usable from Mon 03-23; expiry day = 03-20 + 212 = Sun 10-18
    assert _at(rev, "2020-03-20", "SH600000") == 10.0  # announced that day: Q3 2019 still in effect
    assert _at(rev, "2020-03-23", "SH600000") == 20.0
    assert _at(rev, "2020-10-16", "SH600000") == 20.0 and _at(bv, "2020-10-16", "SH600000") == 200.0
    for day in ("2020-10-19", "2021-01-04", "2021-03-15"):
        assert np.isnan(_at(rev, day, "SH600000")) and np.isnan(_at(bv, day, "SH600000")), day
    # restored by the newer report, the trading day after its announcement
    assert _at(rev, "2021-03-16", "SH600000") == 30.0 and _at(bv, "2021-03-16", "SH600000") == 300.0
    # a company filing on every deadline is never stale; one that never reported has nothing
    assert not np.isnan(rev[:, CODES.get_loc("SH600001")]).any()
    assert np.isnan(rev[:, CODES.get_loc("SH600002")]).all()


def test_expiry_boundary_day_is_inclusive_and_none_carries_forever():
    # 2020-03-20 + 33 days = Wed 2020-04-22: the last day the value is present
    short = PitFundamentals(_fund(), DATES, CODES, max_age_days=33).get("revenue_q")
    assert _at(short, "2020-04-22", "SH600000") == 20.0
    assert np.isnan(_at(short, "2020-04-23", "SH600000"))
    # SH600001's Q4 2019 + Q1 2020 arrive on 2020-04-30; its Q3 (2019-10-31) was 182 days old then
    assert np.isnan(_at(short, "2020-04-30", "SH600001")) and _at(short, "2020-05-01", "SH600001") == 7.0
    forever = PitFundamentals(_fund(), DATES, CODES, max_age_days=None).get("revenue_q")
    assert _at(forever, "2021-03-15", "SH600000") == 20.0


def test_factors_expire_through_the_engine():
    bars = make_bars(n_stocks=3, n_days=len(DATES), start="2020-01-01")
    inputs = FactorInputs(bars, _fund())
    df = compute_factors(inputs, ["bp_lf"])
    cell = df.set_index(["date", "code"])["bp_lf"]
    assert not np.isnan(cell[(D("2020-10-16"), "SH600000")])
    assert np.isnan(cell[(D("2020-10-19"), "SH600000")])
    old = compute_factors(inputs, ["bp_lf"], context=FactorContext(inputs, PitConfig(fundamentals_max_age_days=None)))
    assert not np.isnan(old.set_index(["date", "code"])["bp_lf"][(D("2020-10-19"), "SH600000")])


def _consensus() -> pd.DataFrame:
    rows = [
        ("2019-12-20", "SH600000", 0.5),  # before the panel: carried in
        ("2020-01-06", "SH600000", 1.0),
        ("2020-02-01", "SH600000", 2.0),  # a Saturday: known from Mon 02-03
        ("2020-02-10", "SH600000", np.nan),  # a NaN row is no news: it neither replaces nor refreshes
        ("2020-06-01", "SH600000", 3.0),
        ("2020-01-02", "SH600001", 9.0),
    ]
    df = pd.DataFrame(rows, columns=["date", "code", "con_eps_fy1"])
    df["date"] = pd.to_datetime(df["date"])
    df["con_roe_fy1"] = df["con_np_fy1"] = 1.0
    return df


def test_consensus_as_of_with_expiry():
    bars = make_bars(n_stocks=3, n_days=len(DATES), start="2020-01-01")
    ctx = FactorContext(FactorInputs(bars, consensus=_consensus()), PitConfig(consensus_max_age_days=33))
    con = ctx.consensus("con_eps_fy1")
    assert ctx.codes.equals(CODES) and ctx.dates.equals(DATES)
    assert _at(con, "2020-01-01", "SH600000") == 0.5 and _at(con, "2020-01-03", "SH600000") == 0.5
    assert _at(con, "2020-01-06", "SH600000") == 1.0 and _at(con, "2020-01-31", "SH600000") == 1.0
    assert _at(con, "2020-02-03", "SH600000") == 2.0
    # 2020-02-01 + 33 days = Thu 2020-03-05 (leap February)
    assert _at(con, "2020-03-05", "SH600000") == 2.0 and np.isnan(_at(con, "2020-03-06", "SH600000"))
    assert np.isnan(_at(con, "2020-05-29", "SH600000")) and _at(con, "2020-06-01", "SH600000") == 3.0
    assert _at(con, "2020-02-04", "SH600001") == 9.0 and np.isnan(_at(con, "2020-02-05", "SH600001"))
    assert np.isnan(con[:, CODES.get_loc("SH600002")]).all()
    forever = FactorContext(FactorInputs(bars, consensus=_consensus()), PitConfig(consensus_max_age_days=None))
    assert _at(forever.consensus("con_eps_fy1"), "2020-05-29", "SH600000") == 2.0


def test_newest_report_age_by_hand_and_as_the_engine_sees_it():
    fund = _fund()
    age = newest_report_age(fund, CODES, D("2020-12-31"))
    # SH600000: Q4 2019 announced 2020-03-20 -> 286 days; SH600001: Q3 2020 announced 2020-10-30 -> 62
    assert age["SH600000"] == 286 and age["SH600001"] == 62 and np.isnan(age["SH600002"])
    on_day = newest_report_age(fund, CODES, D("2020-10-30"))
    assert on_day["SH600001"] == (D("2020-10-30") - D("2020-08-31")).days  # announced that day: not yet known
    s = report_staleness(fund, CODES, D("2020-12-31"), DEFAULT_MAX_AGE_DAYS)
    assert (s.n_stocks, s.n_without_report, s.n_stale) == (3, 1, 1)
    assert s.median_age_days == (286 + 62) / 2 and s.oldest_age_days == 286
    assert s.stalest[0] == ("SH600000", 286.0) and not s.passed
    assert report_staleness(fund, CODES, D("2020-12-31"), None).n_stale == 0
    engine = PitFundamentals(fund, DATES, CODES).report_age_days()
    t = DATES.get_loc(D("2020-12-31"))
    np.testing.assert_array_equal(engine[t], age.to_numpy())


def test_similarity_as_of_expires_the_newest_report_without_falling_back():
    fund = _fund()
    fund = fund[fund["code"] == "SH600000"]
    assert len(latest_announced(fund, D("2020-10-18"), max_age_days=212)) == 1
    assert len(latest_announced(fund, D("2020-10-19"), max_age_days=212)) == 0  # Q3 2019 is not used instead
    assert len(latest_announced(fund, D("2020-10-19"), max_age_days=None)) == 1


def _gappy_fundamentals(codes):
    fund = make_fundamentals(codes, n_quarters=24, first_period="2015-03-31")
    # stock 1 skips three reports in 2020, stock 2 stops after 2019: their values expire inside the panel
    skip = ((fund["code"] == codes[1]) & fund["report_period"].between("2019-12-31", "2020-06-30")) | (
        (fund["code"] == codes[2]) & (fund["report_period"] > "2019-12-31")
    )
    return fund[~skip].reset_index(drop=True)


def test_future_announcements_do_not_change_expiry_before_t():
    bars = make_bars(n_stocks=4, n_days=260, seed=5, start="2020-01-02")
    codes = sorted(bars["code"].unique())
    fund = _gappy_fundamentals(codes)
    dates = np.sort(bars["date"].unique())
    cut = pd.Timestamp(dates[200])
    con = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-03", "2020-03-02", "2020-09-01", "2020-06-01"]),
            "code": [codes[0], codes[0], codes[0], codes[1]],
            "con_eps_fy1": [1.0, 2.0, 4.0, 3.0],
        }
    )
    con["con_roe_fy1"] = con["con_np_fy1"] = con["con_eps_fy1"]
    pit = PitConfig(fundamentals_max_age_days=60, consensus_max_age_days=45)
    names = [
        n
        for n, f in FACTORS.items()
        if f.requires & {"fundamentals", "consensus"} and not f.requires - {"fundamentals", "consensus"}
    ]

    def run(f, c):
        inputs = FactorInputs(bars, f, c)
        return compute_factors(inputs, names, end=cut, context=FactorContext(inputs, pit))

    base = run(fund, con)
    # the future: reports of the stale stocks announced the day after T, values after T rewritten,
    # and a consensus row right after T
    full = make_fundamentals(codes, n_quarters=24, first_period="2015-03-31")
    late = full[full["code"].isin(codes[1:3]) & full["report_period"].between("2020-03-31", "2020-06-30")]
    fund2 = pd.concat([fund, late.assign(announce_date=cut + pd.Timedelta(days=1))], ignore_index=True)
    fund2.loc[fund2["announce_date"] > cut, ["revenue", "net_profit", "book_value"]] *= 7
    con2 = pd.concat(
        [
            con,
            pd.DataFrame(
                {
                    "date": [cut + pd.Timedelta(days=1)],
                    "code": [codes[0]],
                    "con_eps_fy1": [99.0],
                    "con_roe_fy1": [99.0],
                    "con_np_fy1": [99.0],
                }
            ),
        ]
    )
    pert = run(fund2, con2)
    for name in names:
        np.testing.assert_array_equal(base[name].to_numpy(), pert[name].to_numpy(), err_msg=name)
    assert newest_report_age(fund2, codes, cut).equals(newest_report_age(fund, codes, cut))
    # not vacuous: the expiry removed values before T that the old carry-forward kept
    inputs = FactorInputs(bars, fund, con)
    forever = compute_factors(inputs, names, end=cut, context=FactorContext(inputs, PitConfig(None, None)))
    for name in ("bp_lf", "con_eps_g"):
        assert base[name].isna().sum() > forever[name].isna().sum(), name

    # and the future does change values after T (a restored report, rewritten values)
    def full_run(f, c):
        inputs = FactorInputs(bars, f, c)
        return compute_factors(inputs, ["bp_lf"], context=FactorContext(inputs, pit))["bp_lf"]

    assert not full_run(fund2, con2).equals(full_run(fund, con))
