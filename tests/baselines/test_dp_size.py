"""The DP's size estimate counts its canonical belief states exactly, so it refuses before
allocating even where many exchangeable arms share a state (0.2's ``C(H + 2K, 2K) / K!`` gave
K = 50, H = 100 a few bytes; the solve then needed more than 20 GB)."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines import limits, solve_bandit
from bayes_meta_envs.baselines.bandit_dp import _enumerate
from bayes_meta_envs.errors import ProblemTooLargeError


@pytest.mark.parametrize(
    ("prior", "horizon"),
    [
        ([[1, 1]] * 2, 10),
        ([[1, 1]] * 3, 8),
        ([[1, 1], [2, 1], [1, 1]], 7),
        ([[1, 1]] * 5, 6),
        ([[1, 1], [2, 2]], 12),
        ([[1, 1]] * 6, 4),
        ([[1, 1]] * 12, 3),
    ],
)
def test_state_count_equals_the_states_the_dp_enumerates(prior, horizon):
    p = np.array(prior, dtype=float)
    _, layers, _, _ = _enumerate(p, horizon, True)
    _, label = np.unique(p, axis=0, return_inverse=True)
    groups = [int(c) for c in np.bincount(np.asarray(label).reshape(-1))]
    assert limits.dp_state_count(horizon, groups) == sum(layer.shape[0] for layer in layers)


def test_many_exchangeable_arms_are_refused_before_allocating():
    with pytest.raises(ProblemTooLargeError, match=r"n_arms=50, horizon=100"):
        solve_bandit(n_arms=50, horizon=100)


def test_the_estimate_never_falls_below_the_old_lower_bound():
    # C(H + 2K, 2K) / K! ordered tuples per canonical state is a lower bound on the count
    from math import comb, factorial

    for k, h in [(2, 30), (4, 12), (10, 20), (50, 10)]:
        assert limits.dp_state_count(h, [k]) >= comb(h + 2 * k, 2 * k) / factorial(k)
