"""Fold checkpoints: one directory per (fold, model).

Layout::

    meta.json        model key, ModelOptions, TrainConfig (torch, two-stage) or XGBConfig
                     (xgboost), features (the ``x`` columns), fold id, validation metrics;
                     with a booster also xgb_config and best_iteration; two-stage also
                     stage2_features (the stage-2 column names: K factors, then the extras)
    state.pt         torch state dict                   (TORCH; stage 1 of TWO_STAGE)
    model.xgb.json   XGBoost booster                    (XGBOOST; stage 2 of TWO_STAGE)
    normalizer.json  FeatureNormalizer fitted on the fold's train window only
    curve.csv        training curve (epoch, train_loss, valid_loss[, valid_rank_ic]); TWO_STAGE
                     stacks both stages with a ``stage`` column (1 = epochs, 2 = boosting rounds)

Which model files a directory holds follows the spec's
:class:`~alpha_core.training.specs.ModelFamily` (checked on save). The directory is written
to a temporary sibling and renamed, so a reader never sees half a checkpoint. Reloading
rebuilds the model through the spec table (:data:`~alpha_core.training.specs.MODEL_SPECS`
unless another is given) and reproduces its predictions exactly (tested), torch scoring
running under the training's thread budget (``train_config.num_threads``).
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pandas as pd
import torch
from torch import nn

from alpha_core.batch import DayBatch
from alpha_core.errors import CorruptFileError
from alpha_core.training.boosting import XGBConfig, XGBScorer
from alpha_core.training.normalizer import FeatureNormalizer
from alpha_core.training.secondary import secondary_weighting_batches
from alpha_core.training.specs import MODEL_SPECS, ModelFamily, ModelOptions, ModelSpec, get_spec
from alpha_core.training.trainer import predict, torch_threads

META, STATE, XGB_MODEL, NORMALIZER, CURVE = "meta.json", "state.pt", "model.xgb.json", "normalizer.json", "curve.csv"
T = TypeVar("T")


def _jsonable(obj: object) -> object:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {k: _jsonable(v) for k, v in dataclasses.asdict(obj).items()}
    if isinstance(obj, Mapping):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float | int | str | bool) or obj is None:
        return obj
    return str(obj)


@dataclass
class Checkpoint:
    """A loaded checkpoint. ``model()`` rebuilds the torch model (eval mode, weights loaded;
    the stage-1 model of a two-stage key); ``xgb`` is the booster (xgboost, two-stage stage 2);
    ``spec``: the spec of ``model_key`` in the table it was loaded with."""

    path: Path
    model_key: str
    spec: ModelSpec = field(repr=False)
    options: ModelOptions
    features: list[str]
    normalizer: FeatureNormalizer
    curve: pd.DataFrame = field(repr=False)
    valid_metrics: dict[str, float]
    meta: dict = field(repr=False)
    state_dict: dict[str, torch.Tensor] | None = field(default=None, repr=False)
    xgb: XGBScorer | None = field(default=None, repr=False)

    @property
    def family(self) -> ModelFamily:
        return self.spec.family

    def model(self) -> nn.Module:
        net = self.spec.build_model(self.options)
        net.load_state_dict(self.state_dict)
        return net.eval()

    @property
    def stage2_features(self) -> list[str] | None:
        """Stage-2 column names of a two-stage checkpoint (None otherwise)."""
        return self.meta.get("stage2_features")

    def predict(self, batches: Sequence[DayBatch]) -> pd.DataFrame:
        """(date, code, score) for batches built with this checkpoint's features/normaliser.

        TORCH: the model's scores; XGBOOST: the booster on ``x``; TWO_STAGE: the booster on
        :func:`~alpha_core.training.secondary.secondary_weighting_batches` of the stage-1 model.
        """
        family = self.family
        if family is ModelFamily.XGBOOST:
            return self.xgb.predict_batches(batches)
        threads = (self.meta.get("train_config") or {}).get("num_threads")
        with torch_threads(threads):
            if family is ModelFamily.TORCH:
                return predict(self.model(), batches)
            stage2 = secondary_weighting_batches(self.model(), batches, self.spec.stage2_extras)
        return self.xgb.predict_batches(stage2)


def save_checkpoint(
    path: Path | str,
    *,
    spec: ModelSpec,
    options: ModelOptions,
    features: Sequence[str],
    normalizer: FeatureNormalizer,
    curve: pd.DataFrame,
    valid_metrics: Mapping[str, float],
    state_dict: Mapping[str, torch.Tensor] | None = None,
    xgb: XGBScorer | None = None,
    train_config: object | None = None,
    fold_id: str | None = None,
    stage2_features: Sequence[str] | None = None,
    extra: Mapping[str, object] | None = None,
) -> Path:
    """Write the checkpoint of a model of ``spec`` at ``path`` (replaced if present) and return it.

    ``state_dict`` is required for TORCH and TWO_STAGE specs, ``xgb`` for XGBOOST and TWO_STAGE,
    ``stage2_features`` for TWO_STAGE; anything else raises ValueError.
    """
    path = Path(path)
    model_key = str(spec.key)
    family = spec.family
    want_state = family in (ModelFamily.TORCH, ModelFamily.TWO_STAGE)
    want_xgb = family in (ModelFamily.XGBOOST, ModelFamily.TWO_STAGE)
    want_stage2 = family is ModelFamily.TWO_STAGE
    if (
        (state_dict is not None) != want_state
        or (xgb is not None) != want_xgb
        or (stage2_features is not None) != want_stage2
    ):
        raise ValueError(
            f"a {family} checkpoint of {model_key} takes "
            f"{'state_dict' if want_state else 'no state_dict'}, {'xgb' if want_xgb else 'no xgb'} "
            f"and {'stage2_features' if want_stage2 else 'no stage2_features'}"
        )
    tmp = path.with_name(path.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    meta = {
        "model_key": model_key,
        "options": _jsonable(options),
        "features": list(features),
        "fold_id": fold_id,
        "valid_metrics": _jsonable(dict(valid_metrics)),
        "train_config": _jsonable(train_config),
        "extra": _jsonable(dict(extra or {})),
    }
    if stage2_features is not None:
        meta["stage2_features"] = list(stage2_features)
    if xgb is not None:
        xgb.save(tmp / XGB_MODEL)
        meta["xgb_config"] = _jsonable(xgb.config)
        meta["best_iteration"] = xgb.best_iteration_
    if state_dict is not None:
        torch.save({k: v.detach().cpu() for k, v in state_dict.items()}, tmp / STATE)
    (tmp / META).write_text(json.dumps(meta, indent=2, sort_keys=True))
    (tmp / NORMALIZER).write_text(json.dumps(normalizer.to_dict()))
    curve.to_csv(tmp / CURVE, index=False)
    shutil.rmtree(path, ignore_errors=True)
    tmp.rename(path)
    return path


def _read_part(file: Path, reader: Callable[[Path], T]) -> T:
    """``reader(file)``; any failure (missing, truncated, garbled) becomes a CorruptFileError naming ``file``."""
    try:
        return reader(file)
    except Exception as exc:  # noqa: BLE001 - torch/xgboost/json raise OSError, EOFError, XGBoostError, ...
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        raise CorruptFileError(
            f"cannot read checkpoint file ({detail}); retrain this fold to rewrite it", str(file)
        ) from exc


def load_checkpoint(path: Path | str, specs: Mapping[str, ModelSpec] = MODEL_SPECS) -> Checkpoint:
    """Read a directory written by :func:`save_checkpoint`; its model key is looked up in ``specs``.

    Raises:
        KeyError: the checkpoint's model key is not in ``specs``.
        CorruptFileError: a part (meta.json, state.pt, model.xgb.json, normalizer.json, curve.csv) is
            missing, truncated or unreadable; the message names the file.
    """
    path = Path(path)
    meta = _read_part(path / META, lambda f: json.loads(f.read_text()))
    options = ModelOptions(**meta["options"])  # enum fields from their stored values
    model_key = str(meta["model_key"])
    spec = get_spec(model_key, specs)
    state, scorer = None, None
    if (path / XGB_MODEL).exists():
        scorer = _read_part(
            path / XGB_MODEL, lambda f: XGBScorer.load(f, XGBConfig(**meta["xgb_config"]), int(meta["best_iteration"]))
        )
    if (path / STATE).exists():
        state = _read_part(path / STATE, lambda f: torch.load(f, weights_only=True))
    return Checkpoint(
        path=path,
        model_key=model_key,
        spec=spec,
        options=options,
        features=list(meta["features"]),
        normalizer=FeatureNormalizer.from_dict(_read_part(path / NORMALIZER, lambda f: json.loads(f.read_text()))),
        curve=_read_part(path / CURVE, pd.read_csv),
        valid_metrics={k: float(v) for k, v in meta["valid_metrics"].items()},
        meta=meta,
        state_dict=state,
        xgb=scorer,
    )
