"""Index-enhancement weights over time: signals -> optimiser -> weights table.

Timing (no look-ahead, by construction): the weights decided on day T use only
``signals`` rows dated T, the latest benchmark weights dated <= T, the industry map entries
in force on T, style exposures dated T, and adjusted closes up to T (to drift the previous
weights). The backtest then trades them on T+1 (see :mod:`alpha_core.backtest.engine`).

Expected-return proxy: mu = cross-sectional z-score of the score over scored stocks;
stocks in the optimiser universe without a score (benchmark constituents outside the model
universe, or previous holdings that left it) get the lowest mu of the day, so they are never
overweighted but may be held to respect the deviation and turnover limits.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location
from alpha_core.portfolio.presets import LOG_FLOAT_CAP, PortfolioPreset
from alpha_core.portfolio.problem import Layout, PortfolioProblem, ProblemData
from alpha_core.portfolio.relaxation import solve_with_relaxation

log = logging.getLogger(__name__)


def mad_zscore(x: np.ndarray, n_mad: float = 5.0) -> np.ndarray:
    """Per column of ``x`` (N, S): clip to median +- n_mad * MAD, then z-score; NaN -> 0.

    MAD = median(|x - median(x)|) (unscaled, as in the reports' "5x MAD" winsorisation).
    """
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return x.reshape(x.shape)
    with warnings.catch_warnings():  # an all-NaN column (e.g. no float cap yet) is all-zero exposure
        warnings.simplefilter("ignore", RuntimeWarning)
        med = np.nanmedian(x, axis=0)
        mad = np.nanmedian(np.abs(x - med), axis=0)
        x = np.clip(x, med - n_mad * mad, med + n_mad * mad)
        mean, std = np.nanmean(x, axis=0), np.nanstd(x, axis=0)
        z = (x - mean) / np.where(std > 0, std, 1.0)
    return np.nan_to_num(z, nan=0.0)


def expected_return_proxy(scores: pd.Series, codes: pd.Index) -> pd.Series:
    """mu over ``codes``: the day's signal standardised, the optimiser's objective coefficients.

        z_i = (s_i - mean(s)) / std(s)      (std ddof 0; a constant signal: std taken as 1)
        mu_i = z_i, or min_j z_j for a code without a score (never preferred to a scored name)

    Args:
        scores: code -> score of one day (NaN scores are ignored by mean / std and get min z).
        codes: the rows of the problem.
    """
    z = (scores - scores.mean()) / (scores.std(ddof=0) or 1.0)
    return z.reindex(codes).fillna(z.min())


def style_frame(
    bars: pd.DataFrame, factors: pd.DataFrame | None = None, columns: tuple[str, ...] = ("bp_lf",)
) -> pd.DataFrame:
    """Raw style values [date, code, log_float_mcap, *columns] from bars (+ a factor table).

    ``log_float_mcap = ln(float_mcap)`` of the same day; ``columns`` are taken from ``factors``
    (e.g. ``bp_lf``) when present there. Exposures are 5xMAD-z-scored later, per rebalance.
    """
    out = bars[["date", "code"]].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out[LOG_FLOAT_CAP] = np.log(bars["float_mcap"].to_numpy(dtype=float, na_value=np.nan))
    out[LOG_FLOAT_CAP] = out[LOG_FLOAT_CAP].replace([-np.inf, np.inf], np.nan)
    if factors is not None:
        keep = [c for c in columns if c in factors.columns]
        out = out.merge(factors[["date", "code", *keep]], on=["date", "code"], how="left")
    return out


@dataclass(frozen=True)
class EnhanceResult:
    """``weights``: [date, code, weight] (decision date T); ``log``: one row per rebalance with
    date, n, status, relaxed (comma-joined), objective, seconds."""

    weights: pd.DataFrame
    log: pd.DataFrame


class _BenchLookup:
    """Latest benchmark weights on or before a day (weights are published, so <= T is known at T)."""

    def __init__(self, index_weights: pd.DataFrame):
        self.by_date = {d: g.set_index("code")["weight"] for d, g in index_weights.groupby("date", sort=True)}
        self.dates = pd.DatetimeIndex(sorted(self.by_date))

    def at(self, date: pd.Timestamp) -> pd.Series:
        i = int(self.dates.searchsorted(date, side="right")) - 1
        if i < 0:
            raise DataContractError(
                "no benchmark weights on or before the rebalance day",
                Location(column="weight", date=str(pd.Timestamp(date).date())),
            )
        return self.by_date[self.dates[i]]


def _industry_at(industry_map: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    live = industry_map[
        (industry_map["start_date"] <= date) & (industry_map["end_date"].isna() | (industry_map["end_date"] >= date))
    ]
    return live.drop_duplicates("code", keep="last").set_index("code")["industry"]


def optimize_portfolios(
    signals: pd.DataFrame,
    index_weights: pd.DataFrame,
    industry_map: pd.DataFrame,
    preset: PortfolioPreset,
    *,
    styles: pd.DataFrame | None = None,
    adj_close: pd.DataFrame | None = None,
    index_code: str | None = None,
    pad: int = 16,
    initial_weights: pd.Series | None = None,
) -> EnhanceResult:
    """Optimise enhancement weights on the preset's rebalance days among the signal dates.

    Args:
        signals: [date, code, score]; score at T uses data up to T.
        index_weights: contract index_weights (filtered to ``index_code`` when given).
        industry_map: contract industry_map (code, start_date, end_date, industry, ...).
        preset: constraints and schedule (:mod:`alpha_core.portfolio.presets`).
        styles: [date, code, style columns...] raw exposures (see :func:`style_frame`).
        adj_close: wide (dates x codes) adjusted closes to drift previous weights to T; when
            None, the previous weights are the previous decision's weights.
        index_code: the benchmark index code.
        pad: each industry block is padded to a multiple of ``pad`` rows so one compiled problem
            serves every day with the same padded block sizes (:class:`Layout`).
        initial_weights: weights held before the first rebalance (the live portfolio, indexed
            by code, valued at the first rebalance day); the first rebalance then respects the
            turnover cap from them. None: the first rebalance starts from cash.
    Returns:
        :class:`EnhanceResult`.
    """
    if index_code is not None:
        index_weights = index_weights[index_weights["index_code"] == index_code]
    elif index_weights["index_code"].nunique() > 1:
        raise DataContractError("several benchmarks in index_weights; pass index_code", Location(column="index_code"))
    bench_lookup = _BenchLookup(index_weights)
    industries = sorted(industry_map["industry"].dropna().unique())
    style_cols = preset.style_columns(
        [c for c in (styles.columns if styles is not None else []) if c not in ("date", "code")]
    )
    constraints = preset.constraints(style_cols)
    sig = signals.dropna(subset=["score"])
    days = preset.rebalance_days(pd.DatetimeIndex(sig["date"].unique()))
    by_day = dict(tuple(sig.groupby("date")))
    style_by_day = dict(tuple(styles.groupby("date"))) if styles is not None and style_cols else {}
    problems: dict[tuple[int, ...], PortfolioProblem] = {}
    prev: pd.Series | None = initial_weights if initial_weights is not None and len(initial_weights) else None
    prev_day: pd.Timestamp | None = None
    rows, logs = [], []
    for day in days:
        s = by_day[day].set_index("code")["score"]
        bench = bench_lookup.at(day)
        if prev is not None and prev_day is not None and adj_close is not None:
            growth = (adj_close.loc[day] / adj_close.loc[prev_day]).reindex(prev.index).fillna(1.0)
            prev = prev * growth / (prev * growth).sum()
        held = prev[prev > 0].index if prev is not None else pd.Index([])
        codes = s.index.union(bench.index).union(held)
        n = len(codes)
        mu = expected_return_proxy(s, codes).to_numpy()
        ind = _industry_at(industry_map, day).reindex(codes)
        onehot = (ind.to_numpy()[:, None] == np.asarray(industries, dtype=object)[None, :]).astype(float)
        if style_cols:
            st = style_by_day.get(day)
            raw = (
                st.set_index("code")[style_cols].reindex(codes).to_numpy(dtype=float)
                if st is not None
                else np.full((n, len(style_cols)), np.nan)
            )
            x = mad_zscore(raw)
        else:
            x = np.zeros((n, 0))
        wb = bench.reindex(codes).fillna(0.0).to_numpy()
        w0 = prev.reindex(codes).fillna(0.0).to_numpy() if prev is not None else np.zeros(n)
        data = ProblemData(
            mu=mu,
            w_bench=wb / wb.sum(),
            w_prev=w0,
            industry=onehot,
            style=x,
            member=(wb > 0).astype(float),
            upper=np.ones(n),
            has_prev=prev is not None,
        )
        layout = Layout.from_onehot(onehot, pad)
        if layout.blocks not in problems:
            problems[layout.blocks] = PortfolioProblem(constraints, layout, len(style_cols))
        res = solve_with_relaxation(problems[layout.blocks], data.arranged(layout), label=str(day.date()))
        w = pd.Series(res.weights[layout.positions], index=codes)
        w = w[w > 1e-8]  # drop interior-point dust (~1e-9) so holdings lists stay clean
        w = w / w.sum()
        rows.append(pd.DataFrame({"date": day, "code": w.index, "weight": w.to_numpy()}))
        logs.append(
            {
                "date": day,
                "n": n,
                "status": res.status,
                "relaxed": ", ".join(res.relaxed),
                "objective": res.objective,
                "seconds": res.seconds,
            }
        )
        prev, prev_day = w, day
    weights = (
        pd.concat(rows, ignore_index=True)
        if rows
        else pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "code": pd.Series(dtype=object),
                "weight": pd.Series(dtype=float),
            }
        )
    )
    return EnhanceResult(weights.sort_values(["date", "code"], ignore_index=True), pd.DataFrame(logs))
