"""Behaviour over training measures bandits by the Bayes gap from Q-values."""

from __future__ import annotations

import itertools

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


def test_log_spaced_checkpoints_keep_both_ends() -> None:
    from bayes_meta_envs.analysis.dynamics import log_spaced

    steps = list(range(10, 2010, 10))
    idx = log_spaced(steps, 12)
    assert idx[0] == 0 and idx[-1] == len(steps) - 1
    assert 10 <= len(idx) <= 12
    picked = [steps[i] for i in idx]
    ratios = [b / a for a, b in itertools.pairwise(picked)]
    assert max(ratios) < 3.0  # about 200 ** (1 / 11) = 1.6 each, rounded to the grid
    assert log_spaced([5, 6], 12) == [0, 1]
