"""The Q-value estimate of the Bayes gap (``bayes_gap_q``): checked against exact belief-MDP values
of the agents' policies, against the paired estimate, and for its variance."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines.bayes_optimal import BayesOptimalAgent, bayes_optimal_value
from bayes_meta_envs.baselines.classic import GreedyAgent, RandomAgent, ThompsonAgent, UCB1Agent
from bayes_meta_envs.scoring import ScoreReport, score
from tests.scoring.test_score_bandit import ENV, _ArgMaxOf, exact_policy_value

V_STAR = bayes_optimal_value(2, 20, (1.0, 1.0))


@pytest.mark.parametrize("cls", [ThompsonAgent, GreedyAgent, UCB1Agent, RandomAgent])
def test_q_gap_estimates_the_exact_gap_of_each_policy(cls) -> None:
    agent = cls.for_env(ENV)
    exact_gap = V_STAR - exact_policy_value(agent, 2, 20, (1.0, 1.0))
    report = score(agent, ENV, episodes=20_000, seed=11)
    q_gap = report.bayes_gap_q
    assert q_gap is not None and q_gap.contains(exact_gap), (q_gap, exact_gap)
    # the same expectation as the paired estimate, with a narrower interval
    assert report.bayes_gap.contains(exact_gap)
    assert q_gap.ci95 < report.bayes_gap.ci95


@pytest.mark.parametrize("cls", [ThompsonAgent, UCB1Agent])
def test_q_gap_of_the_arg_max_policy(cls) -> None:
    agent = cls.for_env(ENV)
    exact_gap = V_STAR - exact_policy_value(_ArgMaxOf(agent), 2, 20, (1.0, 1.0))
    report = score(agent, ENV, episodes=20_000, seed=12, deterministic=True)
    assert report.bayes_gap_q.contains(exact_gap), (report.bayes_gap_q, exact_gap)


def test_q_gap_of_a_callable_uses_its_actions() -> None:
    def always_arm_0(obs: np.ndarray) -> np.ndarray:
        return np.zeros(obs.shape[0], dtype=np.int64)

    # one arm for 20 pulls: E[return] = 20 * 1/2
    report = score(always_arm_0, ENV, episodes=5_000, seed=13)
    assert report.bayes_gap_q.contains(V_STAR - 10.0), report.bayes_gap_q


def test_q_gap_is_exactly_zero_for_bayes_optimal_agents_however_they_break_ties() -> None:
    kwargs = {"n_arms": 3, "horizon": 8, "prior": [[1, 1], [2, 1], [1, 3]], "include_time": True}
    agent = BayesOptimalAgent.for_env(ENV, **kwargs)
    for deterministic in (False, True):  # tie split, and the first arm among ties
        report = score(
            agent, ENV, env_kwargs=kwargs, episodes=5_000, seed=14, deterministic=deterministic
        )
        assert report.bayes_gap_q.mean == 0.0 and report.bayes_gap_q.ci95 == 0.0
    assert report.bayes_gap.ci95 > 0.0  # the paired estimate sees the other tie-breaking


def test_q_gap_is_much_less_noisy_for_a_near_optimal_agent() -> None:
    # arg-max Thompson sampling is within about 0.05 of Bayes; its paired gap is dominated by
    # the noise of the diverging trajectories, its Q-value gap is not
    report = score(ThompsonAgent.for_env(ENV), ENV, episodes=10_000, seed=15, deterministic=True)
    assert report.bayes_gap_q.ci95 < report.bayes_gap.ci95 / 5


def test_q_gap_curve_sums_to_the_episode_estimate_and_survives_json() -> None:
    report = score(GreedyAgent.for_env(ENV), ENV, episodes=2_000, seed=16)
    curve = report.curves["bayes_gap_q"]
    assert sum(curve.mean) == pytest.approx(report.bayes_gap_q.mean, rel=1e-9)
    assert min(curve.mean) >= 0.0  # each step's shortfall against max_k Q* is >= 0
    again = ScoreReport.from_json(report.to_json())
    assert again == report and again.bayes_gap_q == report.bayes_gap_q
    old = report.to_dict()  # written before 0.2: no Q-value gap
    del old["metrics"]["bayes_gap_q"], old["curves"]["bayes_gap_q"]
    assert ScoreReport.from_dict(old).bayes_gap_q is None
    assert "Bayes gap, from Q-values" in report.summary()
