"""Every way an agent can misbehave gives a ScoringError naming the agent, episode and step."""

from __future__ import annotations

import numpy as np
import pytest

from bayes_meta_envs.baselines.classic import RandomAgent, ThompsonAgent
from bayes_meta_envs.errors import (
    InvalidArgumentError,
    InvalidArgumentTypeError,
    ScoringError,
    UnknownEnvironmentError,
)
from bayes_meta_envs.scoring import score

ENV = "MetaBandit-v0"


class Faulty(RandomAgent):
    """Random play, except at one (episode, step) where ``fault`` happens."""

    def __init__(self, fault: str, episode: int = 13, step: int = 4) -> None:
        super().__init__(2, 20, (1.0, 1.0))
        self.fault, self.episode, self.step = fault, episode, step

    @property
    def name(self) -> str:
        return "faulty"

    def __repr__(self) -> str:
        return "Faulty()"

    def initial_state(self, batch_size: int) -> np.ndarray:
        # carry the row's global index in an extra column, to fail at one episode only
        s = super().initial_state(batch_size)
        ids = np.arange(batch_size)[:, None] + self._first
        self._first += batch_size
        return np.concatenate([s, ids], axis=1)

    _first = 0

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        out = super().update(state[:, :-1], obs)
        return np.concatenate([out, state[:, -1:]], axis=1)

    def output(self, state: np.ndarray) -> np.ndarray:
        probs = super().output(state[:, :-1])
        hit = (state[:, -1] == self.episode) & (state[:, -2] == self.step)
        if self.fault == "raise" and hit.any():
            raise ValueError("boom")
        if self.fault == "nan":
            probs[hit] = np.nan
        if self.fault == "sum":
            probs[hit] = [0.7, 0.7]
        if self.fault == "negative":
            probs[hit] = [1.5, -0.5]
        if self.fault == "shape" and hit.any():
            return probs[:, :1]
        return probs


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        ("raise", r"output\(\) raised ValueError: boom"),
        ("nan", r"non-finite probabilities \[nan, nan\]"),
        ("sum", r"probabilities \[0\.7, 0\.7\] that sum to 1\.4"),
        ("negative", r"negative probabilities \[1\.5, -0\.5\]"),
    ],
)
def test_bad_outputs_name_agent_episode_and_step(fault: str, message: str) -> None:
    with pytest.raises(ScoringError, match=r"agent 'Faulty\(\)' failed at episode 13, step 4: "):
        score(Faulty(fault), ENV, episodes=40, seed=0, batch_size=16)
    with pytest.raises(ScoringError, match=message):
        score(Faulty(fault), ENV, episodes=40, seed=0, batch_size=16)


def test_wrong_output_shape() -> None:
    with pytest.raises(
        ScoringError,
        match=r"agent 'Faulty\(\)' failed at one of episodes 0\.\.15, step 4: output\(\) "
        r"returned shape \(16, 1\), expected action probabilities of shape \(16, 2\)",
    ):
        score(Faulty("shape"), ENV, episodes=40, seed=0, batch_size=16)


def test_wrong_state_shape() -> None:
    class BadState(ThompsonAgent):
        def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
            return super().update(state, obs)[0]

    with pytest.raises(
        ScoringError, match=r"agent 'bad' failed at .* step 0: update\(\) returned a state of shape"
    ):
        score(BadState(), ENV, episodes=5, seed=0, agent_name="bad")


def test_callable_invalid_actions() -> None:
    def five(obs: np.ndarray) -> np.ndarray:
        return np.full(obs.shape[0], 5)

    with pytest.raises(
        ScoringError,
        match=r"agent 'five' failed at episode 0, step 0: returned the invalid action 5: "
        r"actions are ints in \[0, 2\)",
    ):
        score(five, ENV, episodes=5, seed=0, agent_name="five")

    def halves(obs: np.ndarray) -> np.ndarray:
        return np.full(obs.shape[0], 0.5)

    with pytest.raises(ScoringError, match=r"actions of dtype float64 \(\[0\.5, 0\.5"):
        score(halves, ENV, episodes=5, seed=0)

    def flat(obs: np.ndarray) -> np.ndarray:
        return np.zeros((obs.shape[0], 1), dtype=int)

    with pytest.raises(ScoringError, match=r"returned actions of shape \(5, 1\), expected \(5,\)"):
        score(flat, ENV, episodes=5, seed=0)


def test_callable_raising_is_located_to_its_episode() -> None:
    def picky(obs: np.ndarray) -> np.ndarray:
        if (obs[:, 2] > 0.5).any():
            raise RuntimeError("no rewards please")
        return np.zeros(obs.shape[0], dtype=int)

    with pytest.raises(
        ScoringError,
        match=r"agent 'from_callable\(picky\)' failed at episode \d+, step \d+: output\(\) "
        r"raised RuntimeError: no rewards please",
    ):
        score(picky, ENV, episodes=50, seed=0)


def test_prediction_invalid_and_nan_predictions() -> None:
    env = "MetaPredictGaussian-v0"

    def huge(obs: np.ndarray) -> np.ndarray:
        return np.tile([1e6, 0.0], (obs.shape[0], 1))

    with pytest.raises(
        ScoringError,
        match=r"agent 'from_callable\(huge\)' failed at episode 0, step 0: .*invalid action "
        r"\[1000000\.0, 0\.0\]: the bounds are",
    ):
        score(huge, env, episodes=3, seed=0)

    def nan(obs: np.ndarray) -> np.ndarray:
        return np.full((obs.shape[0], 2), np.nan)

    with pytest.raises(ScoringError, match=r"non-finite predictive parameters \[nan, nan\]"):
        score(nan, env, episodes=3, seed=0)

    def wrong(obs: np.ndarray) -> np.ndarray:
        return np.zeros((obs.shape[0], 3))

    with pytest.raises(
        ScoringError,
        match=r"expected predictive parameters \(mean, log std\) of "
        r"shape \(3, 2\)",
    ):
        score(wrong, env, episodes=3, seed=0)


def test_bad_arguments() -> None:
    agent = RandomAgent()
    with pytest.raises(InvalidArgumentError, match=r"episodes must be an int >= 1, got 0"):
        score(agent, ENV, episodes=0, seed=0)
    with pytest.raises(InvalidArgumentTypeError, match=r"seed must be an int >= 0, got None"):
        score(agent, ENV, episodes=1, seed=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgumentError, match=r"record_traces must be a bool or an int"):
        score(agent, ENV, episodes=1, seed=0, record_traces=-1)
    with pytest.raises(InvalidArgumentError, match=r"batch_size must be an int >= 1, got 0"):
        score(agent, ENV, episodes=1, seed=0, batch_size=0)
    with pytest.raises(
        UnknownEnvironmentError, match=r"'Nope-v0' is not an environment of bayes_meta_envs"
    ):
        score(agent, "Nope-v0", episodes=1, seed=0)
    with pytest.raises(InvalidArgumentTypeError, match=r"agent must be an Agent"):
        score(42, ENV, episodes=1, seed=0)
    with pytest.raises(
        InvalidArgumentError,
        match=r"agent 'RandomAgent\(n_arms=2, horizon=20\)' is a bandit agent, but env "
        r"'MetaPredictBernoulli-v0' is a prediction environment",
    ):
        score(agent, "MetaPredictBernoulli-v0", episodes=1, seed=0)
