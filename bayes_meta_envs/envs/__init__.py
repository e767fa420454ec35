"""The meta-task environments and their registration with gymnasium.

Importing :mod:`bayes_meta_envs` registers every id below (lazily: the env classes are imported
only when an env is made). ``gym.make("bayes_meta_envs:MetaBandit-v0")`` works with no import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from bayes_meta_envs.envs.layout import ObsLayout, observation_layout
from bayes_meta_envs.errors import UnknownEnvironmentError

__all__ = [
    "ENV_SPECS",
    "EnvInfo",
    "ObsLayout",
    "observation_layout",
    "register_envs",
    "unwrap_meta_env",
]


@dataclass(frozen=True)
class EnvInfo:
    """What ``bayes-meta envs`` lists about a registered environment."""

    id: str
    entry_point: str
    vector_entry_point: str
    description: str
    kwargs: dict[str, Any]


_M = "bayes_meta_envs.envs"
ENV_SPECS: tuple[EnvInfo, ...] = (
    EnvInfo(
        "MetaBandit-v0",
        f"{_M}.bandit:MetaBanditEnv",
        f"{_M}.vector:MetaBanditVectorEnv",
        "K-armed Bernoulli bandit, arm probabilities ~ Beta prior, resampled every episode",
        {"n_arms": 2, "horizon": 20, "prior": (1.0, 1.0), "include_time": False},
    ),
    EnvInfo(
        "MetaPredictBernoulli-v0",
        f"{_M}.prediction:MetaPredictBernoulliEnv",
        f"{_M}.vector:MetaPredictBernoulliVectorEnv",
        "predict coin flips, theta ~ Beta(alpha, beta); action: logit",
        {"alpha": 1.0, "beta": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictCategorical-v0",
        f"{_M}.prediction:MetaPredictCategoricalEnv",
        f"{_M}.vector:MetaPredictCategoricalVectorEnv",
        "predict die rolls, theta ~ Dirichlet(alpha); action: K logits",
        {"n_categories": 3, "alpha": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictGaussian-v0",
        f"{_M}.prediction:MetaPredictGaussianEnv",
        f"{_M}.vector:MetaPredictGaussianVectorEnv",
        "predict Gaussian draws, mean ~ Normal(mu0, sigma0^2), known sigma; action: (mean, log std)",
        {"mu0": 0.0, "sigma0": 1.0, "sigma": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictExponential-v0",
        f"{_M}.prediction:MetaPredictExponentialEnv",
        f"{_M}.vector:MetaPredictExponentialVectorEnv",
        "predict waiting times, rate ~ Gamma(a, b); action: (log shape, log scale) of a Lomax",
        {"a": 1.0, "b": 1.0, "horizon": 20, "include_time": False},
    ),
)


def register_envs() -> None:
    """Register every environment id with gymnasium (idempotent)."""
    for info in ENV_SPECS:
        if info.id not in gym.registry:
            gym.register(
                id=info.id,
                entry_point=info.entry_point,
                vector_entry_point=info.vector_entry_point,
                disable_env_checker=False,
            )


def unwrap_meta_env(env: Any, **kwargs: Any) -> Any:
    """The base meta-task env behind ``env``.

    ``env`` may be a registered id (made with ``kwargs``), a gymnasium env (wrappers are removed),
    or one of this package's native vector envs. Raises :class:`UnknownEnvironmentError` for
    anything else.
    """
    if isinstance(env, str):
        try:
            env = gym.make(env, **kwargs)
        except gym.error.Error as exc:
            raise UnknownEnvironmentError(
                f"env {env!r} is not a registered environment: {exc}"
            ) from exc
    elif kwargs:
        raise UnknownEnvironmentError(
            f"env kwargs {sorted(kwargs)} are only accepted with a registered id, got env={env!r}"
        )
    base = getattr(env, "unwrapped", env)
    if getattr(base, "kind", None) not in ("bandit", "prediction") or not hasattr(base, "layout"):
        raise UnknownEnvironmentError(
            f"env must be a bayes_meta_envs meta-task environment, got {env!r}"
        )
    return base
