"""Seeding, explicit tasks, common random numbers and termination."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

import bayes_meta_envs

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


def _episode(env: gym.Env, seed: int | None, actions: list) -> tuple[np.ndarray, list, list]:
    obs, info = env.reset(seed=seed)
    observations, rewards = [obs], []
    for a in actions:
        obs, r, *_ = env.step(a)
        observations.append(obs)
        rewards.append(r)
    return info["task"], observations, rewards


def _actions(env: gym.Env, seed: int) -> list:
    env.action_space.seed(seed)
    return [env.action_space.sample() for _ in range(env.unwrapped.horizon)]


@pytest.mark.parametrize("env_id", IDS)
def test_same_seed_same_episodes_different_seed_different_tasks(env_id: str) -> None:
    env = gym.make(env_id)
    acts = _actions(env, 0)
    a = [_episode(env, 11 if i == 0 else None, acts) for i in range(3)]
    b = [_episode(env, 11 if i == 0 else None, acts) for i in range(3)]
    for (ta, oa, ra), (tb, ob, rb) in zip(a, b):
        np.testing.assert_array_equal(ta, tb)
        np.testing.assert_array_equal(np.array(oa), np.array(ob))
        assert ra == rb
    c = [_episode(env, 12 if i == 0 else None, acts) for i in range(3)]
    assert not any(np.array_equal(x[0], y[0]) for x, y in zip(a, c))


def test_task_and_noise_streams_are_independent() -> None:
    """Setting the task explicitly does not shift the noise stream."""
    env = gym.make("MetaBandit-v0", n_arms=2).unwrapped
    task, _, sampled = _episode(env, 3, [0] * 20)
    env.reset(seed=3, options={"task": task})
    explicit = [env.step(0)[1] for _ in range(20)]
    assert sampled == explicit
    # same uniforms: a better arm pays whenever a worse one does
    env.reset(seed=3, options={"task": [0.3, 0.3]})
    low = [env.step(0)[1] for _ in range(20)]
    env.reset(seed=3, options={"task": [0.8, 0.3]})
    high = [env.step(0)[1] for _ in range(20)]
    assert all(h >= lo for h, lo in zip(high, low)) and sum(high) > sum(low)


def test_common_random_numbers_across_agents() -> None:
    """Two agents on the same seed face the same task and the same uniforms."""
    env = gym.make("MetaBandit-v0", n_arms=2)
    t1, _, r_always0 = _episode(env, 5, [0] * 20)
    t2, _, r_alternate = _episode(env, 5, [t % 2 for t in range(20)])
    np.testing.assert_array_equal(t1, t2)
    # on the steps where both pulled arm 0 they got the same reward
    assert all(r_always0[t] == r_alternate[t] for t in range(0, 20, 2))


@pytest.mark.parametrize("env_id", IDS)
def test_explicit_task_option_and_info(env_id: str) -> None:
    env = gym.make(env_id)
    _, info = env.reset(seed=0)
    task = info["task"]
    _, info2 = env.reset(options={"task": task})
    np.testing.assert_array_equal(info2["task"], task)


def test_termination_at_horizon_and_reset_needed() -> None:
    env = gym.make("MetaBandit-v0", horizon=3)
    env.reset(seed=0)
    flags = [env.step(0)[2:4] for _ in range(3)]
    assert flags == [(False, False), (False, False), (True, False)]
    with pytest.raises(gym.error.ResetNeeded):
        env.unwrapped.step(0)


def test_vector_env_rejects_per_env_seeds_and_partial_resets() -> None:
    vec = gym.make_vec("MetaBandit-v0", num_envs=2)
    with pytest.raises(ValueError, match="seed"):
        vec.reset(seed=[1, 2])
    with pytest.raises(ValueError, match="reset_mask"):
        vec.reset(seed=1, options={"reset_mask": np.array([True, False])})


def test_seeded_reset_does_not_touch_global_random_state() -> None:
    state = np.random.get_state()[1].copy()
    env = gym.make("MetaPredictGaussian-v0")
    env.reset(seed=0)
    env.step(np.zeros(2, np.float32))
    np.testing.assert_array_equal(np.random.get_state()[1], state)
