"""``SyntheticSource``: the embedded synthetic A-share market behind the DataSource protocol."""

from __future__ import annotations

import threading

import numpy as np
import pandas as pd

from alpha_core.data import contract
from alpha_core.data.synthetic.config import Profile, SyntheticConfig, profile_config
from alpha_core.data.synthetic.industries import INDUSTRY_NAMES, SECTOR_NAMES
from alpha_core.data.synthetic.market import SyntheticMarket, generate_market

GROUND_TRUTH_COLUMNS = ["date", "code", "mu_total", "mu_factor", "mu_graph", "mu_macro"]


class SyntheticSource:
    """A deterministic synthetic market with planted, known predictability.

    The market is generated lazily on first access and cached in the instance; every
    table method slices that cache. Tables follow :mod:`alpha_core.data.contract`.

    Args:
        config: the market's :class:`SyntheticConfig` (default: the ``demo`` profile).
        validate: run :func:`alpha_core.data.contract.validate` on every returned table
            (slower; the generator satisfies the contract by construction).
    """

    def __init__(self, config: SyntheticConfig | None = None, *, validate: bool = False, name: str | None = None):
        self.config = config or profile_config(Profile.DEMO)
        self.validate = validate
        self.name = name or "synthetic"
        self._market: SyntheticMarket | None = None
        self._lock = threading.Lock()

    @classmethod
    def from_profile(cls, name: str = "demo", **kwargs) -> SyntheticSource:
        """Source of a named profile: ``demo`` (default, ~300 stocks 2014..2020), ``large``
        (3,500 stocks 2005..2020) or ``small`` (150 stocks 2018..2019)."""
        profile = Profile(str(name).lower()) if name in {p.value for p in Profile} else None
        cfg = profile_config(name)
        return cls(cfg, name="synthetic" if profile is Profile.DEMO else f"synthetic:{profile}", **kwargs)

    @property
    def market(self) -> SyntheticMarket:
        """The generated arrays (generated once, then cached)."""
        if self._market is None:
            with self._lock:
                if self._market is None:
                    self._market = generate_market(self.config)
        return self._market

    # --- helpers -------------------------------------------------------------------------
    def _rows(self, start, end) -> tuple[slice, np.ndarray]:
        cal = self.market.calendar
        lo = int(cal.searchsorted(pd.Timestamp(start), side="left"))
        hi = int(cal.searchsorted(pd.Timestamp(end), side="right"))
        return slice(lo, hi), self.market.universe.listed[lo:hi]

    def _long(self, sl: slice, mask: np.ndarray, fields: dict[str, np.ndarray]) -> pd.DataFrame:
        """Long (date, code, ...) rows of ``mask`` (row-major, so sorted by date then code)."""
        ti, ni = np.nonzero(mask)
        out = {
            "date": self.market.calendar.values[sl][ti].astype("datetime64[ns]"),
            "code": self.market.universe.codes[ni],
        }
        for name, arr in fields.items():
            out[name] = arr[sl][ti, ni]
        df = pd.DataFrame(out)
        df["code"] = df["code"].astype(object)
        return df

    def _check(self, df: pd.DataFrame, schema) -> pd.DataFrame:
        return contract.validate(df, schema, source_file=self.name) if self.validate else df

    # --- DataSource ------------------------------------------------------------------------
    def calendar(self) -> pd.DatetimeIndex:
        return self.market.calendar

    def available_tables(self) -> frozenset[str]:
        return frozenset({"fundamentals", "consensus", "index_levels", "index_weights", "macro", "ground_truth"})

    def instruments(self) -> pd.DataFrame:
        uni, cal = self.market.universe, self.market.calendar
        delisted = uni.delist_idx < len(cal)
        delist = np.where(delisted, cal.values[np.minimum(uni.delist_idx, len(cal) - 1)], np.datetime64("NaT"))
        df = pd.DataFrame(
            {
                "code": uni.codes,
                "name": uni.names,
                "board": uni.board,
                "list_date": uni.list_date.astype("datetime64[ns]"),
                "delist_date": delist.astype("datetime64[ns]"),
            }
        )
        for c in ("code", "name", "board"):
            df[c] = df[c].astype(object)
        return self._check(df, contract.INSTRUMENTS_SCHEMA)

    def industry_map(self) -> pd.DataFrame:
        uni = self.market.universe
        df = pd.DataFrame(
            {
                "code": uni.codes,
                "start_date": uni.list_date.astype("datetime64[ns]"),
                "end_date": np.full(uni.n, np.datetime64("NaT"), dtype="datetime64[ns]"),
                "industry": np.array(INDUSTRY_NAMES, dtype=object)[uni.industry],
                "sector": np.array([s.value for s in SECTOR_NAMES], dtype=object)[uni.sector],
            }
        )
        for c in ("code", "industry", "sector"):
            df[c] = df[c].astype(object)
        return self._check(df, contract.INDUSTRY_SCHEMA)

    def bars(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Raw daily bars of every listed instrument on trading days in [start, end]."""
        sl, mask = self._rows(start, end)
        px, uni = self.market.prices, self.market.universe
        df = self._long(
            sl,
            mask,
            {
                "open": px.open,
                "high": px.high,
                "low": px.low,
                "close": px.close,
                "volume": px.volume,
                "amount": px.amount,
                "vwap": px.vwap,
                "adj_factor": px.adj_factor,
                "turnover": px.turnover,
                "float_shares": px.float_shares,
                "total_shares": px.total_shares,
                "suspended": uni.suspended,
                "limit_up": px.limit_up,
                "limit_down": px.limit_down,
                "is_st": uni.st,
            },
        )
        df["float_mcap"] = df["close"] * df.pop("float_shares")
        df["total_mcap"] = df["close"] * df.pop("total_shares")
        df["tradable"] = ~df.pop("suspended").astype(bool)
        df["is_st"] = df["is_st"].astype(bool)
        return self._check(df[contract.BARS_COLUMNS], contract.BARS_SCHEMA)

    def index_levels(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        sl, _ = self._rows(start, end)
        dates = self.market.calendar[sl]
        frames = [
            pd.DataFrame({"date": dates.values, "index_code": code, "close": lv[sl]})
            for code, lv in self.market.indices.levels.items()
        ]
        df = pd.concat(frames, ignore_index=True).sort_values(["date", "index_code"], kind="stable")
        df["date"] = df["date"].astype("datetime64[ns]")
        df["index_code"] = df["index_code"].astype(object)
        return self._check(df.reset_index(drop=True), contract.INDEX_LEVELS_SCHEMA)

    def index_weights(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Daily close weights of the constituents of SH000300 / SH000905 / SH000852."""
        sl, _ = self._rows(start, end)
        frames = []
        for code, w in self.market.indices.weights.items():
            part = self._long(sl, w[sl] > 0, {"weight": w})
            part.insert(1, "index_code", code)
            frames.append(part)
        df = pd.concat(frames, ignore_index=True).sort_values(["date", "index_code", "code"], kind="stable")
        df["index_code"] = df["index_code"].astype(object)
        return self._check(df.reset_index(drop=True)[contract.INDEX_WEIGHT_COLUMNS], contract.INDEX_WEIGHTS_SCHEMA)

    def fundamentals(self) -> pd.DataFrame:
        return self._check(self.market.fundamentals.table.copy(), contract.FUNDAMENTALS_SCHEMA)

    def consensus(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        sl, _ = self._rows(start, end)
        f = self.market.fundamentals
        df = self._long(
            sl, np.isfinite(f.con_np[sl]), {"con_eps_fy1": f.con_eps, "con_roe_fy1": f.con_roe, "con_np_fy1": f.con_np}
        )
        return self._check(df[contract.CONSENSUS_COLUMNS], contract.CONSENSUS_SCHEMA)

    def macro(self) -> pd.DataFrame:
        return self._check(self.market.macro.table.copy(), contract.MACRO_SCHEMA)

    # --- ground truth (never an input of features or models) ------------------------------
    def ground_truth(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
        """Planted expected return of every listed stock on every trading day in [start, end].

        ``mu_*`` = E_T[log return from the T+1 vwap to the T+11 vwap] contributed by each planted
        part (return units; see :mod:`alpha_core.data.synthetic.planted`), known at the close of T;
        ``mu_total = mu_factor + mu_graph + mu_macro``. Columns: date, code, mu_total, mu_factor,
        mu_graph, mu_macro. For evaluation only: never a feature or a model input.
        """
        sl, mask = self._rows(start, end)
        m = self.market
        df = self._long(sl, mask, {"mu_factor": m.mu_factor, "mu_graph": m.mu_graph, "mu_macro": m.mu_macro})
        df.insert(2, "mu_total", df["mu_factor"] + df["mu_graph"] + df["mu_macro"])
        return df[GROUND_TRUTH_COLUMNS]
