"""The one paired runner: exact zeros for the Bayes-optimal agent, batch-size invariance, Monte
Carlo checks against closed forms, and the recorded states."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines import (
    BayesOptimalAgent,
    BayesPredictorAgent,
    GreedyAgent,
    PriorPredictorAgent,
    RandomAgent,
    bayes_optimal_value,
)
from bayes_meta_envs.rollout import Cursor, Estimate, paired_rollout
from bayes_meta_envs.task import task_of

PREDICTION_IDS = [
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]


def test_the_bayes_agent_has_a_gap_of_exactly_zero() -> None:
    task = task_of("MetaBandit-v0", n_arms=3)
    run = paired_rollout(BayesOptimalAgent.for_env(task), task, episodes=500, seed=1)
    assert np.all(run.per_episode["bayes_gap"] == 0.0)
    assert np.all(run.per_episode["agreement"] == 1.0)
    assert np.all(run.per_episode["kl_tie_split"] == 0.0)
    assert np.all(run.per_episode["kl_to_bayes_set"] == 0.0)
    np.testing.assert_array_equal(run.per_episode["return"], run.per_episode["bayes_return"])
    # and its mean return estimates the exact value
    assert run.estimate("return").contains(bayes_optimal_value(3, 20))
    assert run.references["bayes_value"] == pytest.approx(bayes_optimal_value(3, 20))


def test_random_play_matches_its_closed_form_within_the_interval() -> None:
    task = task_of("MetaBandit-v0", prior=(2.0, 1.0))
    run = paired_rollout(RandomAgent.for_env(task), task, episodes=4000, seed=3)
    expected = 20 * 2.0 / 3.0  # every pull pays its prior mean on average
    assert run.estimate("return").contains(expected)
    assert run.references["random_return"] == pytest.approx(expected)
    gap = run.estimate("bayes_gap")
    assert gap.contains(run.references["bayes_value"] - expected)


def test_the_result_does_not_depend_on_the_batch_size() -> None:
    task = task_of("MetaBandit-v0")
    runs = [
        paired_rollout(GreedyAgent.for_env(task), task, episodes=300, seed=7, batch_size=b)
        for b in (300, 37, 1)
    ]
    for other in runs[1:]:
        for name, values in runs[0].per_episode.items():
            np.testing.assert_allclose(other.per_episode[name], values, rtol=0, atol=1e-12)


class ArgmaxOnly:
    """The greedy agent that returns actions instead of probabilities."""

    def __init__(self, inner: GreedyAgent) -> None:
        self.inner = inner

    def initial_state(self, n: int) -> np.ndarray:
        return self.inner.initial_state(n)

    def update(self, s: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return self.inner.update(s, obs)

    def output(self, s: np.ndarray) -> np.ndarray:
        return np.argmax(self.inner.output(s), axis=1)


class Spy(ArgmaxOnly):
    """Records where the cursor is at each update."""

    def __init__(self, inner: GreedyAgent, cursor: Cursor) -> None:
        super().__init__(inner)
        self.cursor = cursor
        self.seen: list[tuple[int, int, int]] = []

    def update(self, s: np.ndarray, obs: np.ndarray) -> np.ndarray:
        self.seen.append((self.cursor.first, self.cursor.n, self.cursor.t))
        return self.inner.update(s, obs)


def test_actions_only_agents_have_agreement_but_no_kl() -> None:
    task = task_of("MetaBandit-v0")
    run = paired_rollout(
        ArgmaxOnly(GreedyAgent.for_env(task)), task, episodes=200, seed=0, outputs="actions"
    )
    assert "kl_tie_split" not in run.per_episode and "kl_to_bayes_set" not in run.per_episode
    assert 0.5 < run.estimate("agreement").mean <= 1.0


@pytest.mark.parametrize("env_id", PREDICTION_IDS)
def test_prediction_bayes_has_zero_excess_and_the_prior_has_its_own(env_id: str) -> None:
    task = task_of(env_id)
    bayes = paired_rollout(BayesPredictorAgent.for_env(task), task, episodes=300, seed=2)
    assert np.all(bayes.per_episode["excess_log_loss"] == 0.0)
    assert np.abs(bayes.per_episode["kl"]).max() < 1e-12
    prior = paired_rollout(PriorPredictorAgent.for_env(task), task, episodes=300, seed=2)
    # the prior predictive's excess is, by definition, the prior_excess statistic
    np.testing.assert_allclose(
        prior.per_episode["excess_log_loss"], prior.per_episode["prior_excess"], atol=1e-9
    )
    assert prior.estimate("excess_log_loss").mean > 0


def test_recorded_states_are_the_bayes_sufficient_statistics() -> None:
    task = task_of("MetaBandit-v0")
    run = paired_rollout(GreedyAgent.for_env(task), task, episodes=50, seed=4, record=5)
    rec = run.recorded
    assert rec["agent_state"].shape == (5, 20, 5) and rec["episode"].tolist() == [0, 1, 2, 3, 4]
    # the Bayes copy conditioned on the agent's inputs counts the agent's own successes/failures
    final = rec["bayes_state"][:, -1]
    actions, rewards = rec["action"], rec["reward"]
    for arm in range(2):
        pulls = actions[:, :-1] == arm  # the last step's reward is not yet observed
        assert np.all(final[:, arm] == 1 + (rewards[:, :-1] * pulls).sum(axis=1))
        assert np.all(final[:, 2 + arm] == 1 + ((1 - rewards[:, :-1]) * pulls).sum(axis=1))
    np.testing.assert_array_equal(rec["agent_state"], rec["bayes_state"])  # greedy tracks counts


def test_the_cursor_follows_the_run() -> None:
    task = task_of("MetaBandit-v0")
    cursor = Cursor()
    spy = Spy(GreedyAgent.for_env(task), cursor)
    paired_rollout(spy, task, episodes=25, seed=0, batch_size=10, cursor=cursor, outputs="actions")
    seen = spy.seen
    assert seen[0] == (0, 10, 0) and seen[20] == (10, 10, 0) and seen[-1] == (20, 5, 19)


def test_estimate_interval() -> None:
    est = Estimate.from_samples(np.array([0.0, 2.0, 4.0]))
    assert est.mean == 2.0 and est.ci95 == pytest.approx(1.959963984540054 * 2 / np.sqrt(3))
    assert Estimate.from_samples(np.array([1.0])).ci95 == np.inf
