"""A tiny synthetic market for training tests: labels = signal in f0 + a sector effect + noise."""

import numpy as np
import pandas as pd
import pytest


def make_market(t=90, n=40, f=4, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2020-01-01", periods=t)
    codes = [f"SH{600000 + i}" for i in range(n)]
    x = rng.normal(size=(t, n, f))
    sector = rng.integers(0, 4, n)
    y = x[:, :, 0] + 0.5 * rng.normal(size=(t, 4))[:, sector] + rng.normal(size=(t, n))
    feats = pd.DataFrame({"date": np.repeat(dates, n), "code": np.tile(codes, t)})
    for k in range(f):
        feats[f"f{k}"] = x[:, :, k].ravel()
    labels = feats[["date", "code"]].assign(label=y.ravel())
    groups = pd.DataFrame({"date": dates[:1].repeat(n), "code": codes, "sector": sector})
    return feats, labels, groups, dates, codes


@pytest.fixture
def market():
    return make_market()
