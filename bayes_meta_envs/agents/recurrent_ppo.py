"""The sb3-contrib RecurrentPPO recipe: the reference meta-learner a user would reach for.

:func:`train` meta-trains sb3-contrib's ``RecurrentPPO`` (PPO, Schulman et al. 2017, with an LSTM
policy; sb3-contrib's implementation) on any registered environment, for a fixed number of
environment steps or a wall-clock budget, and writes a folder::

    OUT/config.json         {"algo": "recurrent-ppo", "env_id", "env_kwargs", "config", "training"}
    OUT/model.safetensors   the policy's state_dict (tensors only)
    OUT/optimizer.pt        Adam's state (tensors and numbers; read with ``weights_only=True``)
    OUT/train_log.csv       per rollout: steps, wall-clock and process CPU seconds (of this
                            session), mean episode return

Nothing is ever unpickled: SB3's own ``model.save()`` zip stores some entries with cloudpickle,
so this module saves the policy's ``state_dict`` with safetensors and the hyperparameters as
JSON, and :func:`load_model` rebuilds ``RecurrentPPO(policy, env, **hyperparameters)`` and loads
the tensors into it.

Loading:

* :func:`load_model` returns the SB3 ``RecurrentPPO`` model itself (use it with SB3 tooling);
* :func:`load_agent` returns it wrapped by :func:`bayes_meta_envs.agents.adapters.from_sb3`, i.e.
  an object that follows the package's Agent protocol (what ``bayes-meta score`` and the zoo's
  ``load`` use).

Vectorisation: the package's native numpy vector envs are gymnasium ``VectorEnv`` objects, while
SB3 wants its own ``VecEnv``; :func:`wrap_native_vec_env` adapts one to the other (all sub-envs of a
native env end their episodes together, so at the done step it stores the terminal observation
in ``infos[i]["terminal_observation"]``, resets, and returns the first observation of the next
episode, as SB3 expects). ``RecurrentPPOConfig.vectorization="dummy"`` uses SB3's
``DummyVecEnv`` over single envs instead; ``benchmarks/training_throughput.py`` measures both.

Global random state: SB3 draws from the global generators (torch for weight initialisation and
action sampling, numpy's legacy global generator for minibatch splits). :func:`train` and
:func:`load_model` seed them from ``seed`` inside and restore the caller's state on exit, so they
leave global random state as they found it.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import io
import json
import logging
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from bayes_meta_envs._io import atomic_write, atomic_write_text
from bayes_meta_envs.errors import (
    CheckpointError,
    InvalidArgumentError,
    UnknownEnvironmentError,
    invalid,
    require,
    wrong_type,
)

__all__ = [
    "ALGO",
    "RecurrentPPOConfig",
    "load_agent",
    "load_model",
    "make_sb3_vec_env",
    "train",
    "wrap_native_vec_env",
]

logger = logging.getLogger(__name__)

ALGO = "recurrent-ppo"
"""The ``"algo"`` field of the folders this module writes."""

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
WEIGHTS_FILE = "model.safetensors"
OPTIMIZER_FILE = "optimizer.pt"
LOG_FILE = "train_log.csv"

Vectorization = Literal["native", "dummy"]
LrSchedule = Literal["constant", "linear"]


@dataclass(frozen=True)
class RecurrentPPOConfig:
    """Hyperparameters of the RecurrentPPO recipe (all JSON-serialisable).

    Where the defaults come from:

    * rl-baselines3-zoo's ``ppo_lstm`` settings for memory tasks (CartPoleNoVel-v1):
      ``learning_rate`` 1e-3 with a linear decay, ``clip_range`` 0.2, ``max_grad_norm`` 0.5,
      ``ortho_init`` off.
    * The meta-RL setting of Mikulik et al. (2020) and the package's LSTM meta-learner
      (:class:`bayes_meta_envs.agents.lstm.LSTMConfig`): the undiscounted return of a 20-step
      episode is the objective, so ``gamma = 1``; the network has the same size as the LSTM
      meta-learner's: a linear embedding (``embed_size`` 64) of ``[previous action | previous
      reward]``, one LSTM (``lstm_hidden_size`` 128) shared by linear policy and value heads
      (``net_arch=[]``, ``shared_lstm=True``); the entropy bonus decays linearly to
      ``ent_coef_final`` as the LSTM trainer's does.
    * Measurements here (2-core CPU shared with other jobs, so only large effects count): the
      time goes into sb3-contrib's update, which steps the LSTM one time step at a time in Python
      whenever a sequence holds an episode start, so its cost grows with the number of
      minibatches, not their size. Hence many sub-envs (``n_envs=128``), rollouts of exactly one
      episode per sub-env (``n_steps`` = horizon = 20: no rollout cuts an episode), 4 epochs of
      2 large minibatches (``batch_size=1280``): 1.5k-8k steps/s across runs with 128-256
      sub-envs and 20-step rollouts, against 0.7k with 64 sub-envs, 40-step rollouts and 2,560-step
      minibatches. The native vector env collected rollouts 2-4x faster than ``DummyVecEnv``.
      Learning quality was not tuned (no budget for sweeps on this machine): ``gae_lambda=0.9``
      lies in rl-zoo's range (0.8-0.98), ``ent_coef=0.01`` is a common PPO default.

    ``vectorization``: ``"native"`` (the package's numpy vector env through :func:`wrap_native_vec_env`)
    or ``"dummy"`` (SB3's DummyVecEnv over single envs). ``lr_schedule``: ``"constant"`` or
    ``"linear"`` (decays to 0 over the wall-clock budget when one is given, else over
    ``total_timesteps``). ``total_timesteps`` caps training when a budget is also given.
    """

    n_envs: int = 128
    n_steps: int = 20
    batch_size: int = 1280
    n_epochs: int = 4
    learning_rate: float = 1e-3
    lr_schedule: LrSchedule = "linear"
    gamma: float = 1.0
    gae_lambda: float = 0.9
    clip_range: float = 0.2
    ent_coef: float = 0.01
    ent_coef_final: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    normalize_advantage: bool = True
    lstm_hidden_size: int = 128
    embed_size: int = 64
    ortho_init: bool = False
    total_timesteps: int = 50_000_000
    vectorization: Vectorization = "native"

    def __post_init__(self) -> None:
        for name in (
            "n_envs",
            "n_steps",
            "batch_size",
            "n_epochs",
            "lstm_hidden_size",
            "embed_size",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise wrong_type(name, value, "an int >= 1")
            if value < 1:
                raise invalid(name, value, "an int >= 1")
        if isinstance(self.total_timesteps, bool) or not isinstance(self.total_timesteps, int):
            raise wrong_type("total_timesteps", self.total_timesteps, "an int >= 1")
        if self.total_timesteps < 1:
            raise invalid("total_timesteps", self.total_timesteps, "an int >= 1")
        if self.n_envs * self.n_steps < 2:
            raise invalid("n_envs * n_steps", self.n_envs * self.n_steps, "at least 2")
        positive = ("learning_rate", "clip_range")
        nonneg = ("ent_coef", "ent_coef_final", "vf_coef", "max_grad_norm")
        unit = ("gamma", "gae_lambda")
        for name in positive + nonneg + unit:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
                raise wrong_type(name, value, "a float")
            if not math.isfinite(value):
                raise invalid(name, value, "a finite float")
        for name in positive:
            if getattr(self, name) <= 0:
                raise invalid(name, getattr(self, name), "a float > 0")
        for name in nonneg:
            if getattr(self, name) < 0:
                raise invalid(name, getattr(self, name), "a float >= 0")
        for name in unit:
            if not 0 <= getattr(self, name) <= 1:
                raise invalid(name, getattr(self, name), "a float in [0, 1]")
        for name in ("normalize_advantage", "ortho_init"):
            if not isinstance(getattr(self, name), bool):
                raise wrong_type(name, getattr(self, name), "a bool")
        if self.lr_schedule not in ("constant", "linear"):
            raise invalid("lr_schedule", self.lr_schedule, "'constant' or 'linear'")
        if self.vectorization not in ("native", "dummy"):
            raise invalid("vectorization", self.vectorization, "'native' or 'dummy'")

    def to_dict(self) -> dict[str, Any]:
        """The fields as a JSON-serialisable dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: Any) -> RecurrentPPOConfig:
        """Build a config from a dict; unknown keys raise :class:`InvalidArgumentError`."""
        if not isinstance(data, dict):
            raise wrong_type("config", data, "a dict of RecurrentPPOConfig fields")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InvalidArgumentError(
                f"config has unknown keys {unknown}; the RecurrentPPOConfig fields are "
                f"{sorted(known)}"
            )
        return cls(**data)

    def to_json(self, path: str | Path | None = None) -> str:
        """The config as JSON text; also written to ``path`` when given."""
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            atomic_write_text(path, text)
        return text

    @classmethod
    def from_json(cls, path_or_text: str | Path) -> RecurrentPPOConfig:
        """Read a config from a JSON file (or JSON text starting with ``{``).

        A file that holds a whole saved-agent ``config.json`` is accepted too: its ``"config"``
        entry is read.
        """
        text = str(path_or_text)
        if not text.lstrip().startswith("{"):
            path = Path(path_or_text)
            if not path.is_file():
                raise invalid("config", str(path), "a JSON file that exists")
            text = path.read_text()
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise invalid("config", str(path_or_text), f"valid JSON ({exc})") from exc
        if isinstance(data, dict) and "config" in data and "algo" in data:
            data = data["config"]
        return cls.from_dict(data)


# ---------------------------------------------------------------------------------------------
# vectorisation


def _vec_env_base() -> type:
    vec_env = require("stable_baselines3.common.vec_env", "train")
    base: type = vec_env.VecEnv
    return base


def _native_vec_env_class() -> type:
    """Build :class:`NativeVecEnv` on first use (SB3 is imported lazily)."""
    global _NATIVE_VEC_ENV
    if _NATIVE_VEC_ENV is not None:
        return _NATIVE_VEC_ENV
    base = _vec_env_base()

    class _NativeVecEnv(base):  # type: ignore[misc, valid-type]
        """SB3 ``VecEnv`` over one of this package's native (numpy) gymnasium vector envs.

        All sub-envs of a native env share one horizon and end together. At the done step it
        reports ``done=True``, the terminal observation in ``infos[i]["terminal_observation"]``,
        the episode's return and length in ``infos[i]["episode"]`` (as SB3's Monitor does), and
        returns the first observation of the next episode (it calls ``reset()`` without a seed,
        which continues the env's generators). ``seed(s)`` seeds the next reset with ``s``: the
        native env derives every sub-env's stream from one seed (no ``seed + i``).
        """

        def __init__(self, venv: Any) -> None:
            if getattr(venv, "kind", None) not in ("bandit", "prediction") or not hasattr(
                venv, "single_observation_space"
            ):
                raise UnknownEnvironmentError(
                    f"venv must be a bayes_meta_envs native vector env, got {venv!r}"
                )
            self.venv = venv
            super().__init__(venv.num_envs, venv.single_observation_space, venv.single_action_space)
            self._actions: np.ndarray = np.zeros(self.num_envs, dtype=np.int64)
            self._returns = np.zeros(self.num_envs)
            self._lengths = np.zeros(self.num_envs, dtype=np.int64)
            self._t0 = time.perf_counter()
            self._discrete = venv.kind == "bandit"

        def seed(self, seed: int | None = None) -> list[int | None]:
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

        def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, Any]]]:
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

        def get_attr(self, attr_name: str, indices: Any = None) -> list[Any]:
            return [getattr(self.venv, attr_name) for _ in self._get_indices(indices)]

        def set_attr(self, attr_name: str, value: Any, indices: Any = None) -> None:
            setattr(self.venv, attr_name, value)

        def env_method(
            self, method_name: str, *method_args: Any, indices: Any = None, **method_kwargs: Any
        ) -> list[Any]:
            result = getattr(self.venv, method_name)(*method_args, **method_kwargs)
            return [result for _ in self._get_indices(indices)]

        def env_is_wrapped(self, wrapper_class: type, indices: Any = None) -> list[bool]:
            return [False for _ in self._get_indices(indices)]

    _NativeVecEnv.__name__ = _NativeVecEnv.__qualname__ = "NativeVecEnv"
    _NATIVE_VEC_ENV = _NativeVecEnv
    return _NativeVecEnv


_NATIVE_VEC_ENV: type | None = None


def wrap_native_vec_env(venv: Any) -> Any:
    """SB3 ``VecEnv`` over a native vector env (``gym.make_vec(..., "vector_entry_point")``).

    Returns a ``NativeVecEnv`` (an SB3 ``VecEnv`` subclass, built when first needed so that SB3
    is imported lazily); its docstring describes the autoreset handling.
    """
    return _native_vec_env_class()(venv)


def _spawn_seeds(seed: int, n: int) -> list[int]:
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def make_sb3_vec_env(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    n_envs: int = 8,
    seed: int = 0,
    vectorization: Vectorization = "native",
) -> Any:
    """An SB3 ``VecEnv`` of ``n_envs`` copies of ``env_id``, seeded with ``seed``.

    ``"native"``: :func:`wrap_native_vec_env` over ``gym.make_vec(env_id, n_envs,
    vectorization_mode="vector_entry_point")`` (one seed for the batch). ``"dummy"``: SB3's
    ``DummyVecEnv`` over ``Monitor``-wrapped single envs, sub-env ``i`` seeded with the ``i``-th
    child of ``SeedSequence(seed)``.
    """
    import gymnasium as gym

    kwargs = dict(env_kwargs or {})
    if vectorization == "native":
        try:
            venv = gym.make_vec(
                env_id, num_envs=n_envs, vectorization_mode="vector_entry_point", **kwargs
            )
        except gym.error.Error as exc:
            raise UnknownEnvironmentError(
                f"env_id {env_id!r} has no native vector env: {exc}"
            ) from exc
        sb3_env = wrap_native_vec_env(venv)
        sb3_env.seed(seed)
        return sb3_env
    if vectorization == "dummy":
        vec_env = require("stable_baselines3.common.vec_env", "train")
        monitor = require("stable_baselines3.common.monitor", "train")
        seeds = _spawn_seeds(seed, n_envs)

        def factory(s: int) -> Any:
            def make() -> Any:
                env = monitor.Monitor(gym.make(env_id, **kwargs))
                env.reset(seed=s)
                return env

            return make

        return vec_env.DummyVecEnv([factory(s) for s in seeds])
    raise invalid("vectorization", vectorization, "'native' or 'dummy'")


# ---------------------------------------------------------------------------------------------
# training


@contextlib.contextmanager
def _isolated_global_rng(seed: int) -> Iterator[None]:
    """Seed the global generators SB3 uses, and restore the caller's states on exit."""
    import random

    torch = require("torch", "train")
    py_state = random.getstate()
    np_state = np.random.get_state()  # noqa: NPY002 - saved to be restored below
    a, b, c = (int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(3))
    with torch.random.fork_rng(devices=[]):
        try:
            random.seed(a)
            np.random.seed(b)  # noqa: NPY002 - SB3's buffers draw from it; restored below
            torch.manual_seed(c)
            yield
        finally:
            random.setstate(py_state)
            np.random.set_state(np_state)  # noqa: NPY002


_EMBED_CLASS: type | None = None


def _embed_class() -> type:
    """SB3 features extractor ``x -> W x + b`` (the LSTM meta-learner's input layer)."""
    global _EMBED_CLASS
    if _EMBED_CLASS is None:
        torch_layers = require("stable_baselines3.common.torch_layers", "train")
        torch = require("torch", "train")

        class LinearEmbedding(torch_layers.BaseFeaturesExtractor):  # type: ignore[name-defined]
            def __init__(self, observation_space: Any, features_dim: int = 64) -> None:
                super().__init__(observation_space, features_dim)
                self.linear = torch.nn.Linear(int(np.prod(observation_space.shape)), features_dim)

            def forward(self, observations: Any) -> Any:
                return self.linear(observations.flatten(start_dim=1))

        _EMBED_CLASS = LinearEmbedding
    return _EMBED_CLASS


def _build_model(config: RecurrentPPOConfig, env: Any, lr: Any = None) -> Any:
    sb3c = require("sb3_contrib", "train")
    torch = require("torch", "train")
    policy_kwargs = {
        "features_extractor_class": _embed_class(),
        "features_extractor_kwargs": {"features_dim": config.embed_size},
        "lstm_hidden_size": config.lstm_hidden_size,
        "n_lstm_layers": 1,
        "shared_lstm": True,
        "enable_critic_lstm": False,
        "net_arch": [],
        "ortho_init": config.ortho_init,
        "activation_fn": torch.nn.Tanh,
    }
    return sb3c.RecurrentPPO(
        "MlpLstmPolicy",
        env,
        learning_rate=config.learning_rate if lr is None else lr,
        n_steps=config.n_steps,
        batch_size=config.batch_size,
        n_epochs=config.n_epochs,
        gamma=config.gamma,
        gae_lambda=config.gae_lambda,
        clip_range=config.clip_range,
        ent_coef=config.ent_coef,
        vf_coef=config.vf_coef,
        max_grad_norm=config.max_grad_norm,
        normalize_advantage=config.normalize_advantage,
        policy_kwargs=policy_kwargs,
        device="cpu",
        verbose=0,
    )


class _Clock:
    """Training progress in [0, 1]: the larger of wall-clock and step fractions."""

    def __init__(self, budget_s: float | None, total_steps: int, offset_s: float = 0.0) -> None:
        self.budget_s = budget_s
        self.offset_s = offset_s
        self.total_steps = total_steps
        self.start = time.perf_counter()
        self.cpu_start = time.process_time()
        self.steps = 0

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def cpu(self) -> float:
        return time.process_time() - self.cpu_start

    def progress(self) -> float:
        p = self.steps / self.total_steps
        if self.budget_s is not None:
            p = max(p, self.elapsed() / self.budget_s)
        return min(p, 1.0)


class _LinearLr:
    """``lr * (1 - progress)`` with progress read from the clock (floored at 1% of ``lr``)."""

    def __init__(self, lr: float, clock: _Clock) -> None:
        self.lr = lr
        self.clock = clock

    def __call__(self, _progress_remaining: float) -> float:
        return self.lr * max(1.0 - self.clock.progress(), 0.01)


def _budget_callback(
    clock: _Clock, log_rows: list[dict[str, float]], config: RecurrentPPOConfig
) -> Any:
    callbacks = require("stable_baselines3.common.callbacks", "train")

    class BudgetCallback(callbacks.BaseCallback):  # type: ignore[name-defined]
        """Stop at the wall-clock budget; decay the entropy bonus; log each rollout's mean return."""

        def __init__(self) -> None:
            super().__init__(verbose=0)
            self.start_steps = 0
            self.last_info_s = float("-inf")

        def _on_training_start(self) -> None:
            self.start_steps = self.model.num_timesteps

        def _on_step(self) -> bool:
            # SB3 stops at total_timesteps itself; this stops at the wall-clock budget (the
            # rollout in progress is then dropped, not trained on)
            clock.steps = self.model.num_timesteps - self.start_steps
            return clock.budget_s is None or clock.elapsed() < clock.budget_s

        def _on_rollout_end(self) -> None:
            # entropy coefficient: linear from ent_coef to ent_coef_final over the run
            p = clock.progress()
            self.model.ent_coef = config.ent_coef + p * (config.ent_coef_final - config.ent_coef)
            buf = self.model.ep_info_buffer
            mean_ret = float(np.mean([e["r"] for e in buf])) if buf else float("nan")
            row = {
                "timesteps": float(self.model.num_timesteps),
                "wall_s": round(clock.offset_s + clock.elapsed(), 3),
                "cpu_s": round(clock.cpu(), 3),
                "mean_return": mean_ret,
            }
            log_rows.append(row)
            # every rollout at DEBUG level; at INFO level at most every 30 seconds
            loud = row["wall_s"] - self.last_info_s >= 30.0
            if loud:
                self.last_info_s = row["wall_s"]
            logger.log(
                logging.INFO if loud else logging.DEBUG,
                "recurrent-ppo: %d steps, %.0f s, mean return %.3f",
                self.model.num_timesteps,
                row["wall_s"],
                mean_ret,
            )

    return BudgetCallback()


def _check_env_id(env_id: Any, env_kwargs: Any) -> dict[str, Any]:
    import gymnasium as gym

    import bayes_meta_envs  # noqa: F401 - registers the environments

    if not isinstance(env_id, str):
        raise wrong_type("env_id", env_id, "a registered environment id (str)")
    if env_id not in gym.registry:
        raise UnknownEnvironmentError(f"env_id {env_id!r} is not a registered environment")
    if env_kwargs is None:
        return {}
    if not isinstance(env_kwargs, dict):
        raise wrong_type("env_kwargs", env_kwargs, "a dict or None")
    return dict(env_kwargs)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def train(
    env_id: str,
    env_kwargs: dict[str, Any] | None = None,
    config: RecurrentPPOConfig | None = None,
    budget_minutes: float | None = None,
    out_dir: str | Path | None = None,
    resume: bool = False,
    seed: int = 0,
) -> Path:
    """Meta-train RecurrentPPO on ``env_id`` and save it to ``out_dir``; return ``out_dir``.

    Training runs PPO's loop (collect ``n_envs * n_steps`` steps with the LSTM policy, then
    ``n_epochs`` of clipped-surrogate updates over episode-aligned sequences; Schulman et al.
    2017, sb3-contrib's ``RecurrentPPO``) until ``config.total_timesteps`` steps or
    ``budget_minutes`` of wall-clock time, whichever comes first (checked at every step).

    ``out_dir`` defaults to ``runs/recurrent-ppo-<env_id>``. With ``resume=True`` the folder
    must hold a saved run: its config and weights are loaded (a ``config`` argument, if given,
    must equal the saved one), training continues from its step count up to
    ``config.total_timesteps`` (a finished run is left as it is), and the budget applies to this
    call. Without ``resume``, an existing saved run in ``out_dir`` is overwritten.
    """
    env_kwargs = _check_env_id(env_id, env_kwargs)
    if config is not None and not isinstance(config, RecurrentPPOConfig):
        raise wrong_type("config", config, "a RecurrentPPOConfig or None")
    if budget_minutes is not None:
        if isinstance(budget_minutes, bool) or not isinstance(budget_minutes, (int, float)):
            raise wrong_type("budget_minutes", budget_minutes, "a float > 0 or None")
        if not budget_minutes > 0 or not math.isfinite(budget_minutes):
            raise invalid("budget_minutes", budget_minutes, "a float > 0 or None")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise invalid("seed", seed, "a non-negative int")
    out = Path(out_dir) if out_dir is not None else Path("runs") / f"recurrent-ppo-{env_id}"

    prior_steps = 0
    prior_wall = 0.0
    log_rows: list[dict[str, float]] = []
    saved: dict[str, Any] | None = None
    if resume:
        saved = _read_config(out)
        saved_config = RecurrentPPOConfig.from_dict(saved["config"])
        if config is not None and config != saved_config:
            raise invalid("config", config, f"the config saved in {out} when resume=True")
        if saved["env_id"] != env_id or saved["env_kwargs"] != _jsonable(env_kwargs):
            raise invalid(
                "env_id/env_kwargs",
                (env_id, env_kwargs),
                f"the env saved in {out}: {saved['env_id']!r} {saved['env_kwargs']!r}",
            )
        config = saved_config
        prior_steps = int(saved["training"]["timesteps"])
        prior_wall = float(saved["training"]["wall_time_s"])
        log_rows = _read_log(out)
    cfg = config if config is not None else RecurrentPPOConfig()
    if resume and prior_steps >= cfg.total_timesteps:
        logger.info(
            "recurrent-ppo: %s already holds %d >= total_timesteps steps; nothing to train",
            out,
            prior_steps,
        )
        return out

    torch = require("torch", "train")
    run_seed = int(np.random.SeedSequence([int(seed), prior_steps]).generate_state(1)[0])
    budget_s = None if budget_minutes is None else 60.0 * float(budget_minutes)
    total = max(cfg.total_timesteps - prior_steps, 1)
    clock = _Clock(budget_s, total, prior_wall)
    lr: Any = (
        cfg.learning_rate if cfg.lr_schedule == "constant" else _LinearLr(cfg.learning_rate, clock)
    )
    with _isolated_global_rng(run_seed):
        env = make_sb3_vec_env(env_id, env_kwargs, cfg.n_envs, run_seed, cfg.vectorization)
        model = _build_model(cfg, env, lr)
        if resume:
            _load_weights(model, out, optimizer=True)
            model.num_timesteps = prior_steps
        callback = _budget_callback(clock, log_rows, cfg)
        with torch.inference_mode(False):
            model.learn(total_timesteps=total, callback=callback, reset_num_timesteps=not resume)
        env.close()
    wall = clock.elapsed()
    logger.info("recurrent-ppo: trained %d steps in %.1f s", model.num_timesteps, wall)
    _save(
        model,
        out,
        env_id=env_id,
        env_kwargs=env_kwargs,
        config=cfg,
        seed=int(seed),
        training={
            "timesteps": int(model.num_timesteps),
            "wall_time_s": round(prior_wall + wall, 3),
            "budget_minutes": budget_minutes,
            "sessions": (saved["training"].get("sessions", 1) + 1) if saved else 1,
            "torch_threads": int(torch.get_num_threads()),
        },
        log_rows=log_rows,
    )
    return out


# ---------------------------------------------------------------------------------------------
# saving and loading


def _save(
    model: Any,
    out: Path,
    *,
    env_id: str,
    env_kwargs: dict[str, Any],
    config: RecurrentPPOConfig,
    seed: int,
    training: dict[str, Any],
    log_rows: list[dict[str, float]],
) -> None:
    safetensors_torch = require("safetensors.torch", "train")
    torch = require("torch", "train")
    out.mkdir(parents=True, exist_ok=True)
    # save_model drops the aliases of shared tensors (the features extractor is shared by the
    # policy and value branches); load_model restores them
    atomic_write(
        out / WEIGHTS_FILE, lambda tmp: safetensors_torch.save_model(model.policy, str(tmp))
    )
    optimizer_state = model.policy.optimizer.state_dict()
    atomic_write(out / OPTIMIZER_FILE, lambda tmp: torch.save(optimizer_state, tmp))
    meta = {
        "algo": ALGO,
        "format_version": FORMAT_VERSION,
        "env_id": env_id,
        "env_kwargs": _jsonable(env_kwargs),
        "seed": seed,
        "config": config.to_dict(),
        "policy": "MlpLstmPolicy (shared LSTM, linear policy and value heads)",
        "weights": WEIGHTS_FILE,
        "training": training,
    }
    log = io.StringIO(newline="")
    writer = csv.DictWriter(log, fieldnames=["timesteps", "wall_s", "cpu_s", "mean_return"])
    writer.writeheader()
    writer.writerows(log_rows)
    atomic_write_text(out / LOG_FILE, log.getvalue())
    # the config goes last: a folder with a config.json is a complete saved agent
    atomic_write_text(out / CONFIG_FILE, json.dumps(meta, indent=2) + "\n")


def _read_log(out: Path) -> list[dict[str, float]]:
    path = out / LOG_FILE
    if not path.is_file():
        return []
    with path.open(newline="") as fh:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(fh)]


def _read_config(path: Path) -> dict[str, Any]:
    """Read and check ``path/config.json``; raise :class:`CheckpointError` when unusable."""
    if not path.is_dir():
        raise CheckpointError(f"path {str(path)!r} is not a directory holding a saved agent")
    file = path / CONFIG_FILE
    if not file.is_file():
        raise CheckpointError(f"{CONFIG_FILE} is missing from {str(path)!r}")
    try:
        meta = json.loads(file.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CheckpointError(f"{str(file)!r} is not valid JSON: {exc}") from exc
    if not isinstance(meta, dict):
        raise CheckpointError(f"{str(file)!r} must hold a JSON object, got {type(meta).__name__}")
    if meta.get("algo") != ALGO:
        raise CheckpointError(f"{str(file)!r} has algo {meta.get('algo')!r}, expected {ALGO!r}")
    if meta.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{str(file)!r} has format_version {meta.get('format_version')!r}, "
            f"this version reads {FORMAT_VERSION}"
        )
    missing = [k for k in ("env_id", "env_kwargs", "config", "training") if k not in meta]
    if missing:
        raise CheckpointError(f"{str(file)!r} lacks the entries {missing}")
    try:
        RecurrentPPOConfig.from_dict(meta["config"])
    except (InvalidArgumentError, TypeError) as exc:
        raise CheckpointError(f"{str(file)!r} holds an invalid config: {exc}") from exc
    return meta


def _load_weights(model: Any, path: Path, *, optimizer: bool = False) -> None:
    safetensors_torch = require("safetensors.torch", "train")
    torch = require("torch", "train")
    file = path / WEIGHTS_FILE
    if not file.is_file():
        raise CheckpointError(f"{WEIGHTS_FILE} is missing from {str(path)!r}")
    try:
        safetensors_torch.load_file(str(file))
    except Exception as exc:  # safetensors raises its own error types for corrupt files
        raise CheckpointError(f"{str(file)!r} is not a readable safetensors file: {exc}") from exc
    try:
        safetensors_torch.load_model(model.policy, str(file), strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{str(file)!r} does not match the network described by its config.json: {exc}"
        ) from exc
    if optimizer:
        opt_file = path / OPTIMIZER_FILE
        if not opt_file.is_file():
            raise CheckpointError(f"{OPTIMIZER_FILE} is missing from {str(path)!r} (resume)")
        try:
            opt_state = torch.load(opt_file, weights_only=True)
            model.policy.optimizer.load_state_dict(opt_state)
        except Exception as exc:  # unpickling refusals, corrupt zip, mismatched groups
            raise CheckpointError(f"{str(opt_file)!r} could not be loaded: {exc}") from exc


def load_model(path: str | Path) -> Any:
    """Rebuild the saved sb3-contrib ``RecurrentPPO`` model from ``path`` (no unpickling).

    Reads ``config.json`` (hyperparameters and env), builds ``RecurrentPPO("MlpLstmPolicy",
    env, **hyperparameters)`` on a native vector env of the saved env, and loads the policy's
    tensors from ``model.safetensors`` (strict: every key and shape must match). Raises
    :class:`CheckpointError` if a file is missing or corrupt.
    """
    path = Path(path)
    meta = _read_config(path)
    cfg = RecurrentPPOConfig.from_dict(meta["config"])
    with _isolated_global_rng(0):
        try:
            env = make_sb3_vec_env(meta["env_id"], meta["env_kwargs"], 1, 0, cfg.vectorization)
        except (UnknownEnvironmentError, InvalidArgumentError, TypeError) as exc:
            raise CheckpointError(f"the env saved in {str(path)!r} cannot be built: {exc}") from exc
        model = _build_model(dataclasses.replace(cfg, n_envs=1), env)
    _load_weights(model, path)
    model.policy.set_training_mode(False)
    return model


def load_agent(path: str | Path) -> Any:
    """The saved RecurrentPPO as an Agent: ``from_sb3(load_model(path))``.

    The adapter (:func:`bayes_meta_envs.agents.adapters.from_sb3`) reads action probabilities
    from the policy's distribution and resets the LSTM state at each episode start. This is what
    the zoo's ``load`` returns for ``"algo": "recurrent-ppo"``; use :func:`load_model` for the
    SB3 model itself.
    """
    from bayes_meta_envs.agents.adapters import from_sb3

    return from_sb3(load_model(path))
