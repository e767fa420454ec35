"""The memory budget (issue 34): estimates that cannot hang, one setting, messages that name."""

from __future__ import annotations

import math

import pytest

import bayes_meta_envs
from bayes_meta_envs import _limits
from bayes_meta_envs.baselines import limits
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ProblemTooLargeError,
)


def test_the_dp_limit_is_the_budget_until_set_on_its_own():
    old = bayes_meta_envs.set_memory_budget(123_456)
    try:
        assert bayes_meta_envs.memory_budget() == 123_456
        assert limits.get_limits()["dp_max_bytes"] == 123_456
        with pytest.raises(ProblemTooLargeError, match="n_arms=2, horizon=100"):
            bayes_meta_envs.baselines.solve_bandit(2, 100)
    finally:
        bayes_meta_envs.set_memory_budget(old)
    assert bayes_meta_envs.memory_budget() == old == _limits.DEFAULT_MEMORY_BUDGET


def test_restoring_the_dp_limit_keeps_it_following_the_budget():
    old = limits.set_limits(dp_max_bytes=1000)
    assert old["dp_max_bytes"] is None  # it followed the budget
    limits.set_limits(**old)
    budget = bayes_meta_envs.set_memory_budget(123_456)
    try:
        assert limits.get_limits()["dp_max_bytes"] == 123_456
    finally:
        bayes_meta_envs.set_memory_budget(budget)


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (0, InvalidArgumentError),
        (-1, InvalidArgumentError),
        (True, InvalidArgumentTypeError),
        (1.5, InvalidArgumentTypeError),
        ("1", InvalidArgumentTypeError),
    ],
)
def test_bad_budgets(value, error):
    with pytest.raises(error, match="max_bytes"):
        bayes_meta_envs.set_memory_budget(value)


def test_size_arithmetic_is_instant_on_huge_integers():
    assert _limits.nbytes(10**400, 2) == math.inf
    assert _limits.nbytes(3, 4, itemsize=2) == 24.0
    assert _limits.log_comb(10**300, 10**299) > 1e299  # lgamma: no million-digit integers
    assert _limits.log_comb(5, 2) == pytest.approx(math.log(10))
    assert limits.dp_bytes_estimate(10**9, 10**9, [10**9]) > 1e20  # refused, at once
    # the exact count where it is small (an independent oracle: math.comb)
    # K = 2, H = 10: the 511 canonical states the DP enumerates (tests/baselines/test_dp_size.py)
    assert limits.dp_bytes_estimate(2, 10, [2]) == 511 * (48 + 32 + 40)


def test_refusal_names_the_arguments_the_estimate_and_the_budget():
    with pytest.raises(
        ProblemTooLargeError,
        match=r"num_envs=10000000000, horizon=20: the episodes' noise and rewards would need "
        r"about .* TiB, above the memory budget of 4 GiB; raise it with "
        r"bayes_meta_envs\.set_memory_budget",
    ):
        bayes_meta_envs.envs.MetaBanditVectorEnv(num_envs=10**10)


def test_a_raised_budget_admits_what_the_default_refuses():
    with pytest.raises(ProblemTooLargeError, match="n_categories=30000000"):
        bayes_meta_envs.envs.MetaPredictCategoricalEnv(n_categories=3 * 10**7, horizon=2)
    old = bayes_meta_envs.set_memory_budget(2**20)
    try:
        with pytest.raises(ProblemTooLargeError, match="n_categories=1000"):
            bayes_meta_envs.envs.MetaPredictCategoricalEnv(n_categories=1000)
    finally:
        bayes_meta_envs.set_memory_budget(old)
    bayes_meta_envs.envs.MetaPredictCategoricalEnv(n_categories=1000)
    old = bayes_meta_envs.set_memory_budget(2**62)
    try:
        _limits.check_memory(2.0**61, "a test allocation", n=1)
    finally:
        bayes_meta_envs.set_memory_budget(old)
