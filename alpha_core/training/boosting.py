"""XGBoost scorer (R1's XGBoost model, SPEC section 2).

Gradient-boosted regression trees on pooled (day, stock) rows of the train window:
squared error objective, learning rate 0.05, up to 1,000 rounds, early stopping after 20
rounds without improvement of the validation RMSE, max depth 3, row and column subsample
0.8, ``hist`` trees with a fixed seed and thread count (deterministic).

Early stopping (:class:`XGBEarlyStop`): SPEC monitors the validation RMSE. On real data the
RMSE of a 10-day return rank is dominated by the cross-sections' noise and bottoms out after a
handful of rounds, long before the ranking stops improving (measured: best round 1-60 and a
test RankIC of ~0 on the shared CSI 300 data). ``RANK_IC`` monitors what the score is used
for, the mean over validation days d of the Spearman correlation

    RankIC_d = corr(rank(pred_d), rank(y_d))     (average ranks for ties)

maximised, exactly the metric the torch trainer's early stopping uses.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xgboost as xgb

from alpha_core.batch import DayBatch
from alpha_core.progress import Progress, ProgressLog


class XGBEarlyStop(enum.StrEnum):
    """The validation metric that stops the boosting (see the module docstring)."""

    RMSE = "rmse"  # SPEC, minimised
    RANK_IC = "rank_ic"  # mean daily Spearman RankIC of the validation days, maximised


class XGBTrees(enum.StrEnum):
    """Named tree settings (:data:`TREE_SETTINGS`): SPEC's shallow trees or Qlib's published ones."""

    SPEC = "spec"  # depth 3, eta 0.05, row / column subsample 0.8 (SPEC section 2)
    QLIB = "qlib"  # Qlib's Alpha158 XGBoost: depth 8, eta 0.0421, subsample 0.8789, colsample 0.8879


TREE_SETTINGS: dict[XGBTrees, dict[str, float]] = {
    XGBTrees.SPEC: {"max_depth": 3, "learning_rate": 0.05, "subsample": 0.8, "colsample": 0.8},
    XGBTrees.QLIB: {"max_depth": 8, "learning_rate": 0.0421, "subsample": 0.8789, "colsample": 0.8879},
}
"""XGBConfig fields of each :class:`XGBTrees` member."""


@dataclass(frozen=True)
class XGBConfig:
    """Args: learning_rate 0.05; num_rounds 1000; early_stopping 20 (rounds without improvement);
    max_depth 3; subsample 0.8; colsample 0.8; seed 0; n_threads 2; early_stop_metric
    (:class:`XGBEarlyStop`, RMSE = SPEC; RANK_IC needs the validation rows' day groups)."""

    learning_rate: float = 0.05
    num_rounds: int = 1000
    early_stopping: int = 20
    max_depth: int = 3
    subsample: float = 0.8
    colsample: float = 0.8
    seed: int = 0
    n_threads: int = 2
    early_stop_metric: XGBEarlyStop = XGBEarlyStop.RMSE

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
    y = (
        np.concatenate([b.y.numpy() if b.y is not None else np.full(b.n, np.nan, np.float32) for b in batches])
        if batches
        else np.zeros(0, np.float32)
    )
    return x, y


class DailyRankIC:
    """Mean daily Spearman RankIC of predictions against fixed labels, for rows grouped by day.

    ``groups`` (R,) int day ids; rows with a non-finite label are ignored. ``__call__(pred)``
    ranks ``pred`` within each day (average ranks for ties: early trees give few distinct
    values) and averages the per-day Pearson correlation of the ranks; days with < 2 valid
    rows or a constant side are left out. O(R log R) per call.
    """

    def __init__(self, y: np.ndarray, groups: np.ndarray):
        ok = np.isfinite(y)
        self._ok = ok
        self._g = np.asarray(groups)[ok]
        self._n_groups = int(self._g.max()) + 1 if len(self._g) else 0
        self._count = np.bincount(self._g, minlength=self._n_groups).astype(np.float64)
        self._ry = self._centred_ranks(np.asarray(y, np.float64)[ok])

    def _centred_ranks(self, v: np.ndarray) -> np.ndarray:
        """Average ranks of ``v`` within each group, minus the group's mean rank."""
        order = np.lexsort((v, self._g))
        gs, vs = self._g[order], v[order]
        new_run = np.r_[True, (gs[1:] != gs[:-1]) | (vs[1:] != vs[:-1])]
        run = np.cumsum(new_run) - 1
        pos = np.arange(len(v), dtype=np.float64)
        avg = np.bincount(run, weights=pos) / np.bincount(run)
        ranks = np.empty(len(v))
        ranks[order] = avg[run]
        mean = np.bincount(self._g, weights=ranks, minlength=self._n_groups) / np.maximum(self._count, 1)
        return ranks - mean[self._g]

    def __call__(self, pred: np.ndarray) -> float:
        rp = self._centred_ranks(np.asarray(pred, np.float64)[self._ok])
        n = self._n_groups
        cov = np.bincount(self._g, weights=rp * self._ry, minlength=n)
        vp = np.bincount(self._g, weights=rp * rp, minlength=n)
        vy = np.bincount(self._g, weights=self._ry * self._ry, minlength=n)
        good = (self._count >= 2) & (vp > 0) & (vy > 0)
        if not good.any():
            return 0.0
        return float(np.mean(cov[good] / np.sqrt(vp[good] * vy[good])))


class RoundProgress(xgb.callback.TrainingCallback):
    """Reports boosting rounds to a :class:`~alpha_core.progress.Progress` with the latest
    validation metrics; it never stops the training nor touches the booster."""

    def __init__(self, progress: Progress):
        super().__init__()
        self.progress = progress

    @staticmethod
    def _latest(evals_log: dict) -> str:
        valid = evals_log.get("valid", {})
        return "".join(f"; valid {name} {values[-1]:.5f}" for name, values in valid.items() if values)

    def after_iteration(self, model: xgb.Booster, epoch: int, evals_log: dict) -> bool:
        self.progress.advance(detail=self._latest(evals_log))
        return False

    def after_training(self, model: xgb.Booster) -> xgb.Booster:
        best = getattr(model, "best_iteration", None)
        self.progress.finish(detail=f"; best round {best + 1}" if best is not None else "")
        return model


class XGBScorer:
    """Fit / predict / save / load around an ``xgboost.Booster``; fitted attributes end in ``_``."""

    def __init__(self, config: XGBConfig = XGBConfig()):
        self.config = config
        self.booster_: xgb.Booster | None = None
        self.best_iteration_: int | None = None
        self.curve_: pd.DataFrame | None = None

    def fit(
        self,
        x_train: np.ndarray,
        y_train: np.ndarray,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        valid_groups: np.ndarray | None = None,
        progress_log: ProgressLog | None = None,
    ) -> XGBScorer:
        """Train on (R, F) / (R,) arrays with early stopping on the validation rows.

        ``valid_groups``: (R_valid,) day ids of the validation rows, required by
        ``XGBEarlyStop.RANK_IC``; the curve then has a ``valid_rank_ic`` column.
        ``progress_log``: log ``boosting round i/num_rounds, elapsed, ETA`` (an upper bound:
        early stopping) with the validation metrics, throttled (:mod:`alpha_core.progress`).
        """
        cfg = self.config
        dtrain = xgb.DMatrix(x_train, label=y_train, nthread=cfg.n_threads)
        dvalid = xgb.DMatrix(x_valid, label=y_valid, nthread=cfg.n_threads)
        history: dict = {}
        by_rank_ic = XGBEarlyStop(cfg.early_stop_metric) is XGBEarlyStop.RANK_IC
        kwargs: dict = {"early_stopping_rounds": cfg.early_stopping}
        if by_rank_ic:
            if valid_groups is None or len(valid_groups) != len(y_valid):
                raise ValueError("early_stop_metric rank_ic needs one day id per validation row (valid_groups)")
            metric = DailyRankIC(np.asarray(y_valid, np.float64), np.asarray(valid_groups))

            def rank_ic(predt: np.ndarray, dmat: xgb.DMatrix) -> tuple[str, float]:
                # the training rows are not ranked (cost); early stopping reads the valid set only
                return "rank_ic", metric(predt) if dmat is dvalid else float("nan")

            kwargs = {
                "custom_metric": rank_ic,
                "callbacks": [
                    xgb.callback.EarlyStopping(
                        rounds=cfg.early_stopping, metric_name="rank_ic", data_name="valid", maximize=True
                    )
                ],
            }
        if progress_log is not None:
            rounds = progress_log.start("boosting round", cfg.num_rounds, bound=True)
            # first: xgboost stops calling callbacks after the one that ends the training
            kwargs["callbacks"] = [RoundProgress(rounds), *kwargs.get("callbacks", [])]
        self.booster_ = xgb.train(
            cfg.params(),
            dtrain,
            num_boost_round=cfg.num_rounds,
            evals=[(dtrain, "train"), (dvalid, "valid")],
            evals_result=history,
            verbose_eval=False,
            **kwargs,
        )
        self.best_iteration_ = int(self.booster_.best_iteration)
        curve = {
            "epoch": np.arange(1, len(history["train"]["rmse"]) + 1),
            "train_loss": history["train"]["rmse"],
            "valid_loss": history["valid"]["rmse"],
        }
        if by_rank_ic:
            curve["valid_rank_ic"] = history["valid"]["rank_ic"]
        self.curve_ = pd.DataFrame(curve)
        return self

    def fit_batches(
        self, train: Sequence[DayBatch], valid: Sequence[DayBatch], progress_log: ProgressLog | None = None
    ) -> XGBScorer:
        groups = np.concatenate([np.full(b.n, k) for k, b in enumerate(valid)]) if valid else np.zeros(0, int)
        return self.fit(*stack_batches(train), *stack_batches(valid), valid_groups=groups, progress_log=progress_log)

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
