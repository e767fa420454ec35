"""MetaPredictExponential-v0: predict waiting times (Gamma-exponential), single and vector."""

from __future__ import annotations

from bayes_meta_envs.envs._base import DEFAULT_HORIZON
from bayes_meta_envs.envs.prediction import COMMON_DOC, MetaPredictEnv, MetaPredictVectorEnv
from bayes_meta_envs.families import GammaExponential

__all__ = ["MetaPredictExponentialEnv", "MetaPredictExponentialVectorEnv"]


class MetaPredictExponentialEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next waiting time of a Poisson process whose rate is resampled every episode.

    ## Task Distribution

    ``lambda ~ Gamma(a, b)`` (shape ``a``, rate ``b``); ``x_t ~ Exponential(lambda)``.

    ## Action Space

    ``Box([log a - 1, log b - 1], [log(a + horizon) + 1, log b + 20], (2,), float32)``:
    ``(log shape, log scale)`` of a Lomax (Pareto II) predictive, density
    ``(k/s)(1 + x/s)^-(k+1)``. The exact posterior predictive is Lomax with shape ``a + n`` and
    scale ``b + sum x``, well inside the box; uniform random actions in the box lose about 150 nats
    an episode to the prior predictive (at the defaults), not 1e12. ``step`` accepts any action of
    the wider domain [-30, 30] (the box before 0.3; the plug-in predictor uses a log shape of 15);
    NaN or values outside it raise :class:`~bayes_meta_envs.errors.InvalidActionError`.

    ## Arguments

    * ``a`` (float > 0, default 1), ``b`` (float > 0, default 1): the Gamma prior.
    * ``horizon`` (int, default 20), ``include_time`` (bool, default False), ``render_mode``.

    ## Example

    >>> import gymnasium as gym, numpy as np
    >>> import bayes_meta_envs
    >>> env = gym.make("MetaPredictExponential-v0")
    >>> obs, info = env.reset(seed=0)
    >>> obs, reward, terminated, truncated, info = env.step(np.zeros(2, dtype=np.float32))
    >>> bool(np.isfinite(reward))
    True
"""
        + COMMON_DOC
    )

    def __init__(
        self,
        a: float = 1.0,
        b: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(GammaExponential(a, b), horizon, include_time, render_mode)


class MetaPredictExponentialVectorEnv(MetaPredictVectorEnv):
    """Vector MetaPredictExponential-v0."""

    def __init__(
        self,
        num_envs: int = 1,
        a: float = 1.0,
        b: float = 1.0,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        super().__init__(GammaExponential(a, b), num_envs, horizon, include_time, render_mode)
