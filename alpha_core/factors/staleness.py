"""Age of each stock's newest fundamental report on a date (how stale the point-in-time data are).

For stock i on date d, the newest report is the latest report_period among the rows with
``announce_date < d`` (the contract's point-in-time rule), in its first announced version; its
age is

    age_i(d) = (d - announce_date) in calendar days     (NaN: no report announced yet),

the same quantity :class:`alpha_core.factors.fundamentals.PitFundamentals` expires on
(``report_age_days``): a stock is *stale* when ``age_i(d) > max_age_days``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from alpha_core.errors import DataContractError, Location

N_STALEST = 10  # stocks listed by name in the summary


def newest_report_age(fundamentals: pd.DataFrame | None, codes: pd.Index | list[str], date: pd.Timestamp) -> pd.Series:
    """(N,) float64 age in days of each code's newest report announced strictly before ``date``.

    Returns a Series indexed by ``codes`` (NaN: nothing announced; all NaN when the table is None).

    Raises:
        DataContractError: a contract column is missing.
    """
    codes = pd.Index(codes)
    date = pd.Timestamp(date)
    if fundamentals is None or len(fundamentals) == 0:
        return pd.Series(np.nan, index=codes, dtype=np.float64)
    for col in ("code", "report_period", "announce_date"):
        if col not in fundamentals.columns:
            raise DataContractError("fundamentals lack a column", Location(column=col))
    known = fundamentals.loc[fundamentals["announce_date"] < date, ["code", "report_period", "announce_date"]]
    # newest quarter first, its first version first: the first row per code is the newest report
    newest = known.sort_values(
        ["code", "report_period", "announce_date"], ascending=[True, False, True], kind="stable"
    ).drop_duplicates("code", keep="first")
    ann = newest.set_index("code")["announce_date"].reindex(codes)
    return ((date - ann) / pd.Timedelta(days=1)).astype(np.float64)


@dataclass(frozen=True)
class ReportStaleness:
    """Distribution of the newest report's age over the stocks of one date.

    ``n_stale``: stocks whose newest report is older than ``max_age_days`` (0 when that is None);
    ``median_age_days`` / ``oldest_age_days``: over the stocks with a report (NaN if none);
    ``stalest``: up to :data:`N_STALEST` (code, age) pairs, oldest first.
    """

    date: pd.Timestamp
    max_age_days: int | None
    n_stocks: int
    n_without_report: int
    n_stale: int
    median_age_days: float
    oldest_age_days: float
    stalest: tuple[tuple[str, float], ...]

    @property
    def passed(self) -> bool:
        return self.n_stale == 0

    def as_dict(self) -> dict[str, object]:
        """JSON-friendly values (NaN -> None) for run metadata."""

        def num(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        return {
            "date": None if pd.isna(self.date) else str(self.date.date()),
            "max_age_days": self.max_age_days,
            "n_stocks": self.n_stocks,
            "n_without_report": self.n_without_report,
            "n_stale": self.n_stale,
            "median_age_days": num(self.median_age_days),
            "oldest_age_days": num(self.oldest_age_days),
            "stalest": {code: age for code, age in self.stalest},
        }


def report_staleness(
    fundamentals: pd.DataFrame | None, codes: pd.Index | list[str], date: pd.Timestamp, max_age_days: int | None
) -> ReportStaleness:
    """Summarise :func:`newest_report_age` of ``codes`` on ``date`` against the expiry ``max_age_days``."""
    age = newest_report_age(fundamentals, codes, date)
    have = age.dropna()
    stale = have[have > max_age_days] if max_age_days is not None else have.iloc[:0]
    stalest = have.sort_values(ascending=False, kind="stable").head(N_STALEST)
    return ReportStaleness(
        date=pd.Timestamp(date),
        max_age_days=max_age_days,
        n_stocks=len(age),
        n_without_report=int(age.isna().sum()),
        n_stale=len(stale),
        median_age_days=float(have.median()) if len(have) else float("nan"),
        oldest_age_days=float(have.max()) if len(have) else float("nan"),
        stalest=tuple((str(c), float(a)) for c, a in stalest.items()),
    )
