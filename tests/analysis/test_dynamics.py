"""Behaviour over training measures bandits by the Bayes gap from Q-values."""

from __future__ import annotations

import pytest

pytest.importorskip("sklearn")

from bayes_meta_envs.analysis.dynamics import behaviour
from bayes_meta_envs.baselines import GreedyAgent, bayes_agent
from bayes_meta_envs.rollout import paired_rollout
from bayes_meta_envs.task import task_of

BANDIT = task_of("MetaBandit-v0")


def test_the_bayes_optimal_agent_has_no_gap_at_all() -> None:
    # exactly 0 from Q-values; the paired estimate would only be 0 within its interval
    assert behaviour(bayes_agent(BANDIT), BANDIT, episodes=200, seed=3)["bayes_gap_q"] == 0.0


def test_behaviour_is_the_scored_q_value_gap() -> None:
    greedy = GreedyAgent()
    got = behaviour(greedy, BANDIT, episodes=500, seed=4)
    run = paired_rollout(GreedyAgent(), BANDIT, episodes=500, seed=4)
    assert got["bayes_gap_q"] == pytest.approx(run.estimate("bayes_gap_q").mean, rel=1e-12)
    assert got["bayes_gap_q"] > 0.03  # greedy loses about 0.066 per episode
    assert set(got) == {"bayes_gap_q", "divergence"}
