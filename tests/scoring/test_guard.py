"""The Guard: checks every return of the agent and names the episode and step from the Cursor."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines.bayes_optimal import bayes_agent
from bayes_meta_envs.baselines.classic import ThompsonAgent
from bayes_meta_envs.errors import ScoringError
from bayes_meta_envs.rollout import Cursor, paired_rollout
from bayes_meta_envs.scoring.guard import Guard
from bayes_meta_envs.task import task_of

BANDIT = task_of("MetaBandit-v0")
GAUSSIAN = task_of("MetaPredictGaussian-v0")


class Fixed:
    """An agent whose output is whatever it was given (state: one zero column)."""

    def __init__(self, out: np.ndarray) -> None:
        self.out = out

    def initial_state(self, batch_size: int) -> np.ndarray:
        return np.zeros((batch_size, 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        return state

    def output(self, state: np.ndarray) -> np.ndarray:
        return self.out


def _guard(out: np.ndarray, outputs: str, cursor: Cursor, task=BANDIT) -> Guard:
    guard = Guard(Fixed(out), "fixed", task, outputs, cursor)  # type: ignore[arg-type]
    guard.initial_state(out.shape[0])
    return guard


def test_a_row_fault_names_the_episode_and_step_of_the_cursor() -> None:
    cursor = Cursor(first=100, n=4, t=7)
    probs = np.full((4, 2), 0.5)
    probs[2] = [np.nan, 0.5]
    guard = _guard(probs, "probabilities", cursor)
    with pytest.raises(
        ScoringError,
        match=r"agent 'fixed' failed at episode 102, step 7: output\(\) returned non-finite "
        r"probabilities \[nan, 0\.5\]",
    ):
        guard.output(np.zeros((4, 1)))
    cursor.first, cursor.t = 200, 11  # the guard reads the cursor at the time of the fault
    with pytest.raises(ScoringError, match=r"failed at episode 202, step 11: "):
        guard.output(np.zeros((4, 1)))


def test_a_batch_fault_names_the_range_of_episodes() -> None:
    cursor = Cursor(first=40, n=3, t=2)
    guard = _guard(np.full((3, 3), 1 / 3), "probabilities", cursor)
    with pytest.raises(
        ScoringError,
        match=r"agent 'fixed' failed at one of episodes 40\.\.42, step 2: output\(\) returned "
        r"shape \(3, 3\), expected action probabilities of shape \(3, 2\)",
    ):
        guard.output(np.zeros((3, 1)))


def test_outputs_are_checked_for_their_kind() -> None:
    cursor = Cursor(first=0, n=3, t=0)
    actions = _guard(np.array([0, 1, 1]), "actions", cursor).output(np.zeros((3, 1)))
    assert actions.dtype == np.int64 and actions.tolist() == [0, 1, 1]
    for floats_or_bools in (np.array([0.0, 1.0, 1.0]), np.array([False, True, True])):
        with pytest.raises(ScoringError, match=r"returned actions of dtype (float64|bool)"):
            _guard(floats_or_bools, "actions", cursor).output(np.zeros((3, 1)))
    with pytest.raises(ScoringError, match=r"episode 2, step 0: returned the invalid action 2"):
        _guard(np.array([0, 1, 2]), "actions", cursor).output(np.zeros((3, 1)))
    ok = np.zeros((3, 2))
    np.testing.assert_array_equal(_guard(ok, "predictive", cursor, GAUSSIAN).output(ok), ok)
    bad = ok.copy()
    bad[1] = [np.inf, 0.0]
    with pytest.raises(ScoringError, match=r"episode 1, step 0: .*non-finite predictive"):
        _guard(bad, "predictive", cursor, GAUSSIAN).output(ok)


def test_guard_in_a_rollout_reports_where_the_agent_raised() -> None:
    class RaisesInSecondBatch(ThompsonAgent):
        """Raises at step 3 (the state's last column counts the pulls) of the second batch."""

        batches = 0

        def initial_state(self, batch_size: int) -> np.ndarray:
            self.batches += 1
            return super().initial_state(batch_size)

        def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
            out = super().update(state, obs)
            if self.batches == 2 and (out[:, -1] == 3).any():
                raise ValueError("step 3")
            return out

    cursor = Cursor()
    agent = RaisesInSecondBatch.for_env(BANDIT)
    guard = Guard(agent, "raises", BANDIT, "probabilities", cursor)
    with pytest.raises(
        ScoringError,
        match=r"agent 'raises' failed at episode 7, step 3: update\(\) raised ValueError: step 3",
    ):
        paired_rollout(guard, BANDIT, episodes=20, seed=0, batch_size=7, cursor=cursor)
    assert (cursor.first, cursor.n, cursor.t) == (7, 7, 3)


def test_guard_passes_a_valid_agent_through_unchanged() -> None:
    agent = bayes_agent(BANDIT)
    plain = paired_rollout(agent, BANDIT, episodes=300, seed=4, batch_size=128, record=5)
    cursor = Cursor()
    guarded = paired_rollout(
        Guard(agent, "bayes", BANDIT, "probabilities", cursor),
        BANDIT,
        episodes=300,
        seed=4,
        batch_size=128,
        record=5,
        cursor=cursor,
    )
    for name, values in plain.per_episode.items():
        np.testing.assert_array_equal(guarded.per_episode[name], values, err_msg=name)
    for name, values in plain.recorded.items():
        np.testing.assert_array_equal(guarded.recorded[name], values, err_msg=name)
    assert plain.per_episode["bayes_gap"].max() == 0.0
