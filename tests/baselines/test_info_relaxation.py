"""The information-relaxation bound: above the exact value wherever the DP fits, and tighter than
perfect information where few arms meet a long horizon."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bayes_meta_envs.baselines import solve_bandit
from bayes_meta_envs.baselines.info_relaxation import (
    expected_max_mean,
    information_relaxation_bound,
)
from bayes_meta_envs.errors import InvalidArgumentError, ProblemTooLargeError

# (K, H, prior): every one fits the exact DP; the bound's slack above V* is printed (-s)
CASES = [
    (2, 8, (1.0, 1.0)),
    (2, 20, (1.0, 1.0)),
    (2, 50, (1.0, 1.0)),
    (3, 12, [[1.0, 1.0], [2.0, 1.0], [1.0, 3.0]]),
    (5, 10, (1.0, 1.0)),
    (5, 20, (1.0, 1.0)),
    (6, 8, (2.0, 2.0)),
]


@pytest.mark.parametrize(("k", "h", "prior"), CASES)
def test_upper_bound_holds_where_the_dp_fits(k: int, h: int, prior: object) -> None:
    exact = solve_bandit(k, h, prior).value
    b = information_relaxation_bound(k, h, prior, episodes=2000, seed=1)
    assert b.upper == pytest.approx(b.value + b.ci95)
    assert b.upper >= exact
    # never looser than perfect information on these sizes (the estimate, not just the bound)
    assert b.upper <= b.perfect_information
    print(f"K={k} H={h}: V*={exact:.4f} IR={b.upper:.4f} PI={b.perfect_information:.4f}")


def test_penalty_zero_is_the_outcome_table_relaxation() -> None:
    # c = 0: the best allocation of the pulls with every outcome known, checked by enumerating
    # every allocation of a tiny problem on the same sampled tables
    k, h = 3, 4
    b = information_relaxation_bound(k, h, episodes=2, seed=5, penalty=0.0)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5)))
    p = rng.beta(np.ones(k), np.ones(k), size=(2, k))
    x = (rng.random((2, k, h)) < p[:, :, None]).astype(float)
    best = [
        max(
            sum(x[e, arm, :n].sum() for arm, n in enumerate(alloc))
            for alloc in itertools.product(range(h + 1), repeat=k)
            if sum(alloc) == h
        )
        for e in range(2)
    ]
    pi = h * expected_max_mean((1, 1), k)
    diffs = np.array(best) - h * p.max(axis=1)
    assert b.value == pytest.approx(pi + diffs.mean(), abs=1e-12)


def test_tighter_than_perfect_information_with_few_arms_and_long_horizons() -> None:
    b = information_relaxation_bound(5, 100, episodes=1000, seed=0)
    assert b.upper < b.perfect_information - 2.0
    assert b.penalty.shape == (100,)


def test_bad_input() -> None:
    with pytest.raises(ProblemTooLargeError, match="n_arms=50, horizon=500"):
        information_relaxation_bound(50, 500, episodes=1000)
    with pytest.raises(InvalidArgumentError, match="penalty"):
        information_relaxation_bound(2, 5, penalty=[1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="episodes"):
        information_relaxation_bound(2, 5, episodes=1)
