"""Independent hand computations for the factor tests: plain per-stock, per-date numpy loops."""

from __future__ import annotations

import numpy as np
import pandas as pd
from factor_synth import wide


class Hand:
    """Wide arrays straight from the bars table (no engine code)."""

    def __init__(self, bars: pd.DataFrame):
        self.bars = bars
        act = wide(bars, "tradable").astype(bool) & (wide(bars, "volume") > 0)
        self.act = act
        adj = wide(bars, "adj_factor")
        m = lambda a: np.where(act, a, np.nan)  # noqa: E731
        self.o, self.h, self.l, self.c = (m(wide(bars, f)) for f in ("open", "high", "low", "close"))
        self.vwap = m(wide(bars, "vwap"))
        self.ao, self.ah, self.al, self.ac, self.avwap = (x * adj for x in (self.o, self.h, self.l, self.c, self.vwap))
        self.vol = m(wide(bars, "volume"))
        self.turn = m(wide(bars, "turnover"))
        self.amount = m(wide(bars, "amount"))
        self.cap = wide(bars, "total_mcap")
        # forward-filled adjusted close, daily returns on active days
        self.cff = pd.DataFrame(self.ac).ffill().to_numpy()
        prev = np.vstack([np.full((1, self.cff.shape[1]), np.nan), self.cff[:-1]])
        self.ret = np.where(act, self.cff / prev - 1, np.nan)
        self.T, self.N = self.c.shape

    def window(self, x, t, j, w):
        v = x[max(0, t - w + 1) : t + 1, j]
        return v

    def stat(self, x, w, fn, mp):
        out = np.full((self.T, self.N), np.nan)
        for t in range(self.T):
            for j in range(self.N):
                v = self.window(x, t, j, w)
                v = v[~np.isnan(v)]
                if len(v) >= mp:
                    out[t, j] = fn(v)
        return out

    def corr(self, x, y, w, mp=None):
        mp = mp or max(3, -(-w // 2))
        out = np.full((self.T, self.N), np.nan)
        for t in range(self.T):
            for j in range(self.N):
                a, b = self.window(x, t, j, w), self.window(y, t, j, w)
                ok = ~np.isnan(a) & ~np.isnan(b)
                if ok.sum() >= mp and np.std(a[ok]) > 0 and np.std(b[ok]) > 0:
                    out[t, j] = np.corrcoef(a[ok], b[ok])[0, 1]
        return out

    def pct(self, k):
        out = np.full((self.T, self.N), np.nan)
        out[k:] = self.cff[k:] / self.cff[:-k] - 1
        return out


def sd(v):
    return np.std(v, ddof=1)


def engine_wide(df: pd.DataFrame, name: str, like: pd.DataFrame) -> np.ndarray:
    """Pivot one engine column to (T, N) aligned with the bars of ``like``."""
    idx = pd.DatetimeIndex(np.sort(like["date"].unique()))
    cols = np.sort(like["code"].unique())
    return df.pivot(index="date", columns="code", values=name).reindex(index=idx, columns=cols).to_numpy(float)
