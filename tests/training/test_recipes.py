"""Input recipes (alpha_core.training.recipes): seq / node features / macro attached to day
batches by date, causally (nothing after the batch date is read)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from alpha_core.batch import DayBatch
from alpha_core.data.panel import Panel
from alpha_core.errors import DataContractError
from alpha_core.models.pinn import MACRO_DRIVERS
from alpha_core.training.recipes import attach_macro, attach_node_features, attach_sequences, macro_window


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
    table = pd.DataFrame(
        {"date": [batches[0].date] * 2, "code": [batches[0].codes[0], "SZ000001"], "a": [1.5, 9.0], "b": [np.nan, 9.0]}
    )
    out = attach_node_features(batches, table, ["a", "b"], "node")
    np.testing.assert_array_equal(out[0].extras["node"].numpy(), [[1.5, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(out[1].extras["node"].numpy(), np.zeros((2, 2)))  # no rows that day
    macro = pd.DataFrame(
        {
            "date": pd.bdate_range("2020-06-01", periods=200),
            **{c: np.arange(200.0) + k for k, c in enumerate(MACRO_DRIVERS)},
        }
    )
    out = attach_macro(out, macro, step=21, n_lags=1)
    row = int(macro["date"].searchsorted(batches[1].date, side="right")) - 1
    np.testing.assert_array_equal(out[1].macro.numpy()[:, 0], [row, row - 21])
    assert "node" in out[1].extras


def macro_table(n=100, seed=0):
    rng = np.random.default_rng(seed)
    dates = pd.bdate_range("2019-01-01", periods=n)
    return pd.DataFrame({"date": dates, **{c: rng.standard_normal(n) for c in MACRO_DRIVERS}})


def test_macro_window_reads_rows_as_of_date_and_step_back():
    table = macro_table()
    date = table["date"].iloc[60]
    win = macro_window(table, date, step=21, n_lags=2)
    expected = table.loc[[60, 39, 18], list(MACRO_DRIVERS)].to_numpy(np.float32)
    np.testing.assert_array_equal(win.numpy(), expected)
    # a weekend date uses the last row before it (as of)
    sat = pd.Timestamp(date) + pd.Timedelta(days=(5 - date.weekday()) % 7)
    np.testing.assert_array_equal(
        macro_window(table, sat, step=21).numpy(),
        table.loc[
            [table["date"].searchsorted(sat, side="right") - 1, table["date"].searchsorted(sat, side="right") - 22],
            list(MACRO_DRIVERS),
        ].to_numpy(np.float32),
    )


def test_macro_window_ignores_the_future():
    table = macro_table()
    date = table["date"].iloc[50]
    base = macro_window(table, date, step=10)
    future = table.copy()
    future.loc[51:, list(MACRO_DRIVERS)] = 1e6
    assert torch.equal(macro_window(future, date, step=10), base)


def test_macro_window_errors_name_the_problem():
    table = macro_table()
    with pytest.raises(DataContractError, match="too short"):
        macro_window(table, table["date"].iloc[5], step=21)
    table.loc[30, "ln_m_gap"] = np.nan
    with pytest.raises(DataContractError, match="ln_m_gap") as err:
        macro_window(table, table["date"].iloc[51], step=21)
    assert str(table["date"].iloc[30].date()) in str(err.value)
    with pytest.raises(DataContractError, match="dln_m"):
        macro_window(table.drop(columns="dln_m"), table["date"].iloc[51])
