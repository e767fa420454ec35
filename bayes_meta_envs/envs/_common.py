"""Pieces shared by the single and the vector environments: argument checks and seeding."""

from __future__ import annotations

from typing import Any

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
