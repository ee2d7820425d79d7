"""The demo's pieces that are not Dagster runs: its run config, the oracle RankIC, the control market."""

import dataclasses

import numpy as np
import pandas as pd

from alpha_core.data.synthetic import profile_config
from alpha_core.settings import Settings
from alpha_dagster.defs.assets.models import ModelCheckpointConfig
from alpha_dagster.demo import DEMO_TRAINING, XGB_TRAINING, _synthetic_market, oracle_rank_ic, run_config
from alpha_dagster.demo_control import control_market, signal_rank_ic

FOLD_LENGTHS = {"train_days", "valid_days", "purge_days"}  # the fold plan's, not a training option

CODES = ["A", "B", "C", "D"]
DATES = pd.bdate_range("2020-01-01", periods=6)


def _frame(values: dict[int, list[float]], name: str) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for k, d in enumerate(DATES):
        v = values.get(k, list(rng.normal(size=4)))  # days 1-4 are not evaluated (step 5)
        rows += [(d, c, x) for c, x in zip(CODES, v, strict=True)]
    return pd.DataFrame(rows, columns=["date", "code", name])


def _labels() -> pd.DataFrame:
    lab = _frame({0: [1.0, 2.0, 3.0, 4.0], 5: [1.0, 2.0, 4.0, 3.0]}, "y_vwap10")
    return lab.assign(y_vwap5=0.5 * lab["y_vwap10"])


def test_demo_pins_every_training_option_of_model_checkpoint():
    options = set(ModelCheckpointConfig.model_fields) - FOLD_LENGTHS
    assert set(DEMO_TRAINING) == options, "a new model_checkpoint option: pin its value in DEMO_TRAINING"
    ModelCheckpointConfig(**DEMO_TRAINING)
    ModelCheckpointConfig(**XGB_TRAINING)


def test_signal_rank_ic_is_signal_evaluations_rank_ic_every_fifth_day():
    # day 0: ranks equal -> 1; day 5: ranks (1, 2, 3, 4) vs (1, 2, 4, 3) -> 1 - 6 * 2 / (4 * 15) = 0.8
    scores = _frame({0: [0.1, 0.2, 0.3, 0.4], 5: [10.0, 20.0, 30.0, 40.0]}, "score")
    assert np.isclose(signal_rank_ic(scores, _labels()), 0.9)


def test_oracle_rank_ic_uses_mu_total_on_the_signals_rows_only():
    truth = _frame({0: [4.0, 3.0, 2.0, 1.0], 5: [1.0, 2.0, 3.0, 4.0]}, "mu_total")
    truth = pd.concat([truth, pd.DataFrame({"date": [DATES[0]], "code": ["E"], "mu_total": [9.0]})])
    signals = _frame({}, "score")  # rows A..D on every day; E is not in the signal
    # day 0: -1, day 5: 0.8 -> -0.1 (E, outside the signal's rows, is left out)
    assert np.isclose(oracle_rank_ic(signals, truth, _labels()), -0.1)


def test_control_market_only_switches_the_graph_part_off():
    demo = profile_config("demo")
    assert control_market(demo) == dataclasses.replace(demo, graph=False)
    assert _synthetic_market(Settings(data="synthetic")) == demo
    assert _synthetic_market(Settings(data="synthetic:small")) == profile_config("small")
    assert _synthetic_market(Settings(data="/data/cn_qlib")) is None


def test_run_config_names_enum_members_and_keeps_the_rest():
    rc = run_config(DEMO_TRAINING)
    enums = (
        "preset",
        "feature_set",
        "xgb_early_stop",
        "xgb_trees",
        "graph",
        "residual_heads",
        "monitor",
        "loss",
        "device",
    )
    assert tuple(rc[k] for k in enums) == (
        "TUNED",
        "R1",
        "RANK_IC",
        "SPEC",
        "INDUSTRY",
        "SHARED",
        "RANK_IC",
        "MSE",
        "CPU",
    )
    assert {k: v for k, v in rc.items() if k not in enums} == {k: v for k, v in DEMO_TRAINING.items() if k not in enums}
    assert run_config(XGB_TRAINING)["feature_set"] == "R1_XGB"
