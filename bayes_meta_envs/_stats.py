"""The statistics every comparison reports: a mean with its 95% interval, and per-step curves."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["Z95", "Curve", "Estimate"]

Z95 = 1.959963984540054  # two-sided 95% normal quantile


def _finite_or_inf_ci(mean: float, ci: float) -> float:
    # a non-finite mean (an infinite KL) or a single sample has an unbounded interval; inf (not
    # NaN) keeps reports comparable with ==
    return ci if math.isfinite(mean) and math.isfinite(ci) else math.inf


@dataclass(frozen=True)
class Estimate:
    """A mean over ``n`` episodes and the half-width ``ci95`` of its 95% confidence interval
    (normal approximation, ``1.96 sd / sqrt(n)``; ``inf`` when undefined)."""

    mean: float
    ci95: float
    n: int

    @classmethod
    def from_samples(cls, x: np.ndarray) -> Estimate:
        """The estimate from one value per episode."""
        arr = np.asarray(x, dtype=np.float64)
        n = int(arr.shape[0])
        with np.errstate(invalid="ignore", over="ignore"):
            mean = float(arr.mean())
            ci = Z95 * float(arr.std(ddof=1)) / math.sqrt(n) if n > 1 else math.inf
        return cls(mean, _finite_or_inf_ci(mean, ci), n)

    @property
    def low(self) -> float:
        return self.mean - self.ci95

    @property
    def high(self) -> float:
        return self.mean + self.ci95

    def contains(self, value: float) -> bool:
        """Whether ``value`` lies in the confidence interval."""
        return self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.mean:.4f} ± {self.ci95:.4f}"


@dataclass(frozen=True)
class Curve:
    """Per-step means over ``n`` episodes and the half-widths of their 95% intervals."""

    mean: tuple[float, ...]
    ci95: tuple[float, ...]
    n: int

    @classmethod
    def from_sums(cls, s: np.ndarray, s2: np.ndarray, n: int) -> Curve:
        with np.errstate(invalid="ignore", over="ignore"):
            mean = s / n
            var = (s2 - n * mean * mean) / (n - 1) if n > 1 else np.full_like(s, np.inf)
            ci = Z95 * np.sqrt(np.maximum(var, 0.0)) / math.sqrt(n)
        ci = np.where(np.isfinite(mean) & np.isfinite(ci), ci, np.inf)
        return cls(tuple(float(v) for v in mean), tuple(float(v) for v in ci), int(n))

    def as_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """``(mean, ci95)`` as float arrays of shape ``(horizon,)``."""
        return np.array(self.mean), np.array(self.ci95)
