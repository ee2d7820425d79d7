"""Simple signal portfolios: top fraction, top N, top-k with dropout, score groups (deciles).

Input ``signals`` [date, code, score] (score at T uses data up to T); every function returns
[date, code, weight] with equal weights per date (``decile_portfolios`` adds ``group``), the
decision dated T like the signal (the backtest trades it on T+1). Rows with a NaN score are
ignored. Ties are broken by code so results are deterministic. Filter ``signals`` to the
rebalance days first (:func:`alpha_core.portfolio.schedule.rebalance_days`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_EMPTY = {"date": pd.Series(dtype="datetime64[ns]"), "code": pd.Series(dtype=object), "weight": pd.Series(dtype=float)}


def _ranked(signals: pd.DataFrame) -> pd.DataFrame:
    """Scored rows sorted by date, score descending, code; with rank 0 = best and n = day size."""
    s = signals.dropna(subset=["score"]).sort_values(["date", "score", "code"], ascending=[True, False, True])
    s = s.assign(rank=s.groupby("date").cumcount())
    return s.assign(n=s.groupby("date")["code"].transform("size"))


def _equal(picked: pd.DataFrame) -> pd.DataFrame:
    if picked.empty:
        return pd.DataFrame(_EMPTY)
    out = picked[["date", "code"]].copy()
    out["weight"] = 1.0 / out.groupby("date")["code"].transform("size")
    return out.sort_values(["date", "code"], ignore_index=True)


def top_fraction(signals: pd.DataFrame, fraction: float = 0.1) -> pd.DataFrame:
    """Equal weights on the top ceil(fraction * n) scores of each date (R2 Top10%)."""
    r = _ranked(signals)
    return _equal(r[r["rank"] < np.ceil(fraction * r["n"])])


def top_n(signals: pd.DataFrame, n: int = 100) -> pd.DataFrame:
    """Equal weights on the ``n`` best scores of each date (R2 Top100)."""
    r = _ranked(signals)
    return _equal(r[r["rank"] < n])


def topk_dropout(signals: pd.DataFrame, k: int = 50, n_drop: int = 5) -> pd.DataFrame:
    """Hold ``k`` names; each date sell the ``n_drop`` held names with the worst scores (names no
    longer scored go first, and do not count toward ``n_drop``) and refill with the best-scored
    names not held. Equal weights. Limits turnover to about n_drop / k per date (qlib's TopkDropout).
    """
    held: list[str] = []
    rows = []
    for day, grp in _ranked(signals).groupby("date", sort=True):
        rank = pd.Series(grp["rank"].to_numpy(), index=grp["code"].to_numpy())
        kept = [c for c in held if c in rank.index]
        kept = sorted(kept, key=lambda c: rank[c])
        kept = kept[: max(min(len(kept), k) - n_drop, 0)] if len(held) >= k else kept[:k]
        chosen = set(kept)
        fill = [c for c in rank.index if c not in chosen][: k - len(kept)]
        held = kept + fill
        rows.append(pd.DataFrame({"date": day, "code": held}))
    return _equal(pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["date", "code"]))


def decile_portfolios(signals: pd.DataFrame, n_groups: int = 10) -> pd.DataFrame:
    """[date, code, group, weight]: group g in 1..n_groups by score quantile (1 = lowest score,
    ``n_groups`` = highest, as in :mod:`alpha_core.metrics.signal`), equal weights within a group
    (each group's weights sum to 1)."""
    r = _ranked(signals)
    # rank 0 is the best score: highest group
    r = r.assign(group=(n_groups - np.floor(r["rank"] * n_groups / r["n"])).astype(int))
    out = r[["date", "code", "group"]].copy()
    out["weight"] = 1.0 / out.groupby(["date", "group"])["code"].transform("size")
    return out.sort_values(["date", "group", "code"], ignore_index=True)
