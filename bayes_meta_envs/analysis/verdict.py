"""The study's verdicts: intervals across runs and the two-sided rule for "implements".

The rule is fixed before anything is measured (issue 30), and written into every report:

* **far below**: the upper bound of the meta-learner's 95% interval is below
  :data:`FAR_FRACTION` (a quarter) of the lower bound of the reference's 95% interval. A
  meta-learner's interval is across runs (Student t, ``n - 1`` degrees of freedom), a fixed
  reference agent's (clock, memorizer) across held-out episodes;
* **meta -> Bayes passes** when its step-conditional D_s is far below the clock's and the
  untrained twin's (the state says more about the posterior than the step and than an untrained
  network of the same architecture);
* **Bayes -> meta passes** when its D_s is far below the memorizer's and the untrained twin's
  (the Bayes state determines the meta-learner's state, as it cannot determine a raw memory's);
* **implements** when both pass. One direction alone is necessary, not sufficient: a memory
  passes meta -> Bayes, and any agent whose state the step fixes passes Bayes -> agent.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from bayes_meta_envs._stats import Estimate

__all__ = [
    "FAR_FRACTION",
    "Interval",
    "bootstrap_mean",
    "direction_verdict",
    "far_below",
]

#: "far below": the meta-learner's upper bound under this fraction of the reference's lower bound
FAR_FRACTION = 0.25


@dataclass(frozen=True)
class Interval:
    """A mean and its 95% interval ``[low, high]`` over ``n`` ``over`` (runs or episodes)."""

    mean: float
    low: float
    high: float
    n: int
    over: str

    @classmethod
    def across_runs(cls, values: Sequence[float]) -> Interval:
        """Mean over runs with a Student-t 95% interval (infinite for a single run)."""
        x = np.asarray([v for v in values if np.isfinite(v)], dtype=np.float64)
        if x.size == 0:
            return cls(math.nan, math.nan, math.nan, 0, "runs")
        m = float(x.mean())
        if x.size < 2:
            return cls(m, -math.inf, math.inf, 1, "runs")
        half = float(stats.t.ppf(0.975, x.size - 1)) * float(x.std(ddof=1)) / math.sqrt(x.size)
        return cls(m, m - half, m + half, int(x.size), "runs")

    @classmethod
    def of(cls, e: Estimate) -> Interval:
        """The interval of an estimate over held-out episodes."""
        return cls(e.mean, e.low, e.high, e.n, "episodes")

    @property
    def half(self) -> float:
        return (self.high - self.low) / 2

    def text(self, digits: int = 4) -> str:
        if not np.isfinite(self.mean):
            return "n/a"
        if not np.isfinite(self.half):
            return f"{self.mean:.{digits}f}"
        return f"{self.mean:.{digits}f} ± {self.half:.{digits}f}"

    def to_dict(self) -> dict[str, Any]:
        f = lambda v: v if np.isfinite(v) else repr(float(v))  # noqa: E731
        return {
            "mean": f(self.mean),
            "low": f(self.low),
            "high": f(self.high),
            "n": self.n,
            "over": self.over,
        }


def far_below(meta: Interval, reference: Interval) -> bool:
    """The rule of the module docstring (False when either interval is undefined)."""
    if not (np.isfinite(meta.high) and np.isfinite(reference.low)):
        return False
    return meta.high < FAR_FRACTION * reference.low


def direction_verdict(meta: Interval, references: dict[str, Interval]) -> dict[str, bool]:
    """For each reference, whether the meta-learner is far below it."""
    return {name: far_below(meta, ref) for name, ref in references.items()}


def bootstrap_mean(values: np.ndarray, *, seed: int, draws: int = 2000) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the mean over the first axis (runs) of ``values``,
    resampling runs with replacement; NaN entries are skipped."""
    x = np.asarray(values, dtype=np.float64)
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (math.nan, math.nan)
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(draws, x.size))].mean(axis=1)
    return float(np.percentile(means, 2.5)), float(np.percentile(means, 97.5))
