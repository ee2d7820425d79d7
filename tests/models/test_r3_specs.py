"""R2 / R3 registry entries and the helpers that attach seq / node features / macro to batches."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError
from alpha_core.models.pinn import MACRO_DRIVERS
from alpha_core.models.r2r3_specs import (
    MODEL_INPUTS,
    attach_macro,
    attach_node_features,
    attach_sequences,
    build_biagru_orthogonal,
    r2r3_specs,
    register_r2r3,
)
from alpha_core.models.registry import REGISTRY, ModelKey, ModelOptions, get_spec
from alpha_core.training.batch import DayBatch
from alpha_core.training.trainer import seeded

R2R3 = [ModelKey.BIAGRU, ModelKey.BIAGRU_GAT, ModelKey.BIAGRU_XGB, ModelKey.MULTI_TRANSFORMER,
        ModelKey.INDCAP_GAT, ModelKey.MTICG, ModelKey.PINN_MTICG]
R2 = (ModelKey.BIAGRU, ModelKey.BIAGRU_GAT, ModelKey.BIAGRU_XGB)


def test_specs_cover_the_seven_keys_and_register_builds_them():
    specs = r2r3_specs()
    assert [s.key for s in specs] == R2R3
    saved = dict(REGISTRY)
    try:
        register_r2r3()
        for key in R2R3:
            spec = get_spec(key)
            n = 7 if key in R2 else 14
            with seeded(0):
                model = spec.build_model(ModelOptions(n_features=n, hidden=16))
            assert sum(p.numel() for p in model.parameters()) > 0
            assert set(spec.graphs) == set(MODEL_INPUTS[key].graphs)
    finally:
        REGISTRY.clear()
        REGISTRY.update(saved)
    assert build_biagru_orthogonal(ModelOptions(n_features=7, hidden=16)).config.n_factors == 32


def panel_and_batches(t=30, n=6, s=2, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2021-01-04", periods=t)
    codes = pd.Index([f"SH60000{i}" for i in range(n)])
    fields = {f"f{k}": rng.standard_normal((t, n)) for k in range(s)}
    fields["f0"][3, 2] = np.nan
    panel = Panel(dates, codes, fields)
    batches = [DayBatch(dates[k], [codes[4], codes[1]], torch.zeros(2, 1)) for k in (2, 20)]
    return panel, batches


def test_sequences_are_the_last_length_days_ending_at_the_batch_date():
    panel, batches = panel_and_batches()
    out = attach_sequences(batches, panel, ["f0", "f1"], length=5)
    seq = out[1].seq.numpy()  # date index 20, stocks 4 then 1
    assert seq.shape == (2, 5, 2)
    np.testing.assert_allclose(seq[0, :, 0], panel.fields["f0"][16:21, 4], rtol=1e-6)
    np.testing.assert_allclose(seq[1, :, 1], panel.fields["f1"][16:21, 1], rtol=1e-6)
    # date index 2: two padded (zero) steps before the panel starts
    early = out[0].seq.numpy()
    np.testing.assert_array_equal(early[:, :2, :], 0.0)
    np.testing.assert_allclose(early[0, 2:, 1], panel.fields["f1"][0:3, 4], rtol=1e-6)
    assert out[0].x is batches[0].x  # everything else untouched


def test_sequences_ignore_the_future_and_name_missing_stocks():
    panel, batches = panel_and_batches()
    base = attach_sequences(batches, panel, ["f0"], length=5)[1].seq
    future = Panel(panel.dates, panel.codes, {k: v.copy() for k, v in panel.fields.items()})
    future.fields["f0"][21:] = 1e6
    assert torch.equal(attach_sequences(batches, future, ["f0"], length=5)[1].seq, base)
    stranger = [dataclasses.replace(batches[0], codes=["SZ000999", batches[0].codes[1]])]
    with pytest.raises(DataContractError, match="SZ000999"):
        attach_sequences(stranger, panel, ["f0"], length=5)
    with pytest.raises(DataContractError, match="f9"):
        attach_sequences(batches, panel, ["f9"], length=5)


def test_node_features_and_macro_are_attached_by_date():
    panel, batches = panel_and_batches()
    table = pd.DataFrame({"date": [batches[0].date] * 2, "code": [batches[0].codes[0], "SZ000001"],
                          "a": [1.5, 9.0], "b": [np.nan, 9.0]})
    out = attach_node_features(batches, table, ["a", "b"], "node")
    np.testing.assert_array_equal(out[0].extras["node"].numpy(), [[1.5, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(out[1].extras["node"].numpy(), np.zeros((2, 2)))  # no rows that day
    macro = pd.DataFrame({"date": pd.bdate_range("2020-06-01", periods=200),
                          **{c: np.arange(200.0) + k for k, c in enumerate(MACRO_DRIVERS)}})
    out = attach_macro(out, macro, step=21, n_lags=1)
    row = int(macro["date"].searchsorted(batches[1].date, side="right")) - 1
    np.testing.assert_array_equal(out[1].macro.numpy()[:, 0], [row, row - 21])
    assert "node" in out[1].extras
