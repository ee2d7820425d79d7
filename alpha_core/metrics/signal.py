"""Signal (factor) evaluation: the IC family of R1 table 20 and R2's autocorrelation / turnover.

Inputs are wide (T, N) arrays (dates x stocks, NaN = absent); every per-date statistic uses
only the stocks where both the score and the label are finite.

Per date t (n stocks, s = score, l = label):
- IC: Pearson corr(s, l); RankIC: Pearson corr(rank s, rank l) (average ranks for ties).
- weighted IC / RankIC (R1): w_i = 0.5 ** (r_i / ((n - 1) / 2)), r_i = 0 for the highest
  label .. n - 1 for the lowest (half-life n/2), normalised so sum w = 1;
  wIC = (sum w s l - sum w s * sum w l) / (sqrt(sum w s^2 - (sum w s)^2) * sqrt(sum w l^2 - (sum w l)^2)),
  wRankIC the same on ranks.
- ICIR = mean / std (ddof 1) of the daily series (not annualised).
- top (bottom) decile precision: among the stocks in the top (bottom) score decile, the share
  whose label is above (below) the day's median label.
- decile returns: mean forward return ``ret`` of each score decile (group 1 = lowest score,
  n_groups = highest); long-short = top - bottom. Annualised geometrically:
  (prod (1 + r_p))^(periods_per_year / P) - 1 over the P evaluation dates.
- factor autocorrelation: rank corr of s_t and s_{t-lag} on stocks present at both.
- top-decile turnover: 1 - |top_t & top_{t-lag}| / |top_t| (one-way share of names replaced).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError, Location


@dataclass(frozen=True)
class SignalEvalConfig:
    """Args:
    step: evaluate every ``step``-th trading day (R1 weekly: 5); ``ret`` must be the forward
        return over the next ``step`` days so that decile returns compound.
    n_groups: number of score groups (10 = deciles).
    lag: lag in evaluation dates for autocorrelation / turnover (1 = previous evaluation date).
    periods_per_year: None = 252 / step.
    """

    step: int = 5
    n_groups: int = 10
    lag: int = 1
    periods_per_year: float | None = None

    @property
    def ppy(self) -> float:
        return self.periods_per_year if self.periods_per_year is not None else 252.0 / self.step


def _joint(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(a) & np.isfinite(b)
    return np.where(ok, a, np.nan), np.where(ok, b, np.nan)


def row_nanmean(a: np.ndarray) -> np.ndarray:
    """(T, N) -> (T,) mean of each row's finite values; NaN for a row without any (no warning:
    the days at the end of a sample whose forward label is not known yet are such rows)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=1)
    total = np.where(ok, a, 0.0).sum(axis=1)
    return np.divide(total, n, out=np.full(a.shape[0], np.nan), where=n > 0)


def row_nanmedian(a: np.ndarray) -> np.ndarray:
    """(T, N) -> (T,) median of each row's finite values; NaN for a row without any (no warning)."""
    out = np.full(a.shape[0], np.nan)
    some = np.isfinite(a).any(axis=1)
    if some.any():
        out[some] = np.nanmedian(np.where(np.isfinite(a[some]), a[some], np.nan), axis=1)
    return out


def _rank(a: np.ndarray) -> np.ndarray:
    """Row-wise average ranks (1..n) ignoring NaN, NaN kept."""
    return rankdata(a, axis=1, nan_policy="omit")


def _weighted_corr(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Row-wise weighted Pearson corr; rows with < 2 finite pairs or zero variance -> NaN."""
    ok = np.isfinite(a) & np.isfinite(b) & np.isfinite(w)
    w = np.where(ok, w, 0.0)
    wsum = w.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        w = w / wsum
        a0, b0 = np.where(ok, a, 0.0), np.where(ok, b, 0.0)
        ma, mb = (w * a0).sum(1), (w * b0).sum(1)
        cov = (w * a0 * b0).sum(1) - ma * mb
        va = (w * a0 * a0).sum(1) - ma**2
        vb = (w * b0 * b0).sum(1) - mb**2
        out = cov / np.sqrt(va * vb)
    out[(ok.sum(1) < 2) | ~(va > 1e-15) | ~(vb > 1e-15)] = np.nan
    return out


def halflife_weights(label: np.ndarray) -> np.ndarray:
    """(T, N) weights by label rank, half-life n/2 per row (best 1, median 0.5, worst 0.25),
    NaN where the label is NaN. Not normalised (``_weighted_corr`` normalises)."""
    n = np.isfinite(label).sum(axis=1, keepdims=True).astype(float)
    # descending rank 0..n-1; ties broken by order (ordinal) as in the wmse loss
    r = rankdata(-np.where(np.isfinite(label), label, np.inf), axis=1, method="ordinal") - 1.0
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.power(0.5, r / np.maximum((n - 1) / 2.0, 1e-12))
    return np.where(np.isfinite(label), w, np.nan)


def daily_ic(score: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(T,) Pearson IC per date."""
    s, l = _joint(score, label)
    return _weighted_corr(s, l, np.ones_like(s))


def daily_rank_ic(score: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(T,) Spearman RankIC per date."""
    s, l = _joint(score, label)
    return _weighted_corr(_rank(s), _rank(l), np.ones_like(s))


def daily_weighted_ic(score: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(T,) weighted IC per date (R1 formula, weights by label rank)."""
    s, l = _joint(score, label)
    return _weighted_corr(s, l, halflife_weights(l))


def daily_weighted_rank_ic(score: np.ndarray, label: np.ndarray) -> np.ndarray:
    """(T,) weighted RankIC per date (R1 formula on ranks, weights by label rank)."""
    s, l = _joint(score, label)
    return _weighted_corr(_rank(s), _rank(l), halflife_weights(l))


def ir(series: np.ndarray) -> float:
    """mean / std (ddof 1) of the finite values; NaN with fewer than 2."""
    x = series[np.isfinite(series)]
    if len(x) < 2 or np.std(x, ddof=1) == 0:
        return float("nan")
    return float(np.mean(x) / np.std(x, ddof=1))


def score_groups(score: np.ndarray, n_groups: int = 10) -> np.ndarray:
    """(T, N) group 1..n_groups by score quantile per date (n_groups = highest), 0 where NaN.

    group = floor((rank - 1) * n_groups / n) + 1 with ordinal ranks 1..n."""
    ok = np.isfinite(score)
    n = ok.sum(axis=1, keepdims=True)
    r = rankdata(np.where(ok, score, np.inf), axis=1, method="ordinal")
    g = np.floor((r - 1) * n_groups / np.maximum(n, 1)).astype(int) + 1
    return np.where(ok, g, 0)


def decile_precision(score: np.ndarray, label: np.ndarray, n_groups: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """(T,), (T,): share of the top group with label > median, of the bottom group with label < median."""
    s, l = _joint(score, label)
    g = score_groups(s, n_groups)
    med = row_nanmedian(l)[:, None]
    top, bot = g == n_groups, g == 1
    with np.errstate(invalid="ignore", divide="ignore"):
        p_top = (top & (l > med)).sum(1) / top.sum(1)
        p_bot = (bot & (l < med)).sum(1) / bot.sum(1)
    return p_top, p_bot


def group_returns(score: np.ndarray, ret: np.ndarray, n_groups: int = 10) -> np.ndarray:
    """(T, n_groups) mean forward return of each score group (column 0 = lowest scores)."""
    s, r = _joint(score, ret)
    g = score_groups(s, n_groups)
    out = np.full((s.shape[0], n_groups), np.nan)
    r0 = np.where(np.isfinite(r), r, 0.0)
    for k in range(1, n_groups + 1):  # loop over the 10 groups only
        m = g == k
        with np.errstate(invalid="ignore", divide="ignore"):
            out[:, k - 1] = np.where(m.sum(1) > 0, (r0 * m).sum(1) / m.sum(1), np.nan)
    return out


def annualise(period_returns: np.ndarray, periods_per_year: float) -> float:
    """(prod (1 + r))^(ppy / P) - 1 over the finite period returns."""
    x = period_returns[np.isfinite(period_returns)]
    if len(x) == 0:
        return float("nan")
    return float(np.prod(1.0 + x) ** (periods_per_year / len(x)) - 1.0)


def factor_autocorr(score: np.ndarray, lag: int = 1) -> np.ndarray:
    """(T,) rank corr between score rows t and t - lag on common stocks (first ``lag`` NaN)."""
    out = np.full(score.shape[0], np.nan)
    if score.shape[0] > lag:
        out[lag:] = daily_rank_ic(score[lag:], score[:-lag])
    return out


def top_turnover(score: np.ndarray, lag: int = 1, n_groups: int = 10) -> np.ndarray:
    """(T,) 1 - |top_t & top_{t-lag}| / |top_t| for the top score group (first ``lag`` NaN)."""
    top = score_groups(score, n_groups) == n_groups
    out = np.full(score.shape[0], np.nan)
    if score.shape[0] > lag:
        with np.errstate(invalid="ignore", divide="ignore"):
            out[lag:] = 1.0 - (top[lag:] & top[:-lag]).sum(1) / top[lag:].sum(1)
    return out


def daily_signal_metrics(
    score: np.ndarray, label: np.ndarray, ret: np.ndarray, config: SignalEvalConfig
) -> pd.DataFrame:
    """Per evaluation date metrics as columns (rows aligned with the input rows)."""
    p_top, p_bot = decile_precision(score, label, config.n_groups)
    groups = group_returns(score, ret, config.n_groups)
    out = {
        "ic": daily_ic(score, label),
        "rank_ic": daily_rank_ic(score, label),
        "weighted_ic": daily_weighted_ic(score, label),
        "weighted_rank_ic": daily_weighted_rank_ic(score, label),
        "top_precision": p_top,
        "bottom_precision": p_bot,
        "autocorr": factor_autocorr(score, config.lag),
        "top_turnover": top_turnover(score, config.lag, config.n_groups),
        "long_short": groups[:, -1] - groups[:, 0],
        "universe_ret": row_nanmean(np.where(np.isfinite(score), ret, np.nan)),
    }
    for k in range(config.n_groups):
        out[f"group_{k + 1}"] = groups[:, k]
    return pd.DataFrame(out)


def summarise(daily: pd.DataFrame, config: SignalEvalConfig) -> dict[str, float]:
    """One row of the evaluation table from a block of daily metrics."""
    row: dict[str, float] = {"n_dates": float(len(daily))}
    for name in ("ic", "rank_ic", "weighted_ic", "weighted_rank_ic"):
        x = daily[name].to_numpy()
        row[name] = float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
        row[f"{name}_ir"] = ir(x)
    for name in ("top_precision", "bottom_precision", "autocorr", "top_turnover"):
        x = daily[name].to_numpy()
        row[name] = float(np.nanmean(x)) if np.isfinite(x).any() else float("nan")
    for k in range(config.n_groups):
        row[f"group_{k + 1}_ann"] = annualise(daily[f"group_{k + 1}"].to_numpy(), config.ppy)
    row["long_short_ann"] = annualise(daily["long_short"].to_numpy(), config.ppy)
    row["universe_ann"] = annualise(daily["universe_ret"].to_numpy(), config.ppy)
    return row


def evaluate_signal(
    frame: pd.DataFrame,
    *,
    score: str = "score",
    label: str = "label",
    ret: str = "ret",
    config: SignalEvalConfig = SignalEvalConfig(),
) -> pd.DataFrame:
    """Per-year evaluation table of a long (date, code, score, label, ret) frame.

    Dates are subsampled every ``config.step`` trading days (from the first date). Returns a
    frame indexed by ``period`` ('2018', '2019', ..., 'all') with columns n_dates, ic, rank_ic,
    weighted_ic, weighted_rank_ic, their ``_ir``, top_precision, bottom_precision, autocorr,
    top_turnover, group_1_ann .. group_{n}_ann, long_short_ann, universe_ann.
    """
    for col in ("date", "code", score, label, ret):
        if col not in frame.columns:
            raise DataContractError("signal frame lacks a column", Location(column=col))
    if frame.duplicated(["date", "code"]).any():
        bad = frame.loc[frame.duplicated(["date", "code"]), ["date", "code"]].iloc[0]
        raise DataContractError(
            "duplicate (date, code) in signal frame", Location(instrument=str(bad["code"]), date=str(bad["date"]))
        )
    panel = Panel.from_long(frame, [score, label, ret])
    keep = np.arange(0, len(panel.dates), config.step)
    dates = panel.dates[keep]
    daily = daily_signal_metrics(panel[score][keep], panel[label][keep], panel[ret][keep], config)
    years = dates.year
    rows = {str(y): summarise(daily[years == y], config) for y in np.unique(years)}
    rows["all"] = summarise(daily, config)
    out = pd.DataFrame.from_dict(rows, orient="index")
    out.index.name = "period"
    return out
