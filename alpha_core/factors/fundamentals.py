"""Point-in-time quarterly fundamentals on the daily (T, N) grid.

Rule (data contract): a fundamental row becomes usable on the first trading day
strictly AFTER its ``announce_date`` (announcements often come after the close).

Each announcement is an *event*. At an event of stock i we know every quarter of
i whose announce_date <= the event's announce_date; the "latest" quarter q* is
the most recent report_period known. Quantities (all from single-quarter flows):

    q(x, k)        = x of quarter q* - k              (k = 0 .. 19)
    ttm(x, y)      = sum_{k=4y}^{4y+3} q(x, k)          TTM ending y years before q*
                     (NaN unless all four quarters are known)
    stocks (book_value, total_assets, ...) = value at quarter q*.

Event values are broadcast to the days on which they are the latest event
(forward fill) with a (T, N) event-index array, so each requested quantity
costs one gather.

Expiry (:mod:`alpha_core.factors.pit`): every quantity of an event is NaN on dates more than
``max_age_days`` calendar days after the announcement of the event's latest quarter q*
(``report_age_days``), i.e. when no newer quarter has been announced in time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from alpha_core.data.contract import FUNDAMENTAL_FLOWS, FUNDAMENTAL_STOCKS
from alpha_core.errors import DataContractError, Location
from alpha_core.factors.pit import DEFAULT_MAX_AGE_DAYS, age_days, fresh_mask

N_LAGS = 20
SERIES = [*FUNDAMENTAL_FLOWS, "roe"]  # quarter flows summed into TTM (roe: sum of quarterly roe)


def _quarter_index(d: pd.Series) -> np.ndarray:
    d = pd.to_datetime(d)
    return (d.dt.year.to_numpy() * 4 + (d.dt.month.to_numpy() - 1) // 3).astype(np.int64)


class PitFundamentals:
    """Point-in-time fundamentals; ``get(name)`` returns a (T, N) float64 array.

    Names: ``{x}_q`` (latest quarter), ``{x}_q{k}`` (k quarters before the latest),
    ``{x}_ttm`` and ``{x}_ttm_y{y}`` (TTM y years back, y=1..4) for x in
    revenue, net_profit, ocf, gross_profit, dividends, roe; and the stocks
    book_value, total_assets, total_liabilities, current_liabilities.

    Args:
        max_age_days: values expire this many calendar days after the announcement of the latest
            quarter when no newer quarter arrives (None: carried forward without limit).
    """

    def __init__(
        self,
        fundamentals: pd.DataFrame,
        dates: pd.DatetimeIndex,
        codes: pd.Index,
        max_age_days: int | None = DEFAULT_MAX_AGE_DAYS,
    ):
        f = fundamentals
        bad = f["announce_date"].isna()
        if bad.any():
            row = f[bad].iloc[0]
            raise DataContractError(
                "fundamentals row without announce_date",
                Location(
                    column="announce_date",
                    instrument=str(row["code"]),
                    date=str(pd.Timestamp(row["report_period"]).date()),
                ),
            )
        f = f[f["code"].isin(codes)].copy()
        f["_ni"] = codes.get_indexer(f["code"])
        f["_qi"] = _quarter_index(f["report_period"])
        f["_ann"] = f["announce_date"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
        f = f.sort_values(["_ni", "_ann", "_qi"], kind="stable").reset_index(drop=True)
        self.dates, self.codes, self.max_age_days = dates, codes, max_age_days
        n_ev = len(f)
        ni = f["_ni"].to_numpy()
        ann = f["_ann"].to_numpy()
        qi_latest = f.groupby("_ni")["_qi"].cummax().to_numpy()

        # lookup table (code, quarter) -> row, by a sorted integer key
        key = ni * 100_000 + f["_qi"].to_numpy()
        order = np.argsort(key, kind="stable")
        skey = key[order]
        values = {c: f[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in SERIES + FUNDAMENTAL_STOCKS}
        self._ev: dict[str, np.ndarray] = {}
        lagged: dict[str, list[np.ndarray]] = {c: [] for c in SERIES}
        for k in range(N_LAGS):
            want = ni * 100_000 + qi_latest - k
            pos = np.searchsorted(skey, want)
            pos_c = np.minimum(pos, max(n_ev - 1, 0))
            found = (pos < n_ev) & (skey[pos_c] == want) if n_ev else np.zeros(0, bool)
            row = order[pos_c] if n_ev else pos_c
            known = found & (ann[row] <= ann)  # the lagged quarter was public at this event
            for c in SERIES:
                lagged[c].append(np.where(known, values[c][row], np.nan))
            if k == 0:
                self._ann_latest = ann[row]  # announcement of q* (its first version), per event
                for c in FUNDAMENTAL_STOCKS:
                    self._ev[c] = np.where(known, values[c][row], np.nan)
        for c in SERIES:
            lag = np.stack(lagged[c], axis=1) if n_ev else np.zeros((0, N_LAGS))
            self._ev[f"{c}_q"] = lag[:, 0]
            for k in range(1, N_LAGS):
                self._ev[f"{c}_q{k}"] = lag[:, k]
            for y in range(5):
                name = f"{c}_ttm" if y == 0 else f"{c}_ttm_y{y}"
                self._ev[name] = lag[:, 4 * y : 4 * y + 4].sum(axis=1)  # NaN if any quarter unknown

        # event index per (date, code): the latest event effective on that date
        t_eff = dates.searchsorted(ann.astype("datetime64[ns]"), side="right")
        keep = t_eff < len(dates)
        ev_ids = np.arange(n_ev)[keep]
        cell = t_eff[keep] * len(codes) + ni[keep]
        # several events effective on the same day: the last (latest announce) wins
        _, last = np.unique(cell[::-1], return_index=True)
        sel = ev_ids[::-1][last]
        idx = np.full(len(dates) * len(codes), -1, dtype=np.int64)
        idx[cell[::-1][last]] = sel
        idx = idx.reshape(len(dates), len(codes))
        np.maximum.accumulate(idx, axis=0, out=idx)  # ids increase with announce date within a code
        self._idx = idx
        self._fresh = fresh_mask(dates, self._ann_latest, idx, max_age_days)  # (T, N) in effect, not expired
        self._cache: dict[str, np.ndarray] = {}

    @property
    def names(self) -> list[str]:
        return list(self._ev)

    def report_age_days(self) -> np.ndarray:
        """(T, N) calendar days since the latest quarter known on each date was announced
        (before expiry; NaN where no report is known yet)."""
        return age_days(self.dates, self._ann_latest, self._idx)

    def get(self, name: str) -> np.ndarray:
        if name not in self._cache:
            if name not in self._ev:
                raise KeyError(f"unknown point-in-time fundamental {name!r}")
            ev = self._ev[name]
            if len(ev) == 0:
                self._cache[name] = np.full(self._idx.shape, np.nan)
            else:
                self._cache[name] = np.where(self._fresh, ev[np.maximum(self._idx, 0)], np.nan)
        return self._cache[name]
