"""MetaPredict*: sequence prediction with conjugate priors (Mikulik et al. 2020, section 4.1).

One environment module per conjugate family (``bernoulli``, ``categorical``, ``gaussian``,
``exponential``), each holding a single env and its native vector twin, subclasses of the
:class:`MetaPredictEnv` and :class:`MetaPredictVectorEnv` defined here. At every step the
agent outputs the parameters of a predictive distribution for the next sample ``x_t``; the reward
is the log-likelihood (log-density) of ``x_t`` under that prediction, floored at
:data:`REWARD_FLOOR` (-1e12: reached only by predictions absurdly far from the data, such as a
Gaussian mean 100 prior deviations away with a standard deviation of 1e-13; without the floor
such rewards near -1e30 overflow a wrapper that squares them in float32). The maths lives in
:mod:`bayes_meta_envs.families`.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space

from bayes_meta_envs._validate import StrictArguments, check_bool, check_int
from bayes_meta_envs.envs._base import (
    DEFAULT_HORIZON,
    MetaVectorEnv,
    TaskStreams,
    check_episode_memory,
    check_options,
    check_render_mode,
)
from bayes_meta_envs.envs._render import prediction_frame
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.families import ConjugateFamily

__all__ = ["COMMON_DOC", "REWARD_FLOOR", "MetaPredictEnv", "MetaPredictVectorEnv", "action_box"]

#: The lowest reward (log-likelihood) a step gives; see the module docstring.
REWARD_FLOOR = -1e12

COMMON_DOC = """
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

    ## Rendering

    ``render_mode="ansi"``: one line of text. ``render_mode="rgb_array"``: a small ``uint8``
    frame with the samples so far (grey), the predictive distribution chosen by the agent's last
    action (blue), the last sample (red) and the episode's progress along the top.

    ## Bayes-Optimal Reference

    The exact posterior predictive, :meth:`ConjugateFamily.predictive` in
    :mod:`bayes_meta_envs.families`, which is a valid action; as an agent:
    ``bayes_meta_envs.baselines.BayesOptimalAgent.for_env(env)``. Its expected reward is the
    highest achievable, and the KL between any action and it is available in closed form
    (:meth:`ConjugateFamily.kl`).

    ## Version History

    * v0: initial version.
"""


def action_box(family: ConjugateFamily, horizon: int) -> spaces.Box:
    """The declared action space: :meth:`ConjugateFamily.action_box` as a float32 ``Box``.

    ``step`` accepts any action of the family's domain ``[action_low, action_high]``; the box is
    the part of it where a policy that knows nothing (uniform samples, a default Gaussian policy
    scaled to the box) survives, and it holds every Bayes-optimal action."""
    low, high = family.action_box(horizon)
    return spaces.Box(
        low.astype(np.float32), high.astype(np.float32), (family.action_dim,), np.float32
    )


def check_family(family: Any) -> ConjugateFamily:
    """``family`` if it is a :class:`~bayes_meta_envs.families.ConjugateFamily` instance."""
    if not isinstance(family, ConjugateFamily):
        raise wrong_type("family", family, "a ConjugateFamily (bayes_meta_envs.families)")
    return family


class MetaPredictEnv(StrictArguments, gym.Env[np.ndarray, np.ndarray]):
    """Base class of the sequence-prediction meta-tasks; see the family subclasses."""

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}  # noqa: RUF012
    kind = "prediction"

    def __init__(
        self,
        family: ConjugateFamily,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.family = check_family(family)
        self.horizon = check_int("horizon", horizon, 1)
        check_episode_memory(1, self.horizon, family.task_dim, horizon=horizon)
        family.check_horizon(self.horizon)
        self.include_time = check_bool("include_time", include_time)
        self.render_mode = check_render_mode(render_mode)
        self.layout = ObsLayout.build(family.feature_dim, family.action_dim, self.include_time)
        self.action_space = action_box(family, self.horizon)
        self.observation_space = spaces.Box(-np.inf, np.inf, (self.layout.size,), np.float32)
        self._streams = TaskStreams()
        self._theta = np.zeros(family.task_dim)
        self._xs = np.zeros(self.horizon)
        self._t = self.horizon
        self._last: tuple[float, float] | None = None
        self._last_action: np.ndarray | None = None

    @property
    def task(self) -> np.ndarray:
        """The current task parameters (a copy)."""
        return self._theta.copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        opts = check_options(options)
        self._theta, noise_rng = self._streams.begin(seed, opts, self.family)  # validates seed
        super().reset(seed=seed)
        self._xs = self.family.sample_observations(noise_rng, self._theta[None], self.horizon)[0]
        self._t = 0
        self._last = None
        self._last_action = None
        return np.zeros(self.layout.size, dtype=np.float32), {"task": self._theta.copy(), "t": 0}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = self.family.validate_action(action)
        if self._t >= self.horizon:
            raise gym.error.ResetNeeded("the episode is over: call reset() before step()")
        x = self._xs[self._t : self._t + 1]
        reward = max(float(self.family.log_likelihood(a[None], x)[0]), REWARD_FLOOR)
        self._t += 1
        lay = self.layout
        obs = np.zeros(lay.size, dtype=np.float32)
        obs[lay.features] = self.family.features(x)[0]
        obs[lay.prev_action] = a
        obs[lay.prev_reward] = reward
        if lay.time is not None:
            obs[lay.time] = self._t / self.horizon
        self._last = (float(x[0]), reward)
        self._last_action = a
        info = {"task": self._theta.copy(), "t": self._t, "sample": float(x[0])}
        return obs, reward, self._t >= self.horizon, False, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            return prediction_frame(
                self.family, self._xs, min(self._t, self.horizon), self._last_action, self.horizon
            )
        if self.render_mode != "ansi":
            return None
        last = "-" if self._last is None else f"x={self._last[0]:.3g} reward={self._last[1]:.3f}"
        return f"t={self._t}/{self.horizon} task={np.round(self._theta, 3).tolist()} last: {last}"


class MetaPredictVectorEnv(MetaVectorEnv):
    """``num_envs`` sequence-prediction envs batched in numpy; see :class:`MetaPredictEnv`."""

    kind = "prediction"

    def __init__(
        self,
        family: ConjugateFamily,
        num_envs: int = 1,
        horizon: int = DEFAULT_HORIZON,
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.family = self._prior = check_family(family)
        super().__init__(num_envs, horizon, include_time, family.task_dim)
        family.check_horizon(self.horizon)
        if render_mode is not None:
            raise invalid("render_mode", render_mode, "None for the vector env")
        self.render_mode = None
        self.layout = ObsLayout.build(family.feature_dim, family.action_dim, self.include_time)
        self.single_action_space = action_box(family, self.horizon)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (self.layout.size,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._xs = np.zeros((self.num_envs, self.horizon))

    def _draw_noise(self, rng: np.random.Generator) -> None:
        self._xs = self.family.sample_observations(rng, self._task, self.horizon)

    @property
    def samples(self) -> np.ndarray:
        """The samples of the current episodes, ``(num_envs, horizon)`` (a copy)."""
        return self._xs.copy()

    def _transition(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        a = self.family.validate_action(actions, batch=self.num_envs)
        x = self._xs[:, self._t]
        reward = np.maximum(self.family.log_likelihood(a, x), REWARD_FLOOR)
        lay = self.layout
        obs = np.empty((self.num_envs, lay.size), dtype=np.float32)
        obs[:, lay.features] = self.family.features(x)
        obs[:, lay.prev_action] = a
        obs[:, lay.prev_reward] = reward
        return obs, reward
