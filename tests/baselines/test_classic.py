"""Tests of the classic baselines: Thompson, UCB1, greedy, random."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import betaln

from bayes_meta_envs.baselines.classic import (
    GreedyAgent,
    RandomAgent,
    ThompsonAgent,
    UCB1Agent,
    thompson_probabilities,
)
from bayes_meta_envs.protocol import BaseAgent

AGENTS = [ThompsonAgent, UCB1Agent, GreedyAgent, RandomAgent]


def _state(alphas: list[float], betas: list[float], t: float = 0.0) -> np.ndarray:
    return np.array([[*alphas, *betas, t]], dtype=float)


def _p_second_beats_first(a1: float, b1: float, a2: int, b2: float) -> float:
    """Closed form P(X2 > X1), X_i ~ Beta(a_i, b_i), integer a2 (Miller's formula)."""
    return sum(
        math.exp(betaln(a1 + i, b1 + b2) - math.log(b2 + i) - betaln(1 + i, b2) - betaln(a1, b1))
        for i in range(a2)
    )


# ----------------------------------------------------------------------------------------------
# Thompson probabilities
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a1", "b1", "a2", "b2"),
    [(1, 1, 1, 1), (2, 1, 1, 3), (30, 20, 25, 28), (300, 200, 250, 260), (1.5, 0.5, 3, 2),
     (0.5, 0.5, 1, 1), (5, 1, 1, 5), (7.3, 2.2, 4, 1.7)],
)  # fmt: skip
def test_thompson_two_arms_matches_closed_form(a1: float, b1: float, a2: int, b2: float) -> None:
    p = thompson_probabilities(np.array([[a1, a2]], float), np.array([[b1, b2]], float))[0]
    assert abs(p[1] - _p_second_beats_first(a1, b1, a2, b2)) < 1e-9
    assert abs(p.sum() - 1.0) < 1e-12


def test_thompson_matches_monte_carlo_for_several_arms() -> None:
    rng = np.random.default_rng(123)
    alphas = np.array([[1.0, 2.0, 3.0, 1.5], [4.0, 4.0, 1.0, 0.7], [10.0, 12.0, 9.0, 11.0]])
    betas = np.array([[1.0, 2.0, 5.0, 1.0], [2.0, 2.0, 1.0, 0.7], [10.0, 13.0, 8.0, 12.0]])
    probs = thompson_probabilities(alphas, betas)
    n = 200_000
    for row in range(alphas.shape[0]):
        draws = rng.beta(alphas[row], betas[row], size=(n, 4))
        freq = np.bincount(draws.argmax(axis=1), minlength=4) / n
        se = np.sqrt(probs[row] * (1 - probs[row]) / n)
        assert np.all(np.abs(freq - probs[row]) < 4.5 * se + 1e-12)


def test_thompson_symmetry_and_batching() -> None:
    alphas = np.array([[2.0, 2.0, 2.0], [1.0, 3.0, 1.0], [2.0, 2.0, 2.0]])
    betas = np.array([[5.0, 5.0, 5.0], [1.0, 1.0, 1.0], [5.0, 5.0, 5.0]])
    p = thompson_probabilities(alphas, betas)
    np.testing.assert_allclose(p[0], 1 / 3, atol=1e-12)
    np.testing.assert_allclose(p[2], p[0])
    assert p[1, 0] == pytest.approx(p[1, 2], abs=1e-12) and p[1, 1] > p[1, 0]
    one = thompson_probabilities(alphas[1:2], betas[1:2])
    np.testing.assert_allclose(one[0], p[1])
    assert thompson_probabilities(np.array([[3.0]]), np.array([[2.0]])).tolist() == [[1.0]]


def test_thompson_agent_output() -> None:
    agent = ThompsonAgent(n_arms=2)
    out = agent.output(_state([3, 1], [1, 3], 4))
    expect = _p_second_beats_first(1, 3, 3, 1)
    np.testing.assert_allclose(out, [[expect, 1 - expect]], atol=1e-9)


# ----------------------------------------------------------------------------------------------
# UCB1, greedy, random on handcrafted states
# ----------------------------------------------------------------------------------------------


def test_ucb1_unpulled_arms_first_with_ties_split() -> None:
    agent = UCB1Agent(n_arms=3, prior=(1.0, 1.0))
    np.testing.assert_allclose(agent.output(_state([1, 1, 1], [1, 1, 1])), [[1 / 3] * 3])
    # arm 0 pulled once (a success); arms 1 and 2 never pulled
    np.testing.assert_allclose(agent.output(_state([2, 1, 1], [1, 1, 1], 1)), [[0, 0.5, 0.5]])


def test_ucb1_index_by_hand_with_non_uniform_prior() -> None:
    agent = UCB1Agent(n_arms=2, prior=(2.0, 3.0))
    # arm 0: 3 successes, 1 failure; arm 1: 1 success, 0 failures; t = 5
    state = _state([2 + 3, 2 + 1], [3 + 1, 3 + 0], 5)
    i0 = 3 / 4 + math.sqrt(2 * math.log(5) / 4)
    i1 = 1 / 1 + math.sqrt(2 * math.log(5) / 1)
    assert i1 > i0
    np.testing.assert_allclose(agent.output(state), [[0.0, 1.0]])
    # arm 0: 30 successes of 30; arm 1: 0 of 3: the exploration bonus of arm 1 wins
    state = _state([2 + 30, 2 + 0], [3 + 0, 3 + 3], 33)
    assert 1 + math.sqrt(2 * math.log(33) / 30) < math.sqrt(2 * math.log(33) / 3)
    np.testing.assert_allclose(agent.output(state), [[0.0, 1.0]])
    # arm 0: 30 of 30; arm 1: 0 of 10: arm 0 wins
    state = _state([2 + 30, 2 + 0], [3 + 0, 3 + 10], 40)
    assert 1 + math.sqrt(2 * math.log(40) / 30) > math.sqrt(2 * math.log(40) / 10)
    np.testing.assert_allclose(agent.output(state), [[1.0, 0.0]])
    # equal counts tie
    np.testing.assert_allclose(agent.output(_state([4, 4], [5, 5], 4)), [[0.5, 0.5]])


def test_greedy_highest_posterior_mean_ties_split() -> None:
    agent = GreedyAgent(n_arms=3)
    np.testing.assert_allclose(agent.output(_state([1, 1, 1], [1, 1, 1])), [[1 / 3] * 3])
    np.testing.assert_allclose(agent.output(_state([2, 6, 3], [1, 3, 3])), [[0.5, 0.5, 0.0]])
    np.testing.assert_allclose(agent.output(_state([1, 11, 1], [1, 9, 2])), [[0.0, 1.0, 0.0]])


def test_random_uniform() -> None:
    agent = RandomAgent(n_arms=4)
    np.testing.assert_allclose(agent.output(np.zeros((3, 9))), np.full((3, 4), 0.25))


# ----------------------------------------------------------------------------------------------
# through BaseAgent.predict and for_env
# ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", AGENTS)
def test_predict_updates_state_and_is_seeded(cls: type) -> None:
    def run(seed: int) -> tuple[list[int], np.ndarray]:
        agent = cls(n_arms=2, horizon=10, seed=seed)
        assert isinstance(agent, BaseAgent)
        obs = np.zeros((5, 3))
        state = None
        acts = []
        rng = np.random.default_rng(0)  # the environment's rewards
        for _ in range(10):
            a, state = agent.predict(obs, state=state)
            acts += a.tolist()
            obs = np.zeros((5, 3))
            obs[np.arange(5), a] = 1.0
            obs[:, 2] = rng.random(5) < 0.5
        assert state is not None
        return acts, state

    acts, state = run(1)
    assert run(1)[0] == acts
    assert np.all(state[:, 4] == 9)
    np.testing.assert_allclose(state[:, :4].sum(axis=1), 4 + 9)


def test_predict_deterministic_greedy_and_episode_start() -> None:
    agent = GreedyAgent(n_arms=2, seed=0)
    obs = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])  # arm 0 paid, arm 1 paid
    state = agent.initial_state(2)
    actions, state = agent.predict(obs, state=state, deterministic=True)
    assert actions.tolist() == [0, 1]
    actions, state = agent.predict(
        np.zeros((2, 3)), state=state, episode_start=np.array([True, False]), deterministic=True
    )
    assert state[0].tolist() == [1, 1, 1, 1, 0] and actions.tolist() == [0, 1]


@pytest.mark.parametrize("cls", AGENTS)
def test_for_env_and_rollout(cls: type) -> None:
    import gymnasium as gym

    env = gym.make("MetaBandit-v0", n_arms=3, horizon=8, prior=(2.0, 1.0))
    agent = cls.for_env(env, seed=5)
    assert isinstance(agent, cls) and agent.n_arms == 3
    np.testing.assert_allclose(agent.prior, [[2.0, 1.0]] * 3)
    obs, _ = env.reset(seed=1)
    state = None
    for _ in range(8):
        action, state = agent.predict(obs, state=state)
        assert 0 <= int(action) < 3
        obs, _, term, _, _ = env.step(int(action))
        if term:
            break
    assert term
