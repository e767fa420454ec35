"""Finite-horizon Gittins index (two algorithms, limits) and exact policy evaluation (brute force)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bayes_meta_envs.baselines import (
    BayesOptimalAgent,
    FiniteGittinsAgent,
    GreedyAgent,
    RandomAgent,
    ThompsonAgent,
    UCB1Agent,
    exact_bayes_gap,
    exact_policy_value,
    finite_gittins_index,
    finite_gittins_table,
    gittins_index,
    solve_bandit,
)
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ProblemTooLargeError,
)


def _bisect_index(a: float, b: float, m: int) -> float:
    """Oracle: bisection on lambda with a plain recursive retirement problem (memoised)."""

    def cont(lam: float) -> float:
        memo: dict[tuple[int, int, int], float] = {}

        def value(s: int, f: int, left: int, first: bool) -> float:
            if left == 0:
                return 0.0
            key = (s, f, left)
            if not first and key in memo:
                return memo[key]
            p = (a + s) / (a + b + s + f)
            c = p * (1 + value(s + 1, f, left - 1, False)) + (1 - p) * value(
                s, f + 1, left - 1, False
            )
            out = c if first else max(lam * left, c)
            if not first:
                memo[key] = out
            return out

        return value(0, 0, m, True) - lam * m

    lo, hi = 0.0, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if cont(mid) > 0 else (lo, mid)
    return (lo + hi) / 2


@pytest.mark.parametrize(("a", "b", "m"), [(1, 1, 1), (1, 1, 2), (2, 3, 5), (1, 4, 8), (0.5, 2, 6)])
def test_index_matches_bisection_oracle(a: float, b: float, m: int) -> None:
    assert finite_gittins_index(a, b, m) == pytest.approx(_bisect_index(a, b, m), abs=1e-12)


def test_index_closed_forms() -> None:
    # one pull left: the posterior mean; two pulls from Beta(1, 1): 2 lam = 1/2 + (2/3 + lam) / 2
    assert finite_gittins_index(2, 5, 1) == pytest.approx(2 / 7)
    assert finite_gittins_index(1, 1, 2) == pytest.approx(5 / 9)


def test_index_tends_to_infinite_horizon_gittins() -> None:
    for a, b in [(1, 1), (2, 3), (5, 1)]:
        assert finite_gittins_index(a, b, 400, gamma=0.9) == pytest.approx(
            gittins_index(a, b, 0.9), abs=1e-7
        )
    # the index grows with the remaining horizon
    idx = [finite_gittins_index(1, 1, m) for m in (1, 2, 5, 20, 60)]
    assert np.all(np.diff(idx) > 0)


def test_table_within_its_certified_error_of_the_root_algorithm() -> None:
    h = 24
    table = finite_gittins_table(h, (1.0, 2.0))
    assert 0 < table.max_error < 1e-3
    worst = 0.0
    for s, f in itertools.product(range(7), range(7)):
        for m in {1, 2, 3, 7, h - s - f}:
            if m >= 1 and s + f + m <= h:
                exact = finite_gittins_index(1 + s, 2 + f, m)
                worst = max(worst, abs(float(table.index(s, f, m)) - exact))
    assert worst <= table.max_error + 1e-12
    discounted = finite_gittins_table(h, gamma=0.8)
    assert float(discounted.index(2, 1, 10)) == pytest.approx(
        finite_gittins_index(3, 2, 10, gamma=0.8), abs=discounted.max_error + 1e-12
    )


def test_table_and_agent_bad_input() -> None:
    table = finite_gittins_table(5)
    with pytest.raises(InvalidArgumentError, match="remaining"):
        table.index(3, 2, 1)
    with pytest.raises(InvalidArgumentError, match="gamma"):
        finite_gittins_table(5, gamma=0.0)
    with pytest.raises(ProblemTooLargeError, match="horizon=2000"):
        finite_gittins_table(2000)
    with pytest.raises(InvalidArgumentError, match="remaining"):
        finite_gittins_index(1, 1, 0)
    with pytest.raises(InvalidArgumentTypeError, match="agent"):
        exact_policy_value("bayes")  # type: ignore[arg-type]


def _brute_value(agent, horizon: int) -> float:  # type: ignore[no-untyped-def]
    """Oracle: expectation over every action/reward history, no state merging."""
    k = agent.n_arms

    def rec(state: np.ndarray, t: int) -> float:
        if t == horizon:
            return 0.0
        probs = agent.output(state[None, :])[0]
        total = 0.0
        for arm in range(k):
            if probs[arm] == 0:
                continue
            al, be = state[arm], state[k + arm]
            p = al / (al + be)
            for reward, w in ((1.0, p), (0.0, 1 - p)):
                nxt = state.copy()
                nxt[arm if reward else k + arm] += 1
                nxt[2 * k] += 1
                total += probs[arm] * w * (reward + rec(nxt, t + 1))
        return total

    return rec(agent.initial_state(1)[0], 0)


@pytest.mark.parametrize(
    "agent",
    [
        FiniteGittinsAgent(2, 5),
        UCB1Agent(3, 4),
        ThompsonAgent(2, 4, prior=[[1, 1], [2, 1]]),
        GreedyAgent(3, 4, prior=[[1, 1], [1, 1], [2, 3]]),
        FiniteGittinsAgent(3, 4, prior=[[1, 2], [1, 2], [3, 1]]),
    ],
    ids=repr,
)
def test_exact_policy_value_matches_brute_force(agent) -> None:  # type: ignore[no-untyped-def]
    assert exact_policy_value(agent) == pytest.approx(_brute_value(agent, agent.horizon), abs=1e-12)
    assert exact_policy_value(agent, exploit_symmetry=False) == pytest.approx(
        exact_policy_value(agent), abs=1e-12
    )


def test_exact_bayes_gaps_order_and_zero() -> None:
    assert exact_bayes_gap(BayesOptimalAgent(3, 8)) == pytest.approx(0.0, abs=1e-12)
    assert exact_policy_value(RandomAgent(2, 10)) == pytest.approx(5.0)
    gap = exact_bayes_gap(FiniteGittinsAgent(2, 30))
    assert 0 <= gap < exact_bayes_gap(GreedyAgent(2, 30))
    assert solve_bandit(2, 30).value - gap == pytest.approx(
        exact_policy_value(FiniteGittinsAgent(2, 30))
    )
