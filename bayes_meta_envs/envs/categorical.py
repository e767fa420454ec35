"""MetaPredictCategorical-v0: predict die rolls (Dirichlet-categorical), single and vector."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import check_int, check_real_array
from bayes_meta_envs.envs._base import DEFAULT_HORIZON
from bayes_meta_envs.envs.prediction import COMMON_DOC, MetaPredictEnv, MetaPredictVectorEnv
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.families import DirichletCategorical

__all__ = ["MetaPredictCategoricalEnv", "MetaPredictCategoricalVectorEnv", "categorical_alpha"]


def categorical_alpha(n_categories: Any, alpha: Any) -> np.ndarray:
    """The Dirichlet parameters from ``n_categories`` and a scalar or per-category ``alpha``."""
    n_categories = check_int("n_categories", n_categories, 2)
    # the prior's check of its extreme posteriors holds n_categories vectors of n_categories
    check_memory(
        nbytes(n_categories, n_categories + 4),
        "the Dirichlet prior and its extreme posteriors",
        n_categories=n_categories,
    )
    arr = check_real_array("alpha", alpha, "a number or a sequence of positive numbers")
    if arr.ndim == 0:
        arr = np.full(n_categories, float(arr))
    if arr.shape != (n_categories,):
        raise invalid("alpha", alpha, f"a number or a sequence of {n_categories} numbers")
    return arr


class MetaPredictCategoricalEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next roll of a K-sided die whose face probabilities are resampled every episode.

    ## Task Distribution

    ``theta ~ Dirichlet(alpha)``; ``x_t ~ Categorical(theta)``. Observation features: one-hot ``x``.

    ## Action Space

    ``Box(-30, 30, (K,), float32)``: logits of the predictive (softmax). NaN or a value
    outside the bounds raises
    :class:`~bayes_meta_envs.errors.InvalidActionError`.

    ## Arguments

    * ``n_categories`` (int >= 2, default 3).
    * ``alpha`` (float > 0 or a sequence of ``n_categories`` of them, default 1): the Dirichlet
      prior.
    * ``horizon`` (int, default 20), ``include_time`` (bool, default False), ``render_mode``.

    ## Example

    >>> import gymnasium as gym, numpy as np
    >>> import bayes_meta_envs
    >>> env = gym.make("MetaPredictCategorical-v0", n_categories=3)
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(3, dtype=np.float32))
    >>> round(reward, 4)  # log(1/3)
    -1.0986
"""
        + COMMON_DOC
    )

    def __init__(
        self,
        n_categories: int = 3,
        alpha: float | ArrayLike = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        family = DirichletCategorical(categorical_alpha(n_categories, alpha))
        super().__init__(family, horizon, include_time, render_mode)


class MetaPredictCategoricalVectorEnv(MetaPredictVectorEnv):
    """Vector MetaPredictCategorical-v0."""

    def __init__(
        self,
        num_envs: int = 1,
        n_categories: int = 3,
        alpha: float | ArrayLike = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        family = DirichletCategorical(categorical_alpha(n_categories, alpha))
        super().__init__(family, num_envs, horizon, include_time, render_mode)
