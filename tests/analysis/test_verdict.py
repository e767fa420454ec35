"""The two-sided rule and its intervals."""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("scipy")

from bayes_meta_envs._stats import Estimate
from bayes_meta_envs.analysis.verdict import Interval, bootstrap_mean, far_below


def test_interval_across_runs_is_student_t() -> None:
    iv = Interval.across_runs([1.0, 2.0, 3.0])
    # t(0.975, 2) = 4.3027; sd = 1; half = 4.3027 / sqrt(3)
    assert iv.mean == 2.0 and iv.half == pytest.approx(4.302653 / math.sqrt(3), rel=1e-5)
    assert Interval.across_runs([1.0]).half == math.inf
    assert math.isnan(Interval.across_runs([]).mean)


def test_far_below_compares_upper_bound_with_a_quarter_of_the_lower_bound() -> None:
    ref = Interval.of(Estimate(1.0, 0.2, 100))  # lower bound 0.8: a quarter is 0.2
    assert far_below(Interval(0.1, 0.05, 0.19, 8, "runs"), ref)
    assert not far_below(Interval(0.1, 0.0, 0.21, 8, "runs"), ref)
    assert not far_below(Interval(0.1, -math.inf, math.inf, 1, "runs"), ref)


def test_bootstrap_interval_covers_the_mean() -> None:
    lo, hi = bootstrap_mean(np.array([1.0, 2.0, 3.0, 4.0]), seed=0)
    assert 1.0 <= lo < 2.5 < hi <= 4.0
    assert all(math.isnan(v) for v in bootstrap_mean(np.array([1.0]), seed=0))
