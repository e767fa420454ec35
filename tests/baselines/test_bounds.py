"""The bracket on the Bayes-optimal value: certified against the exact DP wherever it fits."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines import (
    ValueBounds,
    bayes_value_bounds,
    expected_max_mean,
    lagrangian_bound,
    solve_bandit,
)
from bayes_meta_envs.errors import InvalidArgumentError, ProblemTooLargeError

# (K, H, prior): every one fits the exact DP
CASES = [
    (2, 8, (1.0, 1.0)),
    (2, 20, (1.0, 1.0)),
    (3, 10, (1.0, 1.0)),
    (3, 12, [[1.0, 1.0], [2.0, 1.0], [1.0, 3.0]]),
    (5, 10, (1.0, 1.0)),
    (6, 8, (2.0, 2.0)),
]


@pytest.mark.parametrize(("k", "h", "prior"), CASES)
def test_bracket_holds_where_the_dp_fits(k: int, h: int, prior: object) -> None:
    exact = solve_bandit(k, h, prior).value
    b = bayes_value_bounds(k, h, prior, use_dp=False, episodes=4000, seed=1)
    assert not b.exact
    assert b.lower <= exact <= b.upper
    assert b.upper <= b.perfect_information + 1e-12
    # the least of the upper bounds computed: Lagrangian, information relaxation, perfect info
    names = [name for name, _ in b.upper_candidates]
    assert len(names) == 3 and any(n.startswith("information relaxation") for n in names)
    assert (b.upper_method, b.upper) == min(b.upper_candidates, key=lambda c: c[1])
    assert all(value >= exact for _, value in b.upper_candidates)
    # the reference (finite-horizon Gittins) is within its interval of the exact value or below
    assert b.reference_value - 2 * b.reference_ci95 <= exact
    upper, prices = lagrangian_bound(k, h, prior)
    assert upper >= exact - 1e-9
    assert prices.shape == (h,) and np.all((prices >= 0) & (prices <= 1))
    slack = b.upper - exact
    assert slack >= 0  # reported by benchmarks/bayes_bounds.py


def test_exact_where_the_dp_fits() -> None:
    b = bayes_value_bounds(3, 10)
    v = solve_bandit(3, 10).value
    assert b == ValueBounds(v, v, True, v, 0.0, b.perfect_information, "exact DP", "exact DP")
    assert b.width == 0.0


def test_lagrangian_bound_tight_with_many_arms() -> None:
    # K = 10, H = 10: the relaxation is within 0.03 of V* while perfect information is 2.4 above
    v = solve_bandit(10, 10).value
    upper, _ = lagrangian_bound(10, 10)
    assert v <= upper <= v + 0.05
    assert 10 * expected_max_mean((1, 1), 10) - v > 2.3


@pytest.mark.slow
def test_twice_as_tight_as_perfect_information_at_k10_h100() -> None:
    b = bayes_value_bounds(10, 100, episodes=4000, seed=0)
    assert not b.exact
    assert b.perfect_information == pytest.approx(100 * 10 / 11)
    assert 2 * b.width <= b.perfect_information - b.lower


def test_expected_max_mean() -> None:
    for k in (1, 2, 5, 50):
        assert expected_max_mean((1, 1), k) == pytest.approx(k / (k + 1), abs=1e-10)
    # two arms, Beta(2, 1) and Beta(1, 1): E[max] = 1 - int F1 F2 = 1 - int x^3 = 3/4
    assert expected_max_mean([[2, 1], [1, 1]]) == pytest.approx(0.75, abs=1e-10)


def test_bad_input() -> None:
    with pytest.raises(ProblemTooLargeError, match="horizon=5000"):
        bayes_value_bounds(3, 5000, use_dp=False)
    with pytest.raises(ProblemTooLargeError, match="n_arms=10, horizon=100"):
        bayes_value_bounds(10, 100, use_dp=True)
    with pytest.raises(InvalidArgumentError, match="use_dp"):
        bayes_value_bounds(2, 5, use_dp="yes")  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match="episodes"):
        bayes_value_bounds(2, 5, use_dp=False, episodes=1)
    with pytest.raises(InvalidArgumentError, match="prior"):
        bayes_value_bounds(2, 5, prior=(0, 1))


def test_dp_chosen_only_where_practical() -> None:
    from bayes_meta_envs.baselines.bounds import dp_fits

    # K = 50, H = 100 passes the DP's size estimate but would need over 20 GB: not chosen
    assert not dp_fits(50, 100)
    assert dp_fits(50, 10) and dp_fits(10, 20) and dp_fits(2, 100)
    assert not dp_fits(10, 100)


def test_reference_agent_only_past_the_dp() -> None:
    from bayes_meta_envs.baselines import FiniteGittinsAgent
    from bayes_meta_envs.baselines.bounds import reference_agent
    from bayes_meta_envs.task import task_of

    assert reference_agent(task_of("MetaBandit-v0")) is None
    assert reference_agent(task_of("MetaPredictBernoulli-v0", horizon=500)) is None
    ref = reference_agent(task_of("MetaBandit-v0", n_arms=10, horizon=100, include_time=True))
    assert isinstance(ref, FiniteGittinsAgent)
    assert (ref.n_arms, ref.horizon, ref.include_time) == (10, 100, True)
