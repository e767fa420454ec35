"""Bad input to the baselines: exact solvers over their size limits, mismatched shapes, NaN or
unreachable belief states, coerced dtypes (issue 9)."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines import (
    BayesOptimalAgent,
    bayes_optimal_value,
    gittins_index,
    gittins_table,
    limits,
    solve_bandit,
)
from bayes_meta_envs.baselines.gittins import compute_gittins_indices, gittins_index_restart
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ProblemTooLargeError,
)

TOO_LARGE = [
    (lambda: bayes_optimal_value(n_arms=10, horizon=60), r"n_arms=10, horizon=60 .*PiB.*4 GiB"),
    (lambda: solve_bandit(3, 200, [[1, 1], [1, 2], [2, 1]]), r"horizon=200"),
    (lambda: solve_bandit(6, 40, exploit_symmetry=False), r"n_arms=6, horizon=40"),
    (lambda: gittins_index(1, 1, 0.999999), r"gamma=0.999999 .*11512920 pulls.*65536"),
    (lambda: gittins_index(1, 1, 1 - 1e-12), r"gamma=0.999999999999 .*PiB"),
    (lambda: compute_gittins_indices(1.0, 1.0, 0.9, depth=10**6), r"1000000 pulls"),
    (lambda: gittins_index_restart(1.0, 1.0, 0.99999), r"gamma=0.99999 "),
    (lambda: gittins_table(0.9, 5000), r"max_n=5000 has 12507501 states"),
]


@pytest.mark.parametrize(("call", "match"), TOO_LARGE)
def test_exact_solvers_refuse_problems_over_their_limit(call, match):
    with pytest.raises(ProblemTooLargeError, match=match):
        call()


def test_problem_too_large_is_an_invalid_argument_error():
    assert issubclass(ProblemTooLargeError, InvalidArgumentError)


def test_limits_are_configurable():
    old = limits.set_limits(dp_max_bytes=1000)
    try:
        with pytest.raises(ProblemTooLargeError, match="above the limit of 1e\\+03 B"):
            solve_bandit(2, 10, (1.0, 3.0))
    finally:
        limits.set_limits(**old)
    assert limits.set_limits() == old  # (no arguments: changes nothing, returns the settings)
    assert solve_bandit(2, 10, (1.0, 3.0)).value > 0


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"bogus": 1}, InvalidArgumentError, "'bogus'"),
        ({"dp_max_bytes": 0}, InvalidArgumentError, "dp_max_bytes .*got 0"),
        ({"dp_max_bytes": "1"}, InvalidArgumentTypeError, "'1'"),
    ],
)
def test_bad_limits(kwargs, error, match):
    with pytest.raises(error, match=match):
        limits.set_limits(**kwargs)


def test_dp_estimate_bounds_a_measured_case():
    # measured peak (tracemalloc) of the 2-arm, H = 100 DP: 169 MB; the estimate must not be
    # below it, nor absurdly above it
    est = limits.dp_bytes_estimate(2, 100, [2])
    assert 169e6 <= est <= 4 * 169e6


@pytest.mark.parametrize(
    ("a", "b", "error", "match"),
    [
        ([1, 2], [1, 2, 3], InvalidArgumentError, r"\(\(2,\), \(3,\)\)"),
        (True, 1, InvalidArgumentTypeError, "True"),
        ("1", 1, InvalidArgumentTypeError, "'1'"),
        (1 + 1j, 1, InvalidArgumentTypeError, "1j"),
        (np.nan, 1, InvalidArgumentError, "nan"),
    ],
)
def test_gittins_bad_counts(a, b, error, match):
    with pytest.raises(error, match=match):
        gittins_index(a, b, 0.9)


@pytest.fixture(scope="module")
def bayes():
    return BayesOptimalAgent(n_arms=2, horizon=5)


BAD_STATES = [
    ([[np.nan, 1, 1, 1, 0]], InvalidArgumentError, "nan"),
    ([[1, 1, 1, 1, np.inf]], InvalidArgumentError, "inf"),
    ([[1, 1, 1, 1, 7]], InvalidArgumentError, "7"),  # t != number of pulls
    ([[9, 1, 1, 1, 8]], InvalidArgumentError, "9"),  # more pulls than the horizon
    ([[0.5, 1, 1, 1, 0]], InvalidArgumentError, "0.5"),  # below the prior
    ([[1.5, 1, 1, 1, 0.5]], InvalidArgumentError, "1.5"),  # not an integer count
    ([[1, 1, 1, 1]], InvalidArgumentError, r"\(1, 4\)"),
    ([[True, True, True, True, False]], InvalidArgumentTypeError, "True"),
    ([["1", "1", "1", "1", "0"]], InvalidArgumentTypeError, "'1'"),
]


@pytest.mark.parametrize(("state", "error", "match"), BAD_STATES, ids=repr)
def test_bayes_agent_refuses_bad_belief_states(bayes, state, error, match):
    with pytest.raises(error, match=match):
        bayes.output(np.array(state) if not isinstance(state[0][0], str) else state)
