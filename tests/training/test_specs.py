"""The model spec table (alpha_core.training.specs): read-only, one entry per key, every entry builds."""

import dataclasses
import types

import pandas as pd
import pytest
import torch

from alpha_core.batch import DayBatch
from alpha_core.folds import R1, R1_XGB
from alpha_core.graph.edges import GraphKind
from alpha_core.models.gat_residual import ResidualHeads
from alpha_core.training.schedules import R2_WEEKLY, R3_MONTHLY
from alpha_core.training.specs import (
    MODEL_SPECS,
    R2_FUNDAMENTAL,
    InputRecipe,
    ModelFamily,
    ModelInputs,
    ModelKey,
    ModelOptions,
    ModelSpec,
    Report,
    build_biagru_orthogonal,
    get_spec,
    model_specs,
    models_of,
)

R1_TORCH = ["gat_residual", "gat_mask", "gat_global", "nn", "nn_neutral"]
R2 = (ModelKey.BIAGRU, ModelKey.BIAGRU_GAT, ModelKey.BIAGRU_XGB)


def test_the_table_holds_every_model_key_once_under_its_own_key():
    assert list(MODEL_SPECS) == [str(k) for k in ModelKey]
    assert all(spec.key == key for key, spec in MODEL_SPECS.items())
    assert models_of(Report.R1) == [*R1_TORCH, "xgboost"]
    assert models_of(Report.R2) == [str(k) for k in R2]
    assert models_of(Report.R3) == ["multi_transformer", "indcap_gat", "mticg", "pinn_mticg"]
    assert [k for k, s in MODEL_SPECS.items() if s.strategy and s.report is not Report.R1] == [
        "biagru_gat",
        "pinn_mticg",
    ]


def test_the_table_is_read_only_and_rebuilt_equal():
    assert isinstance(MODEL_SPECS, types.MappingProxyType)
    with pytest.raises(TypeError):
        MODEL_SPECS["nn_x"] = MODEL_SPECS["nn"]  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        MODEL_SPECS["nn"].label = "y"  # type: ignore[misc]
    with pytest.raises(TypeError):
        MODEL_SPECS["pinn_mticg"].inputs.extras["x"] = ("a",)  # type: ignore[index]
    again = model_specs()
    assert list(again) == list(MODEL_SPECS) and again is not MODEL_SPECS
    assert all(again[k].inputs == MODEL_SPECS[k].inputs and again[k].label == MODEL_SPECS[k].label for k in again)


def test_another_table_is_a_plain_mapping_and_leaves_the_built_in_one_alone():
    throwaway = dataclasses.replace(MODEL_SPECS["nn"], key="nn_throwaway")
    specs = {**MODEL_SPECS, "nn_throwaway": throwaway}
    assert get_spec("nn_throwaway", specs) is throwaway
    assert "nn_throwaway" not in MODEL_SPECS
    with pytest.raises(KeyError, match="nn_throwaway"):
        get_spec("nn_throwaway")


def test_unknown_key_names_the_table():
    with pytest.raises(KeyError, match="gat_residual"):
        get_spec("nope")


@pytest.mark.parametrize("key", R1_TORCH)
def test_r1_torch_specs_build_and_score(key):
    spec = get_spec(key)
    assert spec.family is ModelFamily.TORCH and spec.folds == R1 and spec.inputs.recipe is InputRecipe.R1_FACTORS
    assert not spec.inputs.needs_adjacency and not spec.inputs.needs_macro
    model = spec.build_model(ModelOptions(n_features=5, hidden=16))
    n = 12
    sector = torch.arange(n) % 3
    b = DayBatch(
        pd.Timestamp("2021-01-04"),
        [str(i) for i in range(n)],
        torch.randn(n, 5),
        graphs={"sector": sector[:, None] == sector[None, :]},
    )
    assert model(b).shape == (n,)


def test_xgboost_spec():
    spec = get_spec(ModelKey.XGBOOST)
    assert spec.family is ModelFamily.XGBOOST and spec.folds == R1_XGB and spec.universe == "r1_xgb"
    with pytest.raises(TypeError):
        spec.build_model(ModelOptions(5))


@pytest.mark.parametrize("key", [k for k in ModelKey if MODEL_SPECS[k].report is not Report.R1])
def test_r2_r3_specs_build_and_name_their_inputs(key):
    spec = get_spec(key)
    n = 7 if key in R2 else 14
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = spec.build_model(ModelOptions(n_features=n, hidden=16))
    assert sum(p.numel() for p in model.parameters()) > 0
    m = spec.inputs
    assert m.schedule is (R2_WEEKLY if key in R2 else R3_MONTHLY) and spec.folds == m.schedule.folds
    assert m.recipe is {True: InputRecipe.R2_SEQUENCES, False: InputRecipe.R3_SEQUENCES}[key in R2] or (
        key == ModelKey.INDCAP_GAT and m.recipe is InputRecipe.R3_NODES and m.seq_length == 0
    )
    assert all(isinstance(g, GraphKind) for g in m.graphs)
    assert m.needs_macro == (key == ModelKey.PINN_MTICG)


def test_graph_names_are_spelled_once_the_builders_read_the_specs_graphs():
    """A model reads the graphs its spec attaches: the GAT layers' graph names are the spec's."""
    gat = get_spec(ModelKey.BIAGRU_GAT).build_model(ModelOptions(n_features=7, hidden=8))
    assert (GraphKind(gat.config.graph),) == get_spec(ModelKey.BIAGRU_GAT).inputs.graphs
    indcap = get_spec(ModelKey.INDCAP_GAT)
    cfg = indcap.build_model(ModelOptions(n_features=14, hidden=8)).config
    assert (GraphKind(cfg.industry_graph), GraphKind(cfg.flow_graph)) == indcap.inputs.graphs


def test_biagru_xgb_stage2_reads_its_fundamental_extras():
    spec = get_spec(ModelKey.BIAGRU_XGB)
    assert spec.family is ModelFamily.TWO_STAGE and spec.stage2_extras == (R2_FUNDAMENTAL,)
    assert len(spec.inputs.extras[R2_FUNDAMENTAL]) == 13
    assert build_biagru_orthogonal(ModelOptions(n_features=7, hidden=16)).config.n_factors == 32


def test_model_options_hold_enums_and_accept_their_values():
    o = ModelOptions(n_features=3, graph="industry", residual_heads="separate")  # type: ignore[arg-type]
    assert o.graph is GraphKind.INDUSTRY and o.residual_heads is ResidualHeads.SEPARATE


def test_inconsistent_specs_are_refused():
    with pytest.raises(ValueError, match="builder"):
        ModelSpec("x", ModelFamily.TORCH, Report.R1, MODEL_SPECS["nn"].feature_set, "y")
    with pytest.raises(ValueError, match="stage2_extras"):
        dataclasses.replace(MODEL_SPECS["biagru_xgb"], inputs=MODEL_SPECS["biagru"].inputs)
    with pytest.raises(ValueError, match="seq_length"):
        ModelInputs(InputRecipe.R2_SEQUENCES, 0, R2_WEEKLY)
    with pytest.raises(ValueError, match="schedule"):
        ModelInputs(InputRecipe.R1_FACTORS, schedule=R2_WEEKLY)
