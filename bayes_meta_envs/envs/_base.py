"""Pieces shared by every meta-task environment: seeding, task streams, the vector-env machinery.

Reproducibility contract of the native vector envs: a vector env of ``N`` envs draws its tasks and
noise from the same two generators, in the same order, as ``N`` consecutive episodes of the single
env. Under the same seed, sub-env ``i``'s ``k``-th episode is the single env's episode
``k * N + i``. Every sub-environment runs the same fixed horizon, so all of them end their episodes
on the same step and reset together (gymnasium's next-step autoreset: the step after
``terminated`` returns the first observation of the next episode, with reward 0, and ignores its
action).
"""

from __future__ import annotations

from typing import Any, Protocol

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import StrictArguments, check_bool, check_int, check_seed
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.errors import invalid, wrong_type

__all__ = [
    "DEFAULT_HORIZON",
    "MetaVectorEnv",
    "TaskPrior",
    "TaskStreams",
    "check_episode_memory",
    "check_options",
    "check_render_mode",
    "make_streams",
]

DEFAULT_HORIZON = 20
RENDER_MODES = ["ansi", "rgb_array"]


def check_render_mode(render_mode: Any) -> str | None:
    """``render_mode`` of a single env: ``None`` or one of :data:`RENDER_MODES`."""
    if render_mode is not None and (
        not isinstance(render_mode, str) or render_mode not in RENDER_MODES
    ):
        raise invalid("render_mode", render_mode, "None, 'ansi' or 'rgb_array'")
    return render_mode


def make_streams(seed: int | None) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent task and noise generators derived from ``seed`` with ``SeedSequence.spawn``.

    ``seed=None`` draws fresh entropy from the operating system.
    """
    seed = check_seed("seed", seed, allow_none=True)
    task_ss, noise_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.Generator(np.random.PCG64(task_ss)), np.random.Generator(
        np.random.PCG64(noise_ss)
    )


def check_episode_memory(num_envs: int, horizon: int, width: int, /, **arguments: Any) -> None:
    """Refuse, before anything is allocated, episodes whose noise and rewards (``num_envs x
    horizon x width`` float64 values, twice) exceed the memory budget; ``arguments`` are the
    user's values named in the message."""
    check_memory(
        nbytes(num_envs, horizon, width, itemsize=16),
        "the episodes' noise and rewards",
        **arguments,
    )


def check_options(options: dict[str, Any] | None) -> dict[str, Any]:
    """The ``options`` of ``reset``: ``None`` or a dict with the keys ``task`` and (vector envs)
    ``reset_mask`` only."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise wrong_type("options", options, "a dict or None")
    unknown = sorted(map(repr, set(options) - {"task", "reset_mask"}))
    if unknown:
        raise invalid(
            "options", options, f"a dict with the keys 'task', 'reset_mask' only (not {unknown})"
        )
    return options


class TaskPrior(Protocol):
    """What :class:`TaskStreams` needs of a prior (``BetaBernoulliArms``, ``ConjugateFamily``)."""

    def sample_tasks(self, rng: np.random.Generator, n: int) -> np.ndarray: ...

    def validate_task(self, task: Any, batch: int | None = None) -> np.ndarray: ...


class TaskStreams:
    """The task and noise generators of a meta-task env, shared by the single and vector envs.

    :meth:`begin` starts the next episode(s): it (re)seeds both streams when given a seed (or on
    first use), then takes the task from ``options["task"]`` or draws it from the prior. Drawing
    ``batch`` tasks at once consumes the task stream exactly as ``batch`` single draws do.
    """

    def __init__(self) -> None:
        self._task_rng: np.random.Generator | None = None
        self._noise_rng: np.random.Generator | None = None

    @property
    def started(self) -> bool:
        return self._task_rng is not None

    def begin(
        self, seed: int | None, options: dict[str, Any], prior: TaskPrior, batch: int | None = None
    ) -> tuple[np.ndarray, np.random.Generator]:
        """``(task, noise generator)``; the task is ``(task_dim,)``, or ``(batch, task_dim)``."""
        if seed is not None or self._task_rng is None or self._noise_rng is None:
            self._task_rng, self._noise_rng = make_streams(seed)
        if options.get("task") is not None:
            task = prior.validate_task(options["task"], batch)
        else:
            drawn = prior.sample_tasks(self._task_rng, 1 if batch is None else batch)
            task = drawn[0] if batch is None else drawn
        return task, self._noise_rng


class MetaVectorEnv(StrictArguments, VectorEnv):
    """Base of the native vector envs: seeding, synchronous episodes, next-step autoreset."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012
    kind: str
    layout: ObsLayout
    _prior: TaskPrior

    def __init__(self, num_envs: int, horizon: int, include_time: bool, task_dim: int) -> None:
        self.num_envs = check_int("num_envs", num_envs, 1)
        self.horizon = check_int("horizon", horizon, 1)
        self.include_time = check_bool("include_time", include_time)
        check_episode_memory(
            self.num_envs, self.horizon, task_dim, num_envs=num_envs, horizon=horizon
        )
        self._rows = np.arange(self.num_envs)
        self._streams = TaskStreams()
        self._task = np.zeros((self.num_envs, task_dim))
        self._t = 0
        self._needs_reset = True

    @property
    def task(self) -> np.ndarray:
        """The current tasks, ``(num_envs, task_dim)`` (a copy)."""
        return self._task.copy()

    def _draw_noise(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _start_episodes(
        self, seed: int | None, options: dict[str, Any]
    ) -> tuple[np.ndarray, dict[str, Any]]:
        self._task, noise_rng = self._streams.begin(seed, options, self._prior, self.num_envs)
        self._draw_noise(noise_rng)
        self._t = 0
        self._needs_reset = False
        obs = np.zeros((self.num_envs, self.layout.size), dtype=np.float32)
        return obs, {"task": self._task.copy(), "t": np.zeros(self.num_envs, dtype=np.int64)}

    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        opts = check_options(options)
        mask = opts.get("reset_mask")
        if mask is not None and not np.all(mask):
            raise invalid(
                "options['reset_mask']",
                mask,
                "all True: the sub-envs share one horizon and reset together",
            )
        if isinstance(seed, (list, tuple)):
            raise invalid(
                "seed",
                seed,
                "an int or None: a native vector env derives all sub-env streams from one seed",
            )
        return self._start_episodes(seed, opts)

    def _transition(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._streams.started:
            raise gym.error.ResetNeeded("call reset() before step()")
        done = np.zeros(self.num_envs, dtype=np.bool_)
        if self._needs_reset:
            obs, info = self._start_episodes(None, {})
            return obs, np.zeros(self.num_envs), done, done.copy(), info
        obs, reward = self._transition(actions)
        self._t += 1
        if self.include_time:
            obs[:, self.layout.time] = self._t / self.horizon
        terminated = np.full(self.num_envs, self._t >= self.horizon)
        self._needs_reset = bool(terminated[0])
        info = {"task": self._task.copy(), "t": np.full(self.num_envs, self._t, dtype=np.int64)}
        return obs, reward, terminated, done, info
