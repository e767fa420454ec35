"""SB3 ``VecEnv`` s over this package's environments: the native adapter and a factory.

The package's native numpy vector envs are gymnasium ``VectorEnv`` objects, while SB3 wants its
own ``VecEnv``; :class:`NativeVecEnv` (built by :func:`wrap_native_vec_env`) adapts one to the
other. All sub-envs of a native env end their episodes together, so at the done step it stores
the terminal observation in ``infos[i]["terminal_observation"]``, resets, and returns the first
observation of the next episode, as SB3 expects. :func:`make_sb3_vec_env` builds either that
adapter (``"native"``) or SB3's ``DummyVecEnv`` over single envs (``"dummy"``);
``benchmarks/training_throughput.py`` measures both.

Needs stable-baselines3 (the ``train`` extra), imported at the top of this module; the package
``bayes_meta_envs.agents.recurrent_ppo`` reaches it lazily.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from stable_baselines3.common.monitor import Monitor
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv
from stable_baselines3.common.vec_env.base_vec_env import VecEnvIndices, VecEnvStepReturn

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import check_int, check_mapping, check_seed
from bayes_meta_envs.agents.recurrent_ppo.config import VECTORIZATIONS, Vectorization
from bayes_meta_envs.envs import MetaVectorEnv, register_envs
from bayes_meta_envs.errors import UnknownEnvironmentError, invalid, wrong_type

__all__ = ["NativeVecEnv", "make_sb3_vec_env", "reseed_vec_env", "wrap_native_vec_env"]


class NativeVecEnv(VecEnv):
    """SB3 ``VecEnv`` over one of this package's native (numpy) gymnasium vector envs.

    All sub-envs of a native env share one horizon and end together. At the done step it
    reports ``done=True``, the terminal observation in ``infos[i]["terminal_observation"]``,
    the episode's return and length in ``infos[i]["episode"]`` (as SB3's Monitor does), and
    returns the first observation of the next episode (it calls ``reset()`` without a seed,
    which continues the env's generators). ``seed(s)`` seeds the next reset with ``s``: the
    native env derives every sub-env's stream from one seed (no ``seed + i``).
    """

    def __init__(self, venv: Any) -> None:
        # the package's native vector env, maybe in gymnasium's vector wrappers (a user boundary)
        if not isinstance(getattr(venv, "unwrapped", venv), MetaVectorEnv):
            raise UnknownEnvironmentError(
                f"venv must be a bayes_meta_envs native vector env, got {venv!r}"
            )
        self.venv = venv
        super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
        self._actions: np.ndarray = np.zeros(self.num_envs, dtype=np.int64)
        self._returns = np.zeros(self.num_envs)
        self._lengths = np.zeros(self.num_envs, dtype=np.int64)
        self._t0 = time.perf_counter()
        self._discrete = isinstance(venv.single_action_space, spaces.Discrete)

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        self._seeds = [seed] * self.num_envs
        return list(self._seeds)

    def reset(self) -> np.ndarray:
        obs, _ = self.venv.reset(seed=self._seeds[0])
        self._reset_seeds()
        self._reset_options()
        self._returns[:] = 0.0
        self._lengths[:] = 0
        return np.asarray(obs)

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions)

    def step_wait(self) -> VecEnvStepReturn:
        actions = self._actions
        if self._discrete:
            actions = actions.reshape(self.num_envs).astype(np.int64, copy=False)
        obs, reward, terminated, truncated, _ = self.venv.step(actions)
        dones = np.logical_or(terminated, truncated)
        self._returns += reward
        self._lengths += 1
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if dones.any():
            if not dones.all():
                raise UnknownEnvironmentError(
                    "NativeVecEnv needs sub-envs that end their episodes together, got "
                    f"dones={dones!r}"
                )
            elapsed = round(time.perf_counter() - self._t0, 6)
            for i, info in enumerate(infos):
                info["terminal_observation"] = obs[i]
                info["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
                info["episode"] = {
                    "r": float(self._returns[i]),
                    "l": int(self._lengths[i]),
                    "t": elapsed,
                }
            obs, _ = self.venv.reset()
            self._returns[:] = 0.0
            self._lengths[:] = 0
        return (
            np.asarray(obs),
            np.asarray(reward, dtype=np.float32),
            dones,
            infos,
        )

    def close(self) -> None:
        self.venv.close()

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        return [getattr(self.venv, attr_name) for _ in self._get_indices(indices)]

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        setattr(self.venv, attr_name, value)

    def env_method(
        self,
        method_name: str,
        *method_args: Any,
        indices: VecEnvIndices = None,
        **method_kwargs: Any,
    ) -> list[Any]:
        result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
        return [result for _ in self._get_indices(indices)]

    def env_is_wrapped(
        self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None
    ) -> list[bool]:
        return [False for _ in self._get_indices(indices)]


def wrap_native_vec_env(venv: Any) -> NativeVecEnv:
    """SB3 ``VecEnv`` over a native vector env (``gym.make_vec(..., "vector_entry_point")``).

    Returns a :class:`NativeVecEnv`; its docstring describes the autoreset handling.
    """
    return NativeVecEnv(venv)


def reseed_vec_env(env: VecEnv, seed: int) -> np.ndarray:
    """Put ``env`` (from :func:`make_sb3_vec_env`) in the state a fresh ``make_sb3_vec_env(...,
    seed)`` reaches after SB3's first ``reset()``; return that first observation."""
    if isinstance(env, NativeVecEnv):
        env.seed(seed)
        return np.asarray(env.reset())
    seeds = _spawn_seeds(seed, env.num_envs)
    env._seeds = list(seeds)  # what make_sb3_vec_env's Monitor-wrapped envs were reset with
    env.reset()
    return np.asarray(env.reset())


def _spawn_seeds(seed: int, n: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def _monitored_env(env_id: str, kwargs: dict[str, Any], seed: int) -> Monitor:
    """A ``Monitor``-wrapped single env, reset once with ``seed`` (a DummyVecEnv factory)."""
    env = Monitor(gym.make(env_id, **kwargs))
    env.reset(seed=seed)
    return env


def make_sb3_vec_env(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    num_envs: int = 8,
    seed: int = 0,
    vectorization: Vectorization = "native",
) -> VecEnv:
    """An SB3 ``VecEnv`` of ``num_envs`` copies of ``env_id``, seeded with ``seed``.

    ``"native"``: :func:`wrap_native_vec_env` over ``gym.make_vec(env_id, num_envs,
    vectorization_mode="vector_entry_point")`` (one seed for the batch). ``"dummy"``: SB3's
    ``DummyVecEnv`` over ``Monitor``-wrapped single envs, sub-env ``i`` seeded with the ``i``-th
    child of ``SeedSequence(seed)``.
    """
    if not isinstance(env_id, str):
        raise wrong_type("env_id", env_id, "a registered environment id")
    kwargs = check_mapping("env_kwargs", env_kwargs)
    num_envs = check_int("num_envs", num_envs, 1)
    seed = int(check_seed("seed", seed) or 0)
    if not isinstance(vectorization, str) or vectorization not in VECTORIZATIONS:
        raise invalid("vectorization", vectorization, " or ".join(map(repr, VECTORIZATIONS)))
    # the dummy path builds one Python env (and Monitor) per copy before any array
    check_memory(nbytes(num_envs, 16384, itemsize=1), "the single envs", num_envs=num_envs)
    register_envs()
    if vectorization == "native":
        try:
            venv = gym.make_vec(
                env_id, num_envs=num_envs, vectorization_mode="vector_entry_point", **kwargs
            )
        except gym.error.Error as exc:
            raise UnknownEnvironmentError(
                f"env_id {env_id!r} has no native vector env: {exc}"
            ) from exc
        sb3_env = wrap_native_vec_env(venv)
        sb3_env.seed(seed)
        return sb3_env
    seeds = _spawn_seeds(seed, num_envs)  # "dummy"
    return DummyVecEnv([functools.partial(_monitored_env, env_id, kwargs, s) for s in seeds])
