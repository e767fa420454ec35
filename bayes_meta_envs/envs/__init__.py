"""The meta-task environments and their registration with gymnasium.

One module per environment, holding the single env and its native vector twin (``bandit``,
``bernoulli``, ``categorical``, ``gaussian``, ``exponential``; the shared prediction base in
``prediction``, seeding and the vector machinery in ``_base``). Importing :mod:`bayes_meta_envs`
registers every id below; ``gym.make("bayes_meta_envs:MetaBandit-v0")`` works with no import.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym

from bayes_meta_envs.envs._base import MetaVectorEnv
from bayes_meta_envs.envs.bandit import MetaBanditEnv, MetaBanditVectorEnv
from bayes_meta_envs.envs.bernoulli import MetaPredictBernoulliEnv, MetaPredictBernoulliVectorEnv
from bayes_meta_envs.envs.categorical import (
    MetaPredictCategoricalEnv,
    MetaPredictCategoricalVectorEnv,
)
from bayes_meta_envs.envs.exponential import (
    MetaPredictExponentialEnv,
    MetaPredictExponentialVectorEnv,
)
from bayes_meta_envs.envs.gaussian import MetaPredictGaussianEnv, MetaPredictGaussianVectorEnv
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.envs.prediction import MetaPredictEnv, MetaPredictVectorEnv

__all__ = [
    "ENV_SPECS",
    "EnvInfo",
    "MetaBanditEnv",
    "MetaBanditVectorEnv",
    "MetaPredictBernoulliEnv",
    "MetaPredictBernoulliVectorEnv",
    "MetaPredictCategoricalEnv",
    "MetaPredictCategoricalVectorEnv",
    "MetaPredictEnv",
    "MetaPredictExponentialEnv",
    "MetaPredictExponentialVectorEnv",
    "MetaPredictGaussianEnv",
    "MetaPredictGaussianVectorEnv",
    "MetaPredictVectorEnv",
    "MetaVectorEnv",
    "ObsLayout",
    "register_envs",
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
        f"{_M}.bandit:MetaBanditVectorEnv",
        "K-armed Bernoulli bandit, arm probabilities ~ Beta prior, resampled every episode",
        {"n_arms": 2, "horizon": 20, "prior": (1.0, 1.0), "include_time": False},
    ),
    EnvInfo(
        "MetaPredictBernoulli-v0",
        f"{_M}.bernoulli:MetaPredictBernoulliEnv",
        f"{_M}.bernoulli:MetaPredictBernoulliVectorEnv",
        "predict coin flips, theta ~ Beta(alpha, beta); action: logit",
        {"alpha": 1.0, "beta": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictCategorical-v0",
        f"{_M}.categorical:MetaPredictCategoricalEnv",
        f"{_M}.categorical:MetaPredictCategoricalVectorEnv",
        "predict die rolls, theta ~ Dirichlet(alpha); action: K logits",
        {"n_categories": 3, "alpha": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictGaussian-v0",
        f"{_M}.gaussian:MetaPredictGaussianEnv",
        f"{_M}.gaussian:MetaPredictGaussianVectorEnv",
        "predict Gaussian draws, mean ~ Normal(mu0, sigma0^2), known sigma; action: (mean, log std)",
        {"mu0": 0.0, "sigma0": 1.0, "sigma": 1.0, "horizon": 20, "include_time": False},
    ),
    EnvInfo(
        "MetaPredictExponential-v0",
        f"{_M}.exponential:MetaPredictExponentialEnv",
        f"{_M}.exponential:MetaPredictExponentialVectorEnv",
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
