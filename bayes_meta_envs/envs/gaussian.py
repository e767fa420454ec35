"""MetaPredictGaussian-v0: predict Gaussian draws with unknown mean, single and vector."""

from __future__ import annotations

from bayes_meta_envs.envs._base import DEFAULT_HORIZON
from bayes_meta_envs.envs.prediction import COMMON_DOC, MetaPredictEnv, MetaPredictVectorEnv
from bayes_meta_envs.families import NormalNormal

__all__ = ["MetaPredictGaussianEnv", "MetaPredictGaussianVectorEnv"]


class MetaPredictGaussianEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next draw of a Gaussian with unknown mean (resampled every episode) and known
    standard deviation.

    ## Task Distribution

    ``mu ~ Normal(mu0, sigma0^2)``; ``x_t ~ Normal(mu, sigma^2)``.

    ## Action Space

    ``Box([mu0 - 6 s, log sigma - 0.75], [mu0 + 6 s, log s + 3], (2,), float32)`` with
    ``s = sqrt(sigma0^2 + sigma^2)``, the prior predictive's std: ``(mean, log std)`` of a
    Gaussian predictive. The exact posterior predictive is Gaussian, so it is expressible, and it
    lies well inside the box; uniform random actions in the box lose about 150 nats an episode to
    the prior predictive (at the defaults), not 1e12. ``step`` accepts any action of the wider
    domain ``[mu0 - w, mu0 + w] x [-30, 30]``, ``w = 100 (sigma0 + sigma)`` (the box before 0.3);
    NaN or a value outside it raises :class:`~bayes_meta_envs.errors.InvalidActionError`.

    ## Arguments

    * ``mu0`` (float, default 0), ``sigma0`` (float > 0, default 1): the prior on the mean.
    * ``sigma`` (float > 0, default 1): the known noise.
    * ``horizon`` (int, default 20), ``include_time`` (bool, default False), ``render_mode``.

    ## Example

    >>> import gymnasium as gym, numpy as np
    >>> import bayes_meta_envs
    >>> env = gym.make("MetaPredictGaussian-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.array([0.0, 0.35], np.float32))
    >>> bool(reward < 0)
    True
"""
        + COMMON_DOC
    )

    def __init__(
        self,
        mu0: float = 0.0,
        sigma0: float = 1.0,
        sigma: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(NormalNormal(mu0, sigma0, sigma), horizon, include_time, render_mode)


class MetaPredictGaussianVectorEnv(MetaPredictVectorEnv):
    """Vector MetaPredictGaussian-v0."""

    def __init__(
        self,
        num_envs: int = 1,
        mu0: float = 0.0,
        sigma0: float = 1.0,
        sigma: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        family = NormalNormal(mu0, sigma0, sigma)
        super().__init__(family, num_envs, horizon, include_time, render_mode)
