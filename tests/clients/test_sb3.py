"""stable-baselines3 with the id strings, as its users start: ``PPO("MlpPolicy", id)``.

SB3 builds an env from an id with ``render_mode="rgb_array"`` (falling back only on TypeError),
so these tests fail if an env refuses that mode, as all five did before rendering was added.
"""

from __future__ import annotations

import warnings

import gymnasium as gym
import numpy as np
import pytest

pytest.importorskip("stable_baselines3", reason="needs the train extra")

from stable_baselines3 import A2C, PPO
from stable_baselines3.common.env_checker import check_env
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

import bayes_meta_envs

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]


@pytest.mark.parametrize("env_id", IDS)
def test_ppo_from_the_id_string(env_id: str) -> None:
    model = PPO("MlpPolicy", env_id, n_steps=16, batch_size=16, n_epochs=1, seed=0, device="cpu")
    env = model.get_env()
    assert env is not None
    assert env.render_mode == "rgb_array"
    model.learn(total_timesteps=16)
    mean, _ = evaluate_policy(model, env, n_eval_episodes=1)
    assert np.isfinite(mean)
    frame = env.render()
    assert frame is not None and frame.dtype == np.uint8


@pytest.mark.parametrize("env_id", IDS)
def test_make_vec_env_from_the_id_string(env_id: str) -> None:
    vec = make_vec_env(env_id, n_envs=2, seed=0)
    obs = vec.reset()
    assert obs.shape == (2, *vec.observation_space.shape)
    obs, reward, done, info = vec.step(np.array([vec.action_space.sample() for _ in range(2)]))
    assert reward.shape == (2,) and np.all(np.isfinite(reward))
    assert "task" in info[0]
    frame = vec.render()  # the tiled frames of both copies
    assert frame is not None and frame.ndim == 3
    vec.close()


def test_a2c_from_the_id_string() -> None:
    model = A2C("MlpPolicy", "MetaBandit-v0", n_steps=8, seed=0, device="cpu")
    model.learn(total_timesteps=16)
    action, _ = model.predict(np.zeros(3, dtype=np.float32), deterministic=True)
    assert int(action) in (0, 1)


@pytest.mark.parametrize("env_id", IDS)
def test_sb3_env_checker(env_id: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # advice on Box bounds and normalisation
        check_env(gym.make(env_id, render_mode="rgb_array").unwrapped, warn=True)
