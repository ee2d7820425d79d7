import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.models.attention import group_mask
from alpha_core.training.dataset import build_day_batches, fit_normalizer


def test_basic_batches_and_label_drop(market):
    feats, labels, _, dates, codes = market
    labels = labels.copy()
    labels.loc[(labels["date"] == dates[0]) & (labels["code"] == codes[3]), "label"] = np.nan
    cols = ["f0", "f1"]
    batches = build_day_batches(feats, cols, labels=labels, label_col="label", dates=dates[:3])
    assert [b.date for b in batches] == list(dates[:3])
    assert batches[0].n == 39 and codes[3] not in batches[0].codes and batches[1].n == 40
    row = feats[(feats["date"] == dates[1]) & (feats["code"] == codes[5])]
    np.testing.assert_allclose(batches[1].x[5].numpy(), row[cols].to_numpy()[0], rtol=1e-6)
    scoring = build_day_batches(feats, cols, labels=labels, label_col="label", dates=dates[:1], require_label=False)
    assert scoring[0].n == 40 and torch.isnan(scoring[0].y[3])


def test_universe_filter_and_nan_features(market):
    feats, labels, _, dates, codes = market
    feats = feats.copy()
    feats.loc[0, "f0"] = np.nan
    uni = feats[["date", "code"]].assign(member=feats["code"].isin(codes[:10]))
    b = build_day_batches(
        feats, ["f0"], labels=labels, label_col="label", universe=uni, universe_col="member", dates=dates[:1]
    )[0]
    assert b.codes == codes[:10]
    assert b.x[0, 0] == 0.0  # missing -> 0


def test_adjacency_dense_sparse_and_asof(market):
    feats, labels, _, dates, codes = market
    a, b, c = codes[:3]
    adj = pd.DataFrame(
        {
            "date": [dates[0], dates[0], dates[5], dates[0]],
            "graph": ["sector", "sector", "sector", "sim"],
            "src": [a, b, c, a],
            "dst": [b, a, a, c],
            "weight": [1.0, 1.0, 1.0, 0.7],
        }
    )
    batches = build_day_batches(feats, ["f0"], labels=labels, label_col="label", adjacency=adj, dates=dates[:7])
    m0 = batches[0].graphs["sector"]
    assert m0.dtype == torch.bool and m0.shape == (40, 40)
    assert m0[1, 0] and m0[0, 1] and m0.sum() == 2  # mask[i, j]: edge j -> i
    m5 = batches[5].graphs["sector"]
    assert m5[0, 2] and m5.sum() == 1  # the version dated 5 replaces the first from day 5 on
    ei = batches[0].graphs["sim"]
    assert ei.tolist() == [[0], [2]] and torch.allclose(batches[0].graphs["sim_weight"], torch.tensor([0.7]))


def test_future_graph_and_features_do_not_change_past_batches(market):
    feats, labels, groups, dates, _ = market
    base = build_day_batches(feats, ["f0", "f1"], labels=labels, label_col="label", groups=groups, dates=dates[:10])
    future = feats.copy()
    future.loc[future["date"] > dates[9], ["f0", "f1"]] = 99.0
    g2 = pd.concat([groups, groups.assign(date=dates[20], sector=0)])
    again = build_day_batches(future, ["f0", "f1"], labels=labels, label_col="label", groups=g2, dates=dates[:10])
    for x, y in zip(base, again):
        assert torch.equal(x.x, y.x) and torch.equal(x.graphs["sector"], y.graphs["sector"])


def test_groups_make_block_masks(market):
    feats, labels, groups, dates, codes = market
    b = build_day_batches(feats, ["f0"], labels=labels, label_col="label", groups=groups, dates=dates[:1])[0]
    sec = groups.set_index("code").loc[b.codes, "sector"].to_numpy()
    g = b.graphs["sector"]
    assert g.shape == (b.n,) and g.dtype == torch.int64
    np.testing.assert_array_equal(group_mask(g).numpy(), sec[:, None] == sec[None, :])


def test_groups_asof_and_unknown(market):
    feats, labels, groups, dates, codes = market
    g = pd.concat([groups.iloc[:1].assign(sector=np.nan), groups.iloc[1:], groups.assign(date=dates[3], sector=1)])
    bs = build_day_batches(feats, ["f0"], labels=labels, label_col="label", groups=g, dates=dates[:4])
    m0 = group_mask(bs[0].graphs["sector"])
    assert m0[0].sum() == 0  # unknown sector: no neighbours (the attention adds the self loop)
    assert group_mask(bs[3].graphs["sector"]).all()  # every stock moved to sector 1 on day 3


def test_errors(market):
    feats, labels, _, _, _ = market
    with pytest.raises(DataContractError):
        build_day_batches(feats, ["nope"], labels=labels, label_col="label")
    with pytest.raises(DataContractError):
        build_day_batches(pd.concat([feats, feats.iloc[:1]]), ["f0"], labels=labels, label_col="label")


def test_normalizer_fit_on_train_only(market):
    feats, _, _, dates, _ = market
    n1 = fit_normalizer(feats, ["f0", "f1"], dates[:30])
    future = feats.copy()
    future.loc[future["date"] >= dates[30], "f0"] += 100
    n2 = fit_normalizer(future, ["f0", "f1"], dates[:30])
    np.testing.assert_array_equal(n1.mean_, n2.mean_)
    train = feats[feats["date"].isin(dates[:30])]["f0"]
    assert np.isclose(n1.mean_[0], train.mean()) and np.isclose(n1.std_[0], train.std(ddof=0))
    z = n1.transform(np.array([[n1.mean_[0] + 100 * n1.std_[0], np.nan]]))
    assert z.tolist() == [[5.0, 0.0]]
