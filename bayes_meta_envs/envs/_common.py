"""Pieces shared by the single and the vector environments: argument checks and seeding."""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from bayes_meta_envs.errors import invalid, wrong_type

DEFAULT_HORIZON = 20


def check_horizon(horizon: Any) -> int:
    if isinstance(horizon, bool) or not isinstance(horizon, (int, np.integer)):
        raise wrong_type("horizon", horizon, "an int >= 1")
    if horizon < 1:
        raise invalid("horizon", horizon, "an int >= 1")
    return int(horizon)


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(name, value, "a bool")
    return bool(value)


def check_num_envs(num_envs: Any) -> int:
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)):
        raise wrong_type("num_envs", num_envs, "an int >= 1")
    if num_envs < 1:
        raise invalid("num_envs", num_envs, "an int >= 1")
    return int(num_envs)


def make_streams(seed: int | None) -> tuple[np.random.Generator, np.random.Generator]:
    """Independent task and noise generators derived from ``seed`` with ``SeedSequence.spawn``.

    ``seed=None`` draws fresh entropy from the operating system.
    """
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise invalid("seed", seed, "a non-negative int or None")
    task_ss, noise_ss = np.random.SeedSequence(seed).spawn(2)
    return np.random.Generator(np.random.PCG64(task_ss)), np.random.Generator(
        np.random.PCG64(noise_ss)
    )


def check_options(options: dict[str, Any] | None) -> dict[str, Any]:
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise wrong_type("options", options, "a dict or None")
    unknown = set(options) - {"task", "reset_mask"}
    if unknown:
        raise invalid("options", options, "a dict with at most the key 'task'")
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
