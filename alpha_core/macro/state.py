"""The R3 macro state table, aligned to trading days with publication lags.

Inputs: the contract ``macro_raw`` table (series, period, value, release_date) and the
trading calendar. On trading day d a value is visible iff its ``release_date <= d``
(M2 of month m is released mid month m+1; a daily yield on its own day). Release dates
are made non-decreasing in period (cumulative max) so that a month is visible only when
all earlier months are too.

Columns of the output (``MACRO_STATE_COLUMNS``), all known at the close of ``date``:
    m2_period: month of the latest released M2 value (m);
    ln_m = ln M2(m);
    dln_m = ln M2(m) - ln M2(m-1)  (d ln M / dt, per month);
    ln_m_star = one-sided HP trend of ln M2 at m (filter on months <= m only, lambda 14400;
        :func:`alpha_core.macro.hp_filter.one_sided_hp_trend`);
    ln_m_gap = ln_m - ln_m_star;
    m2_imputed: M2 is stale (see below);
    r: latest released 10-year yield (percent), r_period its observation date;
    r_star = mean of r over the last ``r_star_window`` trading days (causal rolling mean);
    r_gap = r - r_star;
    r_imputed: the yield on that day is not a fresh observation (see ``GapPolicy``).

Gaps: a series has a gap where two consecutive observations are more than
``max_gap_days`` calendar days apart (the real 10-year yield: none from 2017-01 to
2019-05). :class:`GapPolicy` decides what happens; every gap is listed in the summary
dict returned with the table (for asset metadata), never handled silently.
Missing M2 months are filled on the monthly axis (log level carried forward, or
interpolated) and become visible only with the next real release, so M2 stays causal
under every policy; ``m2_imputed`` flags days whose latest M2 release is older than
``max_gap_days``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from alpha_core.data.contract import MACRO_COLUMNS, MacroSeries
from alpha_core.errors import DataContractError, Location
from alpha_core.macro.hp_filter import MONTHLY_LAMBDA, one_sided_hp_trend, two_sided_hp_trend_for_plots

log = logging.getLogger(__name__)

MACRO_STATE_COLUMNS = [
    "date",
    "m2_period",
    "ln_m",
    "dln_m",
    "ln_m_star",
    "ln_m_gap",
    "m2_imputed",
    "r_period",
    "r",
    "r_star",
    "r_gap",
    "r_imputed",
]
MODEL_INPUTS = ["dln_m", "ln_m_gap", "r_gap"]
"""The three terms of R3's state equation du/dt = a dlnM/dt + b (ln M - ln M*) - c (r - r*)."""


class GapPolicy(StrEnum):
    """What to do where the 10-year yield (or M2) has no observation for > ``max_gap_days``.

    FORWARD_FILL_WITH_FLAG (default, causal): carry the last released value; ``r_imputed``
        is True on days whose latest release is older than ``max_gap_days``.
    INTERPOLATE_WITH_FLAG (NOT causal: uses the observation after the gap): linear in time
        between the last value before and the first value after the gap; every day in
        between is flagged (a gap at the end of the data, with no value after it, is
        forward filled and flagged as stale). For plots and research only, never a backtest.
    RAISE: raise :class:`DataContractError` naming the series and the missing dates.
    """

    FORWARD_FILL_WITH_FLAG = "forward_fill_with_flag"
    INTERPOLATE_WITH_FLAG = "interpolate_with_flag"
    RAISE = "raise"


@dataclass(frozen=True)
class MacroStateConfig:
    """Macro-state settings.

    Args:
        hp_lambda: HP smoothing for monthly M2 (14400).
        hp_min_periods: months of history before the one-sided trend is defined (24).
        r_star_window: trading days in the rolling mean r* (252, one year).
        r_star_min_periods: fewest valid days for r* (60).
        max_gap_days: calendar days between observations beyond which a series is in a gap (45).
        gap_policy: :class:`GapPolicy` (default forward fill with flag).
    """

    hp_lambda: float = MONTHLY_LAMBDA
    hp_min_periods: int = 24
    r_star_window: int = 252
    r_star_min_periods: int = 60
    max_gap_days: int = 45
    gap_policy: GapPolicy = GapPolicy.FORWARD_FILL_WITH_FLAG

    def __post_init__(self) -> None:
        object.__setattr__(self, "gap_policy", GapPolicy(self.gap_policy))  # accept the string value
        if self.r_star_window < 1 or self.max_gap_days < 1:
            raise ValueError("r_star_window and max_gap_days must be >= 1")


def _series(macro_raw: pd.DataFrame, name: MacroSeries) -> pd.DataFrame:
    for col in MACRO_COLUMNS:
        if col not in macro_raw.columns:
            raise DataContractError("macro_raw lacks a column", Location(column=col))
    s = macro_raw[macro_raw["series"] == str(name)][["period", "value", "release_date"]]
    if len(s) == 0:
        raise DataContractError(
            "macro_raw has no row of a required series", Location(column="series", instrument=str(name))
        )
    s = s.sort_values("period").reset_index(drop=True)
    for col in ("period", "release_date"):  # one resolution for searchsorted / output (contract: ns)
        s[col] = pd.to_datetime(s[col]).astype("datetime64[ns]")
    dup = s["period"].duplicated()
    if dup.any():
        raise DataContractError(
            "macro_raw has a duplicate period",
            Location(column="period", instrument=str(name), date=str(s.loc[dup, "period"].iloc[0].date())),
        )
    if not np.isfinite(s["value"].to_numpy(dtype=np.float64)).all():
        bad = s.loc[~np.isfinite(s["value"].to_numpy(dtype=np.float64)), "period"].iloc[0]
        raise DataContractError(
            "macro_raw value is not finite", Location(column="value", instrument=str(name), date=str(bad.date()))
        )
    # a period is visible only once every earlier period is (cumulative max of release dates)
    s["release_date"] = pd.DatetimeIndex(np.maximum.accumulate(s["release_date"].to_numpy()))
    return s


def find_gaps(periods: pd.DatetimeIndex, releases: pd.DatetimeIndex, max_gap_days: int) -> list[dict]:
    """Gaps between consecutive observations more than ``max_gap_days`` apart.

    Returns:
        list of dicts: after (last period before), before (first period after),
        release_after_gap, first_missing_month / last_missing_month ("YYYY-MM", months
        with no observation at all; None when the gap sits inside months), months.
    """
    out = []
    gaps = np.flatnonzero(np.diff(periods.values).astype("timedelta64[D]").astype(np.int64) > max_gap_days)
    for i in gaps:
        p0, p1 = periods[i], periods[i + 1]
        m0, m1 = p0.to_period("M") + 1, p1.to_period("M") - 1
        months = (m1 - m0).n + 1 if m1 >= m0 else 0
        out.append(
            {
                "after": str(p0.date()),
                "before": str(p1.date()),
                "release_after_gap": str(releases[i + 1].date()),
                "first_missing_month": str(m0) if months else None,
                "last_missing_month": str(m1) if months else None,
                "months": int(months),
            }
        )
    return out


def trailing_gap(
    periods: pd.DatetimeIndex, releases: pd.DatetimeIndex, end: pd.Timestamp, max_gap_days: int
) -> list[dict]:
    """A gap after the last observation when the calendar runs on for more than ``max_gap_days``
    past the last release (``before`` and ``release_after_gap`` are None)."""
    if (end - releases[-1]).days <= max_gap_days:
        return []
    m0, m1 = periods[-1].to_period("M") + 1, end.to_period("M")
    months = (m1 - m0).n + 1 if m1 >= m0 else 0
    return [
        {
            "after": str(periods[-1].date()),
            "before": None,
            "release_after_gap": None,
            "first_missing_month": str(m0) if months else None,
            "last_missing_month": str(m1) if months else None,
            "months": int(months),
        }
    ]


def _gaps_in_range(gaps: list[dict], start: pd.Timestamp, end: pd.Timestamp) -> list[dict]:
    """Gaps whose unobserved span (after, release_after_gap) overlaps [start, end]."""
    return [
        g
        for g in gaps
        if pd.Timestamp(g["after"]) < end
        and (g["release_after_gap"] is None or pd.Timestamp(g["release_after_gap"]) > start)
    ]


def _raise_gap(name: str, gap: dict) -> None:
    months = (
        f" (missing months {gap['first_missing_month']}..{gap['last_missing_month']}, {gap['months']} months)"
        if gap["months"]
        else ""
    )
    until = f"and {gap['before']}" if gap["before"] is not None else "and the end of the calendar"
    raise DataContractError(
        f"macro series {name!r} has no observation between {gap['after']} {until}{months}; "
        f"choose GapPolicy.FORWARD_FILL_WITH_FLAG (causal) or INTERPOLATE_WITH_FLAG (plots only)",
        Location(column="value", instrument=name, date=gap["after"]),
    )


def _m2_monthly(m2: pd.DataFrame, config: MacroStateConfig) -> tuple[pd.DataFrame, list[dict]]:
    """Regular monthly ln M2 table: period, release_date, ln_m, dln_m, ln_m_star, filled."""
    periods = pd.DatetimeIndex(m2["period"]).to_period("M")
    if periods.duplicated().any():
        raise DataContractError(
            "m2 has two observations in one month",
            Location(column="period", instrument="m2", date=str(m2["period"][periods.duplicated()].iloc[0].date())),
        )
    if (m2["value"] <= 0).any():
        bad = m2.loc[m2["value"] <= 0, "period"].iloc[0]
        raise DataContractError(
            "m2 level must be positive", Location(column="value", instrument="m2", date=str(bad.date()))
        )
    full = pd.period_range(periods[0], periods[-1], freq="M")
    ln = pd.Series(np.log(m2["value"].to_numpy(dtype=np.float64)), index=periods).reindex(full)
    rel = pd.Series(m2["release_date"].to_numpy(), index=periods).reindex(full)
    filled = ln.isna().to_numpy()
    gaps = find_gaps(pd.DatetimeIndex(m2["period"]), pd.DatetimeIndex(m2["release_date"]), config.max_gap_days)
    if filled.any():
        if GapPolicy(config.gap_policy) is GapPolicy.INTERPOLATE_WITH_FLAG:
            ln = ln.interpolate(method="linear")
        else:
            ln = ln.ffill()
        rel = rel.bfill()  # a filled month becomes visible with the next real release
    ln_v = ln.to_numpy()
    dln = np.r_[np.nan, np.diff(ln_v)]
    star = one_sided_hp_trend(ln_v, config.hp_lambda, min_periods=config.hp_min_periods)
    out = pd.DataFrame(
        {
            "period": full.to_timestamp().astype("datetime64[ns]"),
            "release_date": pd.DatetimeIndex(rel.to_numpy()).astype("datetime64[ns]"),
            "ln_m": ln_v,
            "dln_m": dln,
            "ln_m_star": star,
            "filled": filled,
        }
    )
    return out, gaps


def build_macro_state(
    macro_raw: pd.DataFrame,
    calendar: pd.DatetimeIndex,
    config: MacroStateConfig = MacroStateConfig(),
) -> tuple[pd.DataFrame, dict]:
    """Macro state per trading day (see module docstring) and a summary dict for metadata.

    Args:
        macro_raw: contract table with series ``m2`` and ``cgb10y``.
        calendar: trading days to align to.
        config: :class:`MacroStateConfig`.

    Returns:
        (table with ``MACRO_STATE_COLUMNS``, one row per trading day; summary dict with the
        policy, per-series coverage and gaps, flagged day counts).

    Raises:
        DataContractError: a series is missing or malformed, or a gap overlaps the calendar
            under ``GapPolicy.RAISE`` (message names the series and the missing dates).
    """
    cal = pd.DatetimeIndex(np.unique(pd.DatetimeIndex(calendar).normalize().astype("datetime64[ns]")))
    if len(cal) == 0:
        raise DataContractError("empty trading calendar", Location(column="date"))
    policy = GapPolicy(config.gap_policy)
    m2 = _series(macro_raw, MacroSeries.M2)
    r_raw = _series(macro_raw, MacroSeries.CGB10Y)
    dvals = cal.values

    # ---- M2: monthly state, then the latest released month on each day
    monthly, m2_gaps = _m2_monthly(m2, config)
    m2_gaps = m2_gaps + trailing_gap(
        pd.DatetimeIndex(m2["period"]), pd.DatetimeIndex(m2["release_date"]), cal[-1], config.max_gap_days
    )
    m2_gaps_cal = _gaps_in_range(m2_gaps, cal[0], cal[-1])
    r_periods = pd.DatetimeIndex(r_raw["period"])
    r_rel = pd.DatetimeIndex(r_raw["release_date"])
    r_gaps = find_gaps(r_periods, r_rel, config.max_gap_days) + trailing_gap(
        r_periods, r_rel, cal[-1], config.max_gap_days
    )
    r_gaps_cal = _gaps_in_range(r_gaps, cal[0], cal[-1])
    if policy is GapPolicy.RAISE:
        for name, gaps in ((str(MacroSeries.M2), m2_gaps_cal), (str(MacroSeries.CGB10Y), r_gaps_cal)):
            if gaps:
                _raise_gap(name, gaps[0])

    mi = np.searchsorted(monthly["release_date"].values, dvals, side="right") - 1
    m_ok = mi >= 0
    mi_c = np.clip(mi, 0, None)

    def _m(col: str) -> np.ndarray:
        return np.where(m_ok, monthly[col].to_numpy()[mi_c], np.nan)

    m2_last_release = np.where(m_ok, monthly["release_date"].values[mi_c], np.datetime64("NaT"))
    m2_stale = m_ok & ((dvals - m2_last_release) > np.timedelta64(config.max_gap_days, "D"))

    # ---- r: latest released value on each day
    ri = np.searchsorted(r_rel.values, dvals, side="right") - 1
    r_ok = ri >= 0
    ri_c = np.clip(ri, 0, None)
    r_vals = r_raw["value"].to_numpy(dtype=np.float64)
    r = np.where(r_ok, r_vals[ri_c], np.nan)
    r_period = np.where(r_ok, r_periods.values[ri_c], np.datetime64("NaT"))
    r_last_release = np.where(r_ok, r_rel.values[ri_c], np.datetime64("NaT"))
    # causal staleness: the latest release is older than max_gap_days (trailing gaps included)
    r_imputed = r_ok & ((dvals - r_last_release) > np.timedelta64(config.max_gap_days, "D"))
    if policy is GapPolicy.INTERPOLATE_WITH_FLAG:
        for i in np.flatnonzero(
            np.diff(r_periods.values).astype("timedelta64[D]").astype(np.int64) > config.max_gap_days
        ):
            # days after the last pre-gap observation and before the post-gap release
            inside = (dvals > r_periods.values[i]) & (dvals < r_rel.values[i + 1]) & r_ok
            p0, p1 = r_periods.values[i], r_periods.values[i + 1]
            frac = np.clip((dvals[inside] - p0) / (p1 - p0), 0.0, 1.0)
            r[inside] = r_vals[i] + frac * (r_vals[i + 1] - r_vals[i])  # uses the future end point
            r_imputed |= inside
        log.warning("macro state: 10y yield gaps interpolated (uses future values): plots/research only")
    r_star = pd.Series(r).rolling(config.r_star_window, min_periods=config.r_star_min_periods).mean().to_numpy()

    out = pd.DataFrame(
        {
            "date": cal,
            "m2_period": pd.DatetimeIndex(np.where(m_ok, monthly["period"].values[mi_c], np.datetime64("NaT"))),
            "ln_m": _m("ln_m"),
            "dln_m": _m("dln_m"),
            "ln_m_star": _m("ln_m_star"),
            "ln_m_gap": _m("ln_m") - _m("ln_m_star"),
            "m2_imputed": m2_stale,
            "r_period": pd.DatetimeIndex(r_period),
            "r": r,
            "r_star": r_star,
            "r_gap": r - r_star,
            "r_imputed": r_imputed,
        }
    )[MACRO_STATE_COLUMNS]

    def _cover(s: pd.DataFrame, gaps: list[dict], gaps_cal: list[dict], flagged: np.ndarray) -> dict:
        days = cal[flagged]
        return {
            "first_period": str(s["period"].iloc[0].date()),
            "last_period": str(s["period"].iloc[-1].date()),
            "first_release": str(s["release_date"].iloc[0].date()),
            "n_obs": int(len(s)),
            "gaps": gaps,
            "gaps_in_calendar": len(gaps_cal),
            "flagged_trading_days": int(flagged.sum()),
            "first_flagged_day": str(days[0].date()) if len(days) else None,
            "last_flagged_day": str(days[-1].date()) if len(days) else None,
        }

    summary = {
        "gap_policy": str(policy),
        "causal": policy is not GapPolicy.INTERPOLATE_WITH_FLAG,
        "hp_lambda": float(config.hp_lambda),
        "hp_min_periods": int(config.hp_min_periods),
        "r_star_window": int(config.r_star_window),
        "max_gap_days": int(config.max_gap_days),
        "first_date": str(cal[0].date()),
        "last_date": str(cal[-1].date()),
        "rows": int(len(out)),
        "series": {
            str(MacroSeries.M2): {
                **_cover(m2, m2_gaps, m2_gaps_cal, m2_stale),
                "filled_months": int(monthly["filled"].sum()),
            },
            str(MacroSeries.CGB10Y): _cover(r_raw, r_gaps, r_gaps_cal, r_imputed),
        },
        "nan_days": {c: int(out[c].isna().sum()) for c in ("ln_m", "dln_m", "ln_m_star", "r", "r_star")},
    }
    for name, gaps in ((str(MacroSeries.M2), m2_gaps_cal), (str(MacroSeries.CGB10Y), r_gaps_cal)):
        for g in gaps:
            log.warning(
                "macro series %s: no observation between %s and %s (%d whole months), policy %s",
                name,
                g["after"],
                g["before"],
                g["months"],
                policy,
            )
    return out, summary


def m2_trend_for_plots(macro_raw: pd.DataFrame, config: MacroStateConfig = MacroStateConfig()) -> pd.DataFrame:
    """Monthly ln M2 with its one-sided trend and the TWO-SIDED trend (plots only: uses the future).

    Returns:
        DataFrame: period, ln_m, ln_m_star (one-sided), ln_m_star_two_sided_plots_only.
    """
    monthly, _ = _m2_monthly(_series(macro_raw, MacroSeries.M2), config)
    return pd.DataFrame(
        {
            "period": monthly["period"],
            "ln_m": monthly["ln_m"],
            "ln_m_star": monthly["ln_m_star"],
            "ln_m_star_two_sided_plots_only": two_sided_hp_trend_for_plots(
                monthly["ln_m"].to_numpy(), config.hp_lambda
            ),
        }
    )


def gap_table(summary: dict) -> pd.DataFrame:
    """The gaps of :func:`build_macro_state`'s ``summary``, one row per gap, indexed by series.

    Columns: last obs before (the gap), first obs after, missing months
    (``first..last`` missing month), n (whole months missing). No gap: one row
    ``- | - | - | none | 0``. Cells are text except n.
    """
    rows = [
        (name, str(g["after"]), str(g["before"]), f"{g['first_missing_month']}..{g['last_missing_month']}", g["months"])
        for name, s in summary["series"].items()
        for g in s["gaps"]
    ]
    columns = ["series", "last obs before", "first obs after", "missing months", "n"]
    return pd.DataFrame(rows or [("-", "-", "-", "none", 0)], columns=columns).set_index("series")
