"""Feature normalisation fitted on the training window only (no look-ahead).

Features arrive cross-sectionally preprocessed (5x MAD, z-score, SPEC), so this is a guard
for models that need globally stable scales: x' = clip((x - mean_) / std_, -clip, clip),
missing -> 0, with mean_ / std_ (F,) estimated on the train rows of a fold only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class FeatureNormalizer:
    """Per-feature standardisation; fitted attributes end in ``_``.

    Args:
        features: the F feature names, in column order.
        clip: absolute clip after standardising (default 5).
    """

    features: list[str]
    clip: float = 5.0
    mean_: np.ndarray | None = field(default=None, repr=False)
    std_: np.ndarray | None = field(default=None, repr=False)

    def fit(self, x: np.ndarray) -> FeatureNormalizer:
        """Fit on train rows x (R, F) (NaN ignored; an all-NaN or constant feature -> 0 / 1)."""
        with np.errstate(invalid="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean = np.nanmean(x, axis=0)
                std = np.nanstd(x, axis=0)
        self.mean_ = np.where(np.isfinite(mean), mean, 0.0)
        self.std_ = np.where(np.isfinite(std) & (std > 1e-12), std, 1.0)
        return self

    def transform(self, x: np.ndarray) -> np.ndarray:
        """(R, F) -> (R, F) float32, NaN -> 0. Identity-with-NaN-fill before ``fit``."""
        if self.mean_ is None:
            z = x
        else:
            z = np.clip((x - self.mean_) / self.std_, -self.clip, self.clip)
        return np.nan_to_num(z, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)

    def to_dict(self) -> dict:
        return {
            "features": list(self.features),
            "clip": self.clip,
            "mean": None if self.mean_ is None else self.mean_.tolist(),
            "std": None if self.std_ is None else self.std_.tolist(),
        }

    @classmethod
    def from_dict(cls, d: dict) -> FeatureNormalizer:
        out = cls(list(d["features"]), float(d["clip"]))
        if d.get("mean") is not None:
            out.mean_ = np.asarray(d["mean"], dtype=np.float64)
            out.std_ = np.asarray(d["std"], dtype=np.float64)
        return out
