"""Registration, gymnasium's checker, fresh-interpreter behaviour and the conformance kit."""

from __future__ import annotations

import subprocess
import sys
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import bayes_meta_envs
from bayes_meta_envs.testing import check_meta_env, check_vector_matches_single

IDS = [spec.id for spec in bayes_meta_envs.ENV_SPECS]

VARIANTS = {
    "MetaBandit-v0": [{}, {"n_arms": 3, "horizon": 5, "include_time": True}, {"n_arms": 1}],
    "MetaPredictBernoulli-v0": [{}, {"alpha": 0.5, "beta": 2.0, "include_time": True}],
    "MetaPredictCategorical-v0": [{}, {"n_categories": 5, "alpha": [1, 2, 3, 4, 5]}],
    "MetaPredictGaussian-v0": [{}, {"mu0": 3.0, "sigma0": 2.0, "sigma": 0.5, "horizon": 7}],
    "MetaPredictExponential-v0": [{}, {"a": 2.0, "b": 3.0, "include_time": True}],
}
CASES = [(env_id, kw) for env_id in IDS for kw in VARIANTS[env_id]]


def test_every_id_is_registered() -> None:
    assert set(IDS) == set(VARIANTS)
    for env_id in IDS:
        assert env_id in gym.registry


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_gymnasium_check_env(env_id: str, kwargs: dict) -> None:
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*infinity.*")
        warnings.filterwarnings("ignore", message=".*symmetric and normalized.*")
        check_env(gym.make(env_id, **kwargs).unwrapped, skip_render_check=True)
        env = gym.make(env_id, **kwargs)
        obs, _ = env.reset(seed=0)
        assert env.observation_space.contains(obs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_conformance_kit(env_id: str, kwargs: dict) -> None:
    check_meta_env(env_id, **kwargs)


@pytest.mark.parametrize(("env_id", "kwargs"), CASES)
def test_vector_matches_single_episode_by_episode(env_id: str, kwargs: dict) -> None:
    check_vector_matches_single(env_id, num_envs=3, rounds=2, **kwargs)


@pytest.mark.parametrize("env_id", IDS)
def test_make_vec_spaces_and_autoreset(env_id: str) -> None:
    vec = gym.make_vec(env_id, num_envs=5)  # the vector entry point is the default
    # the native vector twin, defined in the same module as the single env
    assert type(vec).__module__ == type(gym.make(env_id).unwrapped).__module__
    assert type(vec).__name__.endswith("VectorEnv")
    obs, info = vec.reset(seed=1)
    assert vec.observation_space.contains(obs)
    assert info["task"].shape[0] == 5
    horizon = vec.unwrapped.horizon
    for _ in range(horizon):
        obs, reward, term, trunc, info = vec.step(vec.action_space.sample())
        assert vec.observation_space.contains(obs)
        assert reward.shape == (5,) and not trunc.any()
    assert term.all()
    obs, reward, term, trunc, info = vec.step(vec.action_space.sample())
    assert not term.any() and np.all(reward == 0) and np.all(obs == 0)


def test_sync_vector_env_over_single_env_works() -> None:
    vec = gym.make_vec("MetaBandit-v0", num_envs=3, vectorization_mode="sync")
    obs, _ = vec.reset(seed=0)
    assert obs.shape == (3, 3)
    vec.step(np.array([0, 1, 0]))


def _fresh(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    ).stdout


def test_make_with_module_prefix_in_fresh_interpreter() -> None:
    out = _fresh(
        "import gymnasium as gym\n"
        "env = gym.make('bayes_meta_envs:MetaBandit-v0', n_arms=3)\n"
        "obs, info = env.reset(seed=0)\n"
        "print(obs.shape, info['task'].shape)\n"
    )
    assert out.strip() == "(4,) (3,)"


def test_import_pulls_in_neither_torch_nor_matplotlib() -> None:
    heavy = ("torch", "matplotlib", "stable_baselines3", "sb3_contrib", "sklearn", "ray")
    out = _fresh(
        "import sys\n"
        "import bayes_meta_envs, bayes_meta_envs.agents, bayes_meta_envs.testing\n"
        "import bayes_meta_envs.agents.lstm, bayes_meta_envs.agents.recurrent_ppo\n"
        "from bayes_meta_envs.agents.lstm import LSTMConfig\n"
        "import gymnasium as gym\n"
        "gym.make('MetaBandit-v0').reset(seed=0)\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))\n"
    )
    assert out.strip() == "[]"


def test_conformance_kit_catches_a_broken_env() -> None:
    class TaskDrifts(gym.Wrapper):
        def step(self, action):  # type: ignore[no-untyped-def]
            obs, r, term, trunc, info = self.env.step(action)
            info = dict(info, task=info["task"] + 0.01 * info["t"])
            return obs, r, term, trunc, info

    with pytest.raises(AssertionError, match="task changed inside the episode"):
        check_meta_env(TaskDrifts(gym.make("MetaBandit-v0")))


def test_observation_layout_helper() -> None:
    lay = bayes_meta_envs.observation_layout(gym.make("MetaPredictCategorical-v0"))
    assert (lay.features, lay.prev_action, lay.prev_reward, lay.time, lay.size) == (
        slice(0, 3),
        slice(3, 6),
        6,
        None,
        7,
    )
    lay = bayes_meta_envs.observation_layout(gym.make_vec("MetaBandit-v0", 2, include_time=True))
    assert (lay.prev_action, lay.prev_reward, lay.time, lay.size) == (slice(0, 2), 2, 3, 4)
    assert "previous reward" in lay.describe()
