"""signal_evaluation's UI metadata: the cumulative RankIC chart inline, the figures as floats."""

import base64
import re
import struct

import dagster as dg
import numpy as np
import pandas as pd

from alpha_core.folds import FoldConfig, make_folds
from alpha_core.store.parquet import ParquetStore
from alpha_dagster.defs.assets.models import build_model_assets
from alpha_dagster.defs.partitions import RANGE_END_TAG, RANGE_START_TAG, build_scheme, window_bounds
from alpha_dagster.lib.io_manager import ParquetIOManager
from alpha_dagster.lib.resources import AlphaStore

N = 30
CODES = [f"SH6{i:05d}" for i in range(N)]
CAL = pd.bdate_range("2020-01-01", "2020-06-30")
PLAN = FoldConfig(train_days=60, valid_days=20, test_days=20, step_days=20)
FOLDS = make_folds(CAL, PLAN)[:1]
SCHEME = build_scheme(CAL, fold_keys=[f.fold_id for f in FOLDS], model_keys=["m1"], strategy_keys=["none"])


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(5)
    t = len(CAL)
    key = {"date": np.repeat(CAL.values, N), "code": np.tile(CODES, t)}
    y = rng.normal(size=t * N)
    labels = pd.DataFrame({**key, "y_vwap10": 0.01 * y, "y_vwap5": 0.005 * y})
    signals = pd.DataFrame({**key, "model": "m1", "fold": "f", "score": y + rng.normal(0, 2.0, t * N)})
    return labels, signals


LABELS, SIGNALS = _tables()


@dg.asset(name="labels", partitions_def=SCHEME.monthly, backfill_policy=dg.BackfillPolicy.single_run())
def labels(context: dg.AssetExecutionContext) -> pd.DataFrame:
    start, end = window_bounds(context)
    return LABELS[(LABELS["date"] >= start) & (LABELS["date"] <= end)]


@dg.asset(name="signals", partitions_def=SCHEME.models)
def signals() -> pd.DataFrame:
    return SIGNALS


def test_signal_evaluation_metadata_has_chart_and_floats(tmp_path):
    resources = {"io_manager": ParquetIOManager(home=str(tmp_path)), "alpha_store": AlphaStore(home=str(tmp_path))}
    *_, evaluation = build_model_assets(SCHEME, PLAN, CAL, per_model_lengths=False)
    assert dg.materialize(
        [labels], resources=resources, tags={RANGE_START_TAG: "2020-01-01", RANGE_END_TAG: "2020-06-01"}
    ).success
    assert dg.materialize([signals], resources=resources, partition_key="m1").success
    metas = []
    for _ in range(2):
        res = dg.materialize(
            [labels, signals, evaluation], selection=[evaluation], resources=resources, partition_key="m1"
        )
        assert res.success
        metas.append(res.asset_materializations_for_node("signal_evaluation")[0].metadata)
    meta = metas[0]
    md = meta["rank_ic_chart"].value
    m = re.fullmatch(r"!\[m1 cumulative RankIC\]\(data:image/png;base64,([A-Za-z0-9+/=]+)\)", md)
    assert m
    png = base64.b64decode(m.group(1), validate=True)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", png[16:24]) == (700, 400) and len(png) < 60_000
    assert metas[1]["rank_ic_chart"].value == md  # a rerun draws the same bytes
    table = ParquetStore(str(tmp_path)).read("signal_evaluation", ["m1"]).set_index("period")
    floats = {k: v.value for k, v in meta.items() if isinstance(v, dg.FloatMetadataValue)}
    assert {"rank_ic", "rank_ic_ir", "ic", "ic_ir", "weighted_rank_ic", "long_short_ann", "top_turnover"} <= set(floats)
    assert all(np.isfinite(v) for v in floats.values())
    assert floats == {k: table.loc["all", k] for k in floats} and floats["rank_ic"] > 0.2
