"""Adding a model key takes its module plus one spec entry: the Definitions follow the spec table.

The Definitions are built with a temporary table holding a throwaway copy of ``nn``; its key is
a ``model_checkpoint`` partition, it gets an R1 strategy, and the built-in table is untouched.
"""

import dataclasses

import dagster as dg

from alpha_core.settings import Settings
from alpha_core.training.specs import MODEL_SPECS, Report
from alpha_dagster.definitions import build_definitions, preset_strategies, r1_models, r2_r3_models

THROWAWAY = "nn_throwaway"


def _partition_keys(defs: dg.Definitions, asset: str) -> list[str]:
    return defs.resolve_assets_def(asset).partitions_def.get_partition_keys()


def test_a_throwaway_spec_becomes_a_model_partition(tmp_path):
    specs = {**MODEL_SPECS, THROWAWAY: dataclasses.replace(MODEL_SPECS["nn"], key=THROWAWAY)}
    defs = build_definitions(Settings(data="synthetic:small", home=tmp_path), specs=specs)
    keys = _partition_keys(defs, "model_checkpoint")
    folds = sorted({k.split("|")[0] for k in keys})
    assert folds and f"{folds[0]}|{THROWAWAY}" in keys and f"{folds[0]}|nn" in keys
    assert THROWAWAY in _partition_keys(defs, "signals")
    assert f"{THROWAWAY}_r1" in _partition_keys(defs, "portfolio_weights")  # an R1 model that trades
    # the built-in table and the default Definitions are untouched
    assert THROWAWAY not in MODEL_SPECS
    plain = build_definitions(Settings(data="synthetic:small", home=tmp_path))
    assert not any(k.endswith(f"|{THROWAWAY}") for k in _partition_keys(plain, "model_checkpoint"))
    assert {k.split("|")[1] for k in _partition_keys(plain, "model_checkpoint")} == set(MODEL_SPECS)


def test_model_lists_and_strategies_come_from_the_specs():
    assert r1_models() == [k for k, s in MODEL_SPECS.items() if s.report is Report.R1]
    assert r1_models() + r2_r3_models() == list(MODEL_SPECS)
    strategies = preset_strategies()
    assert ("gat_residual", "r1") in strategies and ("xgboost", "r1") in strategies
    assert ("biagru_gat", "r2") in strategies and ("pinn_mticg", "r3") in strategies
    assert ("biagru", "r2") not in strategies
    only_r3 = {k: s for k, s in MODEL_SPECS.items() if s.report is Report.R3}
    assert r1_models(only_r3) == [] and preset_strategies(only_r3) == [("pinn_mticg", "r3")]


def test_checkpoint_config_mirrors_the_library_config_and_takes_enum_names():
    from alpha_core.graph.edges import GraphKind
    from alpha_core.models.gat_residual import ResidualHeads
    from alpha_core.training.losses import LossKind
    from alpha_core.training.run import FoldRunConfig
    from alpha_core.training.trainer import Monitor
    from alpha_dagster.defs.assets.models import ModelCheckpointConfig
    from alpha_dagster.demo import DEMO_TRAINING, run_config

    assert set(ModelCheckpointConfig.model_fields) == {f.name for f in dataclasses.fields(FoldRunConfig)}
    assert ModelCheckpointConfig().run_config() == FoldRunConfig()
    # the demo passes enum options by value; Dagster's run config names them
    cfg = run_config(DEMO_TRAINING)
    assert (cfg["graph"], cfg["residual_heads"], cfg["monitor"], cfg["loss"]) == (
        "INDUSTRY",
        "SHARED",
        "RANK_IC",
        "MSE",
    )
    run = ModelCheckpointConfig(**DEMO_TRAINING).run_config()
    assert (run.graph, run.residual_heads, run.monitor, run.loss) == (
        GraphKind.INDUSTRY,
        ResidualHeads.SHARED,
        Monitor.RANK_IC,
        LossKind.MSE,
    )

    @dg.op
    def echo(config: ModelCheckpointConfig) -> str:
        return f"{config.graph.value}/{config.residual_heads.value}/{config.monitor.value}/{config.loss.value}"

    @dg.job
    def one():
        echo()

    res = one.execute_in_process(
        run_config={
            "ops": {
                "echo": {"config": {"graph": "INDUSTRY", "residual_heads": "SEPARATE", "monitor": "LOSS", "loss": "IC"}}
            }
        }
    )
    assert res.output_for_node("echo") == "industry/separate/loss/ic"
