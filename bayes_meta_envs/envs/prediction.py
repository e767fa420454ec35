"""MetaPredict*: sequence prediction with conjugate priors (Mikulik et al. 2020, section 4.1).

One environment class per conjugate family, all sharing :class:`MetaPredictEnv`. At every step the
agent outputs the parameters of a predictive distribution for the next sample ``x_t``; the reward
is the log-likelihood (log-density) of ``x_t`` under that prediction. The maths lives in
:mod:`bayes_meta_envs.families`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from numpy.typing import ArrayLike

from bayes_meta_envs.envs._common import (
    DEFAULT_HORIZON,
    TaskStreams,
    check_bool,
    check_horizon,
    check_options,
)
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.families import (
    BetaBernoulli,
    ConjugateFamily,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)

if TYPE_CHECKING:
    from bayes_meta_envs.envs.vector import MetaPredictVectorEnv

__all__ = [
    "MetaPredictBernoulliEnv",
    "MetaPredictCategoricalEnv",
    "MetaPredictEnv",
    "MetaPredictExponentialEnv",
    "MetaPredictGaussianEnv",
    "categorical_alpha",
]

_COMMON_DOC = """
    ## Observation Space

    ``Box(-inf, inf, (feature_dim + action_dim + 1 [+ 1],), float32)`` laid out as
    ``[previous sample features | previous action | previous reward | (t / horizon)]``; zeros at
    reset. See :class:`~bayes_meta_envs.envs.layout.ObsLayout` (``env.unwrapped.layout``).

    ## Rewards

    The log-likelihood (log-density) of the sample ``x_t`` under the predictive distribution that
    the action parameterises. Its negative is the log-loss.

    ## Starting State

    A new task ``theta`` and its ``horizon`` samples, drawn at reset from the task and noise
    generators (common random numbers: every agent on the same seed sees the same sequence).

    ## Episode End

    ``terminated=True`` after ``horizon`` steps. No truncation.

    ## Bayes-Optimal Reference

    The exact posterior predictive, :meth:`ConjugateFamily.predictive` in
    :mod:`bayes_meta_envs.families`, which is a valid action; as an agent:
    ``bayes_meta_envs.baselines.BayesOptimalAgent.for_env(env)``. Its expected reward is the
    highest achievable, and the KL between any action and it is available in closed form
    (:meth:`ConjugateFamily.kl`).

    ## Version History

    * v0: initial version.
"""


class MetaPredictEnv(gym.Env[np.ndarray, np.ndarray]):
    """Base class of the sequence-prediction meta-tasks; see the family subclasses."""

    metadata = {"render_modes": ["ansi"], "render_fps": 4}  # noqa: RUF012
    kind = "prediction"

    def __init__(
        self,
        family: ConjugateFamily,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.family = family
        self.horizon = check_horizon(horizon)
        self.include_time = check_bool("include_time", include_time)
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise invalid("render_mode", render_mode, "None or 'ansi'")
        self.render_mode = render_mode
        self.layout = ObsLayout.build(family.feature_dim, family.action_dim, self.include_time)
        self.action_space = spaces.Box(
            family.action_low.astype(np.float32),
            family.action_high.astype(np.float32),
            (family.action_dim,),
            np.float32,
        )
        self.observation_space = spaces.Box(-np.inf, np.inf, (self.layout.size,), np.float32)
        self._streams = TaskStreams()
        self._theta = np.zeros(family.task_dim)
        self._xs = np.zeros(self.horizon)
        self._t = self.horizon
        self._last: tuple[float, float] | None = None

    @property
    def task(self) -> np.ndarray:
        """The current task parameters (a copy)."""
        return self._theta.copy()

    def make_vector(self, num_envs: int) -> MetaPredictVectorEnv:
        """The native vector env with this env's configuration."""
        from bayes_meta_envs.envs.vector import MetaPredictVectorEnv

        return MetaPredictVectorEnv(self.family, num_envs, self.horizon, self.include_time)

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        opts = check_options(options)
        self._theta, noise_rng = self._streams.begin(seed, opts, self.family)  # validates seed
        super().reset(seed=seed)
        self._xs = self.family.sample_observations(noise_rng, self._theta[None], self.horizon)[0]
        self._t = 0
        self._last = None
        return np.zeros(self.layout.size, dtype=np.float32), {"task": self._theta.copy(), "t": 0}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = self.family.validate_action(action)
        if self._t >= self.horizon:
            raise gym.error.ResetNeeded("the episode is over: call reset() before step()")
        x = self._xs[self._t : self._t + 1]
        reward = float(self.family.log_likelihood(a[None], x)[0])
        self._t += 1
        lay = self.layout
        obs = np.zeros(lay.size, dtype=np.float32)
        obs[lay.features] = self.family.features(x)[0]
        obs[lay.prev_action] = a
        obs[lay.prev_reward] = reward
        if lay.time is not None:
            obs[lay.time] = self._t / self.horizon
        self._last = (float(x[0]), reward)
        info = {"task": self._theta.copy(), "t": self._t, "sample": float(x[0])}
        return obs, reward, self._t >= self.horizon, False, info

    def render(self) -> str | None:
        if self.render_mode != "ansi":
            return None
        last = "-" if self._last is None else f"x={self._last[0]:.3g} reward={self._last[1]:.3f}"
        return f"t={self._t}/{self.horizon} task={np.round(self._theta, 3).tolist()} last: {last}"


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
        + _COMMON_DOC
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


def categorical_alpha(n_categories: Any, alpha: Any) -> np.ndarray:
    """The Dirichlet parameters from ``n_categories`` and a scalar or per-category ``alpha``."""
    if isinstance(n_categories, bool) or not isinstance(n_categories, (int, np.integer)):
        raise wrong_type("n_categories", n_categories, "an int >= 2")
    if n_categories < 2:
        raise invalid("n_categories", n_categories, "an int >= 2")
    arr = np.asarray(alpha, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(int(n_categories), float(arr))
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
        + _COMMON_DOC
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


class MetaPredictGaussianEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next draw of a Gaussian with unknown mean (resampled every episode) and known
    standard deviation.

    ## Task Distribution

    ``mu ~ Normal(mu0, sigma0^2)``; ``x_t ~ Normal(mu, sigma^2)``.

    ## Action Space

    ``Box([mu0 - w, -30], [mu0 + w, 30], (2,), float32)`` with ``w = 100 (sigma0 + sigma)``:
    ``(mean, log std)`` of a Gaussian predictive. The exact posterior predictive is Gaussian, so
    it is expressible. NaN or a value outside the bounds raises :class:`~bayes_meta_envs.errors.InvalidActionError`.

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
        + _COMMON_DOC
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


class MetaPredictExponentialEnv(MetaPredictEnv):
    __doc__ = (
        """
    ## Description

    Predict the next waiting time of a Poisson process whose rate is resampled every episode.

    ## Task Distribution

    ``lambda ~ Gamma(a, b)`` (shape ``a``, rate ``b``); ``x_t ~ Exponential(lambda)``.

    ## Action Space

    ``Box(-30, 30, (2,), float32)``: ``(log shape, log scale)`` of a Lomax (Pareto II)
    predictive, density ``(k/s)(1 + x/s)^-(k+1)``. The exact posterior predictive is Lomax with
    shape ``a + n`` and scale ``b + sum x``. NaN or values outside [-30, 30] raise
    :class:`~bayes_meta_envs.errors.InvalidActionError`.

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
        + _COMMON_DOC
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
