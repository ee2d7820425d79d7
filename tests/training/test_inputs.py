"""Per-model input preparation (alpha_core.training.inputs): what R2 / R3 batches carry, causally.

``tiny_market`` (also imported by tests/dagster/test_models_assets.py) is a hand-made market:
random-walk bars, uniform random factor columns (uniform: the 5-MAD winsorisation never bites,
so the per-date preprocessing is a plain ddof-0 z-score), monthly random graphs and a macro
series whose first rows are missing.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.errors import DataContractError
from alpha_core.factors.inputs import FactorInputs
from alpha_core.factors.registry import R3_NODE_FEATURES
from alpha_core.factors.sequences import daily_sequences
from alpha_core.folds import Fold, FoldConfig
from alpha_core.models.multi_transformer import R3_SEQ_FEATURES
from alpha_core.training.inputs import (
    R2_X_COLUMNS,
    LazyBatches,
    ModelTables,
    model_fold_config,
    prepare_fold_inputs,
    sampled_fold,
)
from alpha_core.training.normalizer import FeatureNormalizer
from alpha_core.training.recipes import macro_window
from alpha_core.training.specs import R3_FLOW_NODE, R3_INDUSTRY_NODE, get_spec
from alpha_core.training.walkforward import fold_batches

GRAPHS = ("r2_similarity", "r3_industry", "r3_flow")
MACRO_MISSING = 30  # first macro rows without ln_m_gap (HP trend not yet defined)


def tiny_market(
    n: int = 30, start: str = "2020-01-01", end: str = "2020-08-31", seed: int = 0
) -> dict[str, pd.DataFrame]:
    """The long tables of a tiny market (names = asset keys)."""
    rng = np.random.default_rng(seed)
    codes = [f"SH6{i:05d}" for i in range(n)]
    cal = pd.bdate_range(start, end)
    t = len(cal)
    key = {"date": np.repeat(cal.values, n), "code": np.tile(codes, t)}
    close = 10 * np.exp(np.cumsum(0.02 * rng.standard_normal((t, n)), axis=0)).reshape(-1)
    open_ = close * (1 + 0.01 * rng.standard_normal(t * n))
    high = np.maximum(open_, close) * 1.01
    low = np.minimum(open_, close) * 0.99
    vwap = (open_ + close) / 2
    volume = rng.uniform(1e5, 1e6, t * n)
    bars = pd.DataFrame(
        {
            **key,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "amount": volume * vwap,
            "vwap": vwap,
            "adj_factor": 1.0,
            "turnover": rng.uniform(0.001, 0.05, t * n),
            "float_mcap": 1e9,
            "total_mcap": np.tile(rng.uniform(1e9, 1e10, n), t),
            "tradable": True,
            "limit_up": close * 1.1,
            "limit_down": close * 0.9,
            "is_st": False,
        }
    )
    x = rng.uniform(-1, 1, size=(t * n, 3))
    factors = pd.DataFrame({**key, "bp_lf": x[:, 0], "ret_5d": x[:, 1], "std_1m": x[:, 2]})
    for c in (*R3_SEQ_FEATURES, *R3_NODE_FEATURES):
        factors[c] = rng.uniform(-1, 1, t * n)
    factors["breadth"] = np.repeat(rng.uniform(-1, 1, t), n)  # market-wide
    y = x[:, 0] + factors["pvo"].to_numpy() + factors["ret_20"].to_numpy() + rng.normal(size=t * n)
    ranks = pd.Series(y).groupby(key["date"]).rank()
    z = (
        (ranks - ranks.groupby(key["date"]).transform("mean")) / ranks.groupby(key["date"]).transform("std")
    ).to_numpy()
    labels = pd.DataFrame(
        {
            **key,
            "y_vwap10": 0.01 * y,
            "y_vwap10_rank": z,
            "y_close10_rank": z,
            "y_vwap5": 0.005 * y,
            "y_vwap5_rank": z,
            "y_month_rank": z,
        }
    )
    universe = pd.DataFrame({**key, "r1": True, "r1_xgb": True})
    rebuilds = cal[::21]
    edges = []
    for g in GRAPHS:
        for d in rebuilds:
            src = rng.integers(0, n, 3 * n)
            dst = rng.integers(0, n, 3 * n)
            ok = src != dst
            edges.append(
                pd.DataFrame(
                    {
                        "date": d,
                        "graph": g,
                        "src": np.asarray(codes)[src[ok]],
                        "dst": np.asarray(codes)[dst[ok]],
                        "weight": rng.uniform(0.5, 1, ok.sum()),
                    }
                )
            )
    adjacency = pd.concat(edges, ignore_index=True)
    macro = pd.DataFrame(
        {
            "date": cal,
            "dln_m": rng.normal(0, 0.01, t),
            "ln_m_gap": rng.normal(0, 0.02, t),
            "r_gap": rng.normal(0, 0.1, t),
        }
    )
    macro.loc[: MACRO_MISSING - 1, "ln_m_gap"] = np.nan
    industry_map = pd.DataFrame(
        {
            "code": codes,
            "start_date": pd.Timestamp("2000-01-01"),
            "end_date": pd.NaT,
            "industry": [f"ind{i % 3}" for i in range(n)],
            "sector": [f"s{i % 2}" for i in range(n)],
        }
    )
    return {
        "factor_table": factors,
        "labels": labels,
        "universe": universe,
        "raw_bars": bars,
        "industry_map": industry_map,
        "adjacency": adjacency,
        "macro_series": macro,
    }


def model_tables(m: dict[str, pd.DataFrame]) -> ModelTables:
    return ModelTables(
        m["factor_table"],
        m["labels"],
        m["universe"],
        m["raw_bars"],
        m["industry_map"],
        adjacency=m["adjacency"],
        macro_series=m["macro_series"],
    )


MARKET = tiny_market()
CAL = pd.DatetimeIndex(np.sort(MARKET["factor_table"]["date"].unique()))
FOLD = Fold("2020-06-01", CAL[60:100], CAL[100:110], CAL[110:130])


def _batch(key: str, market: dict[str, pd.DataFrame], day: pd.Timestamp, *, labelled: bool = False):
    spec = get_spec(key)
    inputs = prepare_fold_inputs(spec, model_tables(market), FOLD)
    batches = fold_batches(inputs, [day], FeatureNormalizer(list(inputs.feature_cols)), labelled=labelled)
    assert len(batches) == 1
    return inputs, batches[0]


def _zscore_by_hand(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std()


def test_r3_batch_carries_hand_computed_seq_extras_macro_graphs():
    day = CAL[115]
    inputs, b = _batch("pinn_mticg", MARKET, day)
    assert isinstance(
        fold_batches(inputs, [day], FeatureNormalizer(list(inputs.feature_cols)), labelled=False), LazyBatches
    )
    ft = MARKET["factor_table"]
    assert inputs.feature_cols == R3_SEQ_FEATURES and b.seq.shape == (30, 80, 14)
    # seq step -1 - k = the features of day T - k, z-scored across that day's stocks; breadth raw
    for k in (0, 1, 79):
        rows = ft[ft["date"] == CAL[115 - k]].set_index("code").loc[b.codes]
        np.testing.assert_allclose(b.seq[:, -1 - k, 0].numpy(), _zscore_by_hand(rows["pvo"].to_numpy()), atol=1e-5)
        np.testing.assert_allclose(
            b.seq[:, -1 - k, R3_SEQ_FEATURES.index("breadth")].numpy(), rows["breadth"].to_numpy(), atol=1e-6
        )
    np.testing.assert_allclose(b.x.numpy(), b.seq[:, -1, :].numpy(), atol=1e-6)  # x = day T (identity normaliser)
    rows = ft[ft["date"] == day].set_index("code").loc[b.codes]
    for key, cols in (("r3_node_industry", R3_INDUSTRY_NODE), ("r3_node_flow", R3_FLOW_NODE)):
        assert b.extras[key].shape == (30, 19)
        j = len(cols) - 1
        np.testing.assert_allclose(b.extras[key][:, j].numpy(), _zscore_by_hand(rows[cols[j]].to_numpy()), atol=1e-5)
    assert torch.equal(b.macro, macro_window(MARKET["macro_series"], day, 21, 1))
    # graph: the latest version dated <= T, codes mapped to batch rows
    adj = MARKET["adjacency"]
    flow = adj[(adj["graph"] == "r3_flow") & (adj["date"] == adj.loc[adj["date"] <= day, "date"].max())]
    pos = {c: i for i, c in enumerate(b.codes)}
    want = sorted(zip(flow["src"].map(pos), flow["dst"].map(pos)))
    got = sorted(map(tuple, b.graphs["r3_flow"].T.tolist()))
    assert got == want and b.graphs["r3_flow_weight"].shape == (len(want),)
    assert "r3_industry" in b.graphs and "r2_similarity" not in b.graphs


def test_r2_batch_sequences_are_the_sequence_builder():
    day = CAL[115]
    inputs, b = _batch("biagru_gat", MARKET, day)
    assert inputs.feature_cols == R2_X_COLUMNS
    codes, want = daily_sequences(FactorInputs(MARKET["raw_bars"]), day, 40, codes=b.codes)
    assert codes == b.codes and b.seq.shape == (30, 40, 7)
    np.testing.assert_allclose(b.seq.numpy(), want, atol=1e-6)
    np.testing.assert_allclose(b.x.numpy(), want[:, -1, :], atol=1e-6)
    assert "r2_similarity" in b.graphs and b.macro is None and not b.extras


def test_days_without_history_or_macro_are_left_out():
    early = Fold("x", CAL[10:45], CAL[45:50], CAL[50:52])
    r2 = prepare_fold_inputs(get_spec("biagru"), model_tables(MARKET), early)
    assert r2.features["date"].min() == CAL[39]  # the first day with 40 days of bars
    pinn = prepare_fold_inputs(get_spec("pinn_mticg"), model_tables(MARKET), early)
    # macro row of T and of T - 21 rows must both be complete: first day = row MACRO_MISSING + 21
    assert pinn.features["date"].min() == CAL[MACRO_MISSING + 21]
    mt = prepare_fold_inputs(get_spec("multi_transformer"), model_tables(MARKET), early)
    assert mt.features["date"].min() == CAL[10]  # no macro needed: zero-padded sequences
    whole = prepare_fold_inputs(get_spec("indcap_gat"), model_tables(MARKET))  # no fold: every day
    assert pd.DatetimeIndex(whole.features["date"].unique()).equals(CAL)


def _perturb_after(market: dict[str, pd.DataFrame], day: pd.Timestamp, seed: int = 1) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    out = {}
    for name, df in market.items():
        df = df.copy()
        if "date" in df.columns:
            late = (df["date"] > day).to_numpy()
            for c in df.columns:
                if c not in ("date", "code", "graph", "src", "dst") and pd.api.types.is_float_dtype(df[c]):
                    df.loc[late, c] = df.loc[late, c].to_numpy() * rng.uniform(0.5, 2.0, late.sum()) + 1.0
            if name == "adjacency":  # rewire the future graphs too
                df.loc[late, "dst"] = rng.permutation(df.loc[late, "dst"].to_numpy())
        out[name] = df
    return out


@pytest.mark.parametrize("key", ["biagru_gat", "pinn_mticg"])
def test_future_perturbation_leaves_day_t_unchanged(key):
    day = CAL[115]
    _, before = _batch(key, MARKET, day)
    _, after = _batch(key, _perturb_after(MARKET, day), day)
    assert after.codes == before.codes
    assert torch.equal(after.x, before.x) and torch.equal(after.seq, before.seq)
    for name, g in before.graphs.items():
        assert torch.equal(after.graphs[name], g)
    for name, e in before.extras.items():
        assert torch.equal(after.extras[name], e)
    assert (before.macro is None and after.macro is None) or torch.equal(after.macro, before.macro)
    # the check can fail: perturbing day T itself changes the batch
    _, moved = _batch(key, _perturb_after(MARKET, CAL[114]), day)
    assert not torch.equal(moved.seq, before.seq)


def test_fold_config_and_sampling():
    plan = FoldConfig(train_days=60, valid_days=30, test_days=20, step_days=20)
    r3 = model_fold_config(get_spec("mticg"), plan, per_model_lengths=False)
    assert (r3.purge_days, r3.label_horizon, r3.train_days) == (21, 21, 60)
    assert model_fold_config(get_spec("biagru"), plan, per_model_lengths=False) is None  # purge 10 >= 5
    assert model_fold_config(get_spec("nn"), plan, per_model_lengths=False) is None
    assert model_fold_config(get_spec("mticg"), plan, per_model_lengths=True) == get_spec("mticg").folds
    f = sampled_fold(get_spec("multi_transformer"), FOLD)
    assert list(f.train) == list(FOLD.train[4::5]) and f.train[-1] == FOLD.train[-1]
    assert list(f.valid) == list(FOLD.valid[4::5]) and f.test.equals(FOLD.test)
    assert sampled_fold(get_spec("biagru"), FOLD, train_day_step=10).train.equals(FOLD.train[9::10])
    assert sampled_fold(get_spec("nn"), FOLD, train_day_step=2).train.equals(FOLD.train[::2])


def test_missing_graph_or_macro_raises():
    m = dict(MARKET, adjacency=MARKET["adjacency"][MARKET["adjacency"]["graph"] != "r3_flow"])
    with pytest.raises(DataContractError, match="r3_flow"):
        prepare_fold_inputs(get_spec("indcap_gat"), model_tables(m), FOLD)
    tables = dataclasses.replace(model_tables(MARKET), macro_series=None)
    with pytest.raises(DataContractError, match="macro_series"):
        prepare_fold_inputs(get_spec("pinn_mticg"), tables, FOLD)
    prepare_fold_inputs(get_spec("mticg"), tables, FOLD)  # mticg reads no macro


def test_r1_keys_unchanged():
    inputs = prepare_fold_inputs(get_spec("nn"), model_tables(MARKET), FOLD)
    assert inputs.feature_cols == ("bp_lf", "ret_5d", "std_1m") and inputs.batch_hook is None
    assert set(inputs.groups.columns) == {"date", "code", "sector", "industry"}


def test_day_before_a_graphs_first_version_gets_an_empty_edge_list():
    adj = MARKET["adjacency"]
    late = adj[(adj["graph"] != "r3_flow") | (adj["date"] > CAL[115])]
    _, b = _batch("indcap_gat", dict(MARKET, adjacency=late), CAL[115])
    assert b.graphs["r3_flow"].shape == (2, 0) and b.graphs["r3_flow_weight"].shape == (0,)
    assert b.graphs["r3_industry"].shape[1] > 0
