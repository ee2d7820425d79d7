"""XGBoost scorer (R1's XGBoost model, SPEC section 2).

Gradient-boosted regression trees on pooled (day, stock) rows of the train window:
squared error objective, learning rate 0.05, up to 1,000 rounds, early stopping after 20
rounds without improvement of the validation RMSE, max depth 3, row and column subsample
0.8, ``hist`` trees with a fixed seed and thread count (deterministic).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from alpha_core.training.batch import DayBatch


@dataclass(frozen=True)
class XGBConfig:
    """Args: learning_rate 0.05; num_rounds 1000; early_stopping 20; max_depth 3;
    subsample 0.8; colsample 0.8; seed 0; n_threads 2."""

    learning_rate: float = 0.05
    num_rounds: int = 1000
    early_stopping: int = 20
    max_depth: int = 3
    subsample: float = 0.8
    colsample: float = 0.8
    seed: int = 0
    n_threads: int = 2

    def params(self) -> dict:
        return {
            "objective": "reg:squarederror",
            "eval_metric": "rmse",
            "eta": self.learning_rate,
            "max_depth": self.max_depth,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample,
            "tree_method": "hist",
            "seed": self.seed,
            "nthread": self.n_threads,
        }


def stack_batches(batches: Sequence[DayBatch]) -> tuple[np.ndarray, np.ndarray]:
    """Pool day batches into x (R, F) float32 and y (R,) float32 (NaN where y is None)."""
    x = np.concatenate([b.x.numpy() for b in batches]) if batches else np.zeros((0, 0), np.float32)
    y = np.concatenate(
        [b.y.numpy() if b.y is not None else np.full(b.n, np.nan, np.float32) for b in batches]
    ) if batches else np.zeros(0, np.float32)
    return x, y


class XGBScorer:
    """Fit / predict / save / load around an ``xgboost.Booster``; fitted attributes end in ``_``."""

    def __init__(self, config: XGBConfig = XGBConfig()):
        self.config = config
        self.booster_: xgb.Booster | None = None
        self.best_iteration_: int | None = None
        self.curve_: pd.DataFrame | None = None

    def fit(self, x_train: np.ndarray, y_train: np.ndarray, x_valid: np.ndarray, y_valid: np.ndarray) -> XGBScorer:
        """Train on (R, F) / (R,) arrays with early stopping on the validation rows."""
        dtrain = xgb.DMatrix(x_train, label=y_train, nthread=self.config.n_threads)
        dvalid = xgb.DMatrix(x_valid, label=y_valid, nthread=self.config.n_threads)
        history: dict = {}
        self.booster_ = xgb.train(
            self.config.params(),
            dtrain,
            num_boost_round=self.config.num_rounds,
            evals=[(dtrain, "train"), (dvalid, "valid")],
            early_stopping_rounds=self.config.early_stopping,
            evals_result=history,
            verbose_eval=False,
        )
        self.best_iteration_ = int(self.booster_.best_iteration)
        self.curve_ = pd.DataFrame(
            {
                "epoch": np.arange(1, len(history["train"]["rmse"]) + 1),
                "train_loss": history["train"]["rmse"],
                "valid_loss": history["valid"]["rmse"],
            }
        )
        return self

    def fit_batches(self, train: Sequence[DayBatch], valid: Sequence[DayBatch]) -> XGBScorer:
        return self.fit(*stack_batches(train), *stack_batches(valid))

    def predict(self, x: np.ndarray) -> np.ndarray:
        """(R, F) -> (R,) float64 scores using the trees up to the best iteration."""
        if self.booster_ is None:
            raise RuntimeError("XGBScorer is not fitted")
        d = xgb.DMatrix(x, nthread=self.config.n_threads)
        return self.booster_.predict(d, iteration_range=(0, self.best_iteration_ + 1)).astype(np.float64)

    def predict_batches(self, batches: Sequence[DayBatch]) -> pd.DataFrame:
        """Long frame (date, code, score) like :func:`alpha_core.training.trainer.predict`."""
        x, _ = stack_batches(batches)
        score = self.predict(x) if len(x) else np.zeros(0)
        out = pd.DataFrame(
            {
                "date": pd.to_datetime(np.concatenate([[b.date] * b.n for b in batches]) if batches else []),
                "code": [c for b in batches for c in b.codes],
                "score": score,
            }
        )
        out["date"] = out["date"].astype("datetime64[ns]")
        return out.sort_values(["date", "code"], kind="stable").reset_index(drop=True)

    def save(self, path: Path) -> None:
        self.booster_.save_model(str(path))

    @classmethod
    def load(cls, path: Path, config: XGBConfig, best_iteration: int) -> XGBScorer:
        out = cls(config)
        out.booster_ = xgb.Booster()
        out.booster_.load_model(str(path))
        out.booster_.set_param({"nthread": config.n_threads})
        out.best_iteration_ = best_iteration
        return out
