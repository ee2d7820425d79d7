"""Oracle evaluation: how much of the planted signal a score recovers.

Rank IC on date t between a score s and a target y over the stocks present in both:
    RankIC_t = corr(rank(s_t), rank(y_t))   (Spearman; dates with < 10 stocks are dropped)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location

PARTS = ("mu_total", "mu_factor", "mu_graph", "mu_macro")
MIN_STOCKS = 10


def rank_ic_by_date(df: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """Per-date Spearman correlation of columns ``a`` and ``b`` of a long (date, code) table.

    Returns DataFrame[date, ic] sorted by date (vectorised: groupby ranks, then moments).
    """
    d = df[["date", a, b]].dropna()
    g = d.groupby("date", sort=True)
    ra, rb = g[a].rank(), g[b].rank()
    tmp = pd.DataFrame({"date": d["date"].to_numpy(), "x": ra.to_numpy(), "y": rb.to_numpy()})
    tmp["xx"], tmp["yy"], tmp["xy"] = tmp["x"] ** 2, tmp["y"] ** 2, tmp["x"] * tmp["y"]
    s = tmp.groupby("date", sort=True).agg(
        n=("x", "size"), x=("x", "sum"), y=("y", "sum"), xx=("xx", "sum"), yy=("yy", "sum"), xy=("xy", "sum")
    )
    cov = s["xy"] - s["x"] * s["y"] / s["n"]
    vx = s["xx"] - s["x"] ** 2 / s["n"]
    vy = s["yy"] - s["y"] ** 2 / s["n"]
    ic = cov / np.sqrt(vx * vy)
    ic = ic[(s["n"] >= MIN_STOCKS) & (vx > 0) & (vy > 0)]
    return pd.DataFrame({"date": ic.index.values, "ic": ic.to_numpy(dtype=float)})


def oracle_ic(scores: pd.DataFrame, truth: pd.DataFrame, part: str = "mu_total") -> pd.DataFrame:
    """Daily rank IC of ``scores`` (date, code, score) with the planted ``part`` of ``truth``.

    ``truth`` is :meth:`SyntheticSource.ground_truth`; ``part`` one of mu_total, mu_factor,
    mu_graph, mu_macro. Returns DataFrame[date, ic].
    """
    for col in ("date", "code", "score"):
        if col not in scores.columns:
            raise DataContractError("scores table lacks a column", Location(column=col))
    if part not in PARTS or part not in truth.columns:
        raise DataContractError(f"unknown ground-truth part {part!r}; expected one of {PARTS}", Location(column=part))
    merged = scores[["date", "code", "score"]].merge(truth[["date", "code", part]], on=["date", "code"], how="inner")
    return rank_ic_by_date(merged, "score", part)


def mean_ic(ic: pd.DataFrame) -> float:
    """Mean of the daily rank IC (NaN when empty)."""
    return float(ic["ic"].mean()) if len(ic) else float("nan")


def ic_summary(ic: pd.DataFrame) -> dict[str, float]:
    """mean, std, ICIR (mean / std) and number of dates of a DataFrame[date, ic]."""
    m, s = mean_ic(ic), float(ic["ic"].std()) if len(ic) > 1 else float("nan")
    return {"mean": m, "std": s, "icir": m / s if s and np.isfinite(s) and s > 0 else float("nan"), "n": float(len(ic))}


def forward_vwap_return(bars: pd.DataFrame, start: int = 1, horizon: int = 10) -> pd.DataFrame:
    """Realised return from the T+start vwap to the T+start+horizon vwap (adjusted, by trading-day
    position in the bars' calendar); NaN when either end is suspended or not listed.

    Returns DataFrame[date, code, ret]. Uses the future by design: an evaluation target only.
    """
    dates = pd.DatetimeIndex(np.sort(bars["date"].unique()))
    codes = pd.Index(np.sort(bars["code"].unique()))
    ti, ni = dates.get_indexer(bars["date"]), codes.get_indexer(bars["code"])
    px = np.full((len(dates), len(codes)), np.nan)
    px[ti, ni] = (bars["vwap"] * bars["adj_factor"]).to_numpy(dtype=float)
    ret = np.full_like(px, np.nan)
    a, b = start, start + horizon
    if len(dates) > b:
        ret[: len(dates) - b] = px[b:] / px[a : len(dates) - b + a] - 1.0
    out = pd.DataFrame({"date": dates.values[ti], "code": bars["code"].to_numpy(), "ret": ret[ti, ni]})
    return out
