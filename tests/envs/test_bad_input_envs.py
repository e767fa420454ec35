"""Bad input to the environments, and the property that every action inside the declared action
space gives finite rewards and observations that stay finite when squared (issue 9)."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import bayes_meta_envs  # noqa: F401  (registers the environments)
from bayes_meta_envs.envs.prediction import REWARD_FLOOR
from bayes_meta_envs.errors import (
    InvalidActionError,
    InvalidArgumentError,
    InvalidArgumentTypeError,
)

BAD_KWARGS = [
    ("MetaPredictGaussian-v0", {"sigma0": 1e-200}, InvalidArgumentError, "1e-200"),
    ("MetaPredictGaussian-v0", {"mu0": 1e300}, InvalidArgumentError, "1e+300"),
    ("MetaPredictBernoulli-v0", {"alpha": 1e-14}, InvalidArgumentError, "1e-14"),
    ("MetaPredictBernoulli-v0", {"alpha": True}, InvalidArgumentTypeError, "True"),
    ("MetaPredictExponential-v0", {"b": 1e-14}, InvalidArgumentError, "1e-14"),
    ("MetaPredictCategorical-v0", {"alpha": "1"}, InvalidArgumentTypeError, "'1'"),
    ("MetaPredictCategorical-v0", {"alpha": 1 + 1j}, InvalidArgumentTypeError, "1j"),
    ("MetaBandit-v0", {"prior": (True, True)}, InvalidArgumentTypeError, "True"),
    ("MetaBandit-v0", {"prior": ("1", "1")}, InvalidArgumentTypeError, "'1'"),
]


@pytest.mark.parametrize(("env_id", "kwargs", "error", "shown"), BAD_KWARGS)
def test_bad_constructor_values_are_refused(env_id, kwargs, error, shown):
    with pytest.raises(error, match=re.escape(shown)):
        gym.make(env_id, **kwargs)


@pytest.mark.parametrize(
    "action", [[1 + 2j], [True], ["0.5"], np.array([0.5], dtype=complex)], ids=repr
)
def test_prediction_step_does_not_coerce(action):
    env = gym.make("MetaPredictBernoulli-v0")
    env.reset(seed=0)
    with pytest.raises(InvalidActionError, match="real"):
        env.step(action)


@pytest.mark.parametrize("task", [[True], ["0.5"], [0.5 + 0j]], ids=repr)
def test_reset_task_is_not_coerced(task):
    env = gym.make("MetaPredictBernoulli-v0")
    with pytest.raises(InvalidArgumentTypeError, match=r"options\['task'\]"):
        env.reset(seed=0, options={"task": task})


ENV_IDS = [
    "MetaBandit-v0",
    "MetaPredictBernoulli-v0",
    "MetaPredictCategorical-v0",
    "MetaPredictGaussian-v0",
    "MetaPredictExponential-v0",
]
F32_MAX = float(np.finfo(np.float32).max)


@pytest.mark.parametrize("env_id", ENV_IDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**31 - 1))
def test_random_actions_give_finite_rewards_and_observations(env_id, seed):
    env = gym.make(env_id)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    for _ in range(env.unwrapped.horizon):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert np.isfinite(reward) and reward >= REWARD_FLOOR
        # what a wrapper such as NormalizeObservation computes, in the observation's float32
        assert np.all(np.isfinite(np.square(obs.astype(np.float32))))
        assert float(reward) ** 2 < F32_MAX
        if terminated or truncated:
            break


@pytest.mark.parametrize("env_id", ENV_IDS)
@pytest.mark.parametrize("corner", ["low", "high"])
def test_corner_actions_give_finite_rewards(env_id, corner):
    env = gym.make(env_id)
    env.reset(seed=1)
    space = env.action_space
    if isinstance(space, gym.spaces.Box):
        action = space.low if corner == "low" else space.high
    else:
        action = 0 if corner == "low" else space.n - 1
    for _ in range(env.unwrapped.horizon):
        obs, reward, *_ = env.step(action)
        assert np.isfinite(reward) and float(reward) ** 2 < F32_MAX
        assert np.all(np.isfinite(np.square(obs.astype(np.float32))))


def test_normalize_observation_stays_finite_under_random_gaussian_actions():
    env = gym.wrappers.NormalizeObservation(gym.make("MetaPredictGaussian-v0"))
    env.reset(seed=0)
    env.action_space.seed(0)
    for _ in range(200):
        obs, reward, terminated, truncated, _ = env.step(env.action_space.sample())
        assert np.all(np.isfinite(obs)) and np.isfinite(reward)
        if terminated or truncated:
            env.reset()
