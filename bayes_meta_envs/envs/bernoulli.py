"""MetaPredictBernoulli-v0: predict coin flips (Beta-Bernoulli), single and vector."""

from __future__ import annotations

from bayes_meta_envs.envs._base import DEFAULT_HORIZON
from bayes_meta_envs.envs.prediction import COMMON_DOC, MetaPredictEnv, MetaPredictVectorEnv
from bayes_meta_envs.families import BetaBernoulli

__all__ = ["MetaPredictBernoulliEnv", "MetaPredictBernoulliVectorEnv"]


class MetaPredictBernoulliEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next coin flip of a coin whose bias is resampled every episode.

    ## Task Distribution

    ``theta ~ Beta(alpha, beta)``; ``x_t ~ Bernoulli(theta)`` i.i.d. within the episode.

    ## Action Space

    ``Box(-30, 30, (1,), float32)``: the logit of ``P(x_t = 1)``. NaN or a value outside
    the bounds raises
    :class:`~bayes_meta_envs.errors.InvalidActionError`.

    ## Arguments

    * ``alpha``, ``beta`` (float > 0, default 1): the Beta prior.
    * ``horizon`` (int, default 20), ``include_time`` (bool, default False), ``render_mode``.

    ## Example

    >>> import gymnasium as gym, numpy as np
    >>> import bayes_meta_envs
    >>> env = gym.make("MetaPredictBernoulli-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(1, dtype=np.float32))
    >>> round(reward, 4)  # log(1/2) whatever the sample
    -0.6931
"""
        + COMMON_DOC
    )

    def __init__(
        self,
        alpha: float = 1.0,
        beta: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(BetaBernoulli(alpha, beta), horizon, include_time, render_mode)


class MetaPredictBernoulliVectorEnv(MetaPredictVectorEnv):
    """Vector MetaPredictBernoulli-v0."""

    def __init__(
        self,
        num_envs: int = 1,
        alpha: float = 1.0,
        beta: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(BetaBernoulli(alpha, beta), num_envs, horizon, include_time, render_mode)
