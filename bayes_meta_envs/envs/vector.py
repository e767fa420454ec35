"""Native numpy-batched vector versions of the meta-task environments.

``gym.make_vec(id, num_envs=N, vectorization_mode="vector_entry_point")`` builds these. Every
sub-environment runs the same fixed horizon, so all of them end their episodes on the same step
and reset together (gymnasium's next-step autoreset: the step after ``terminated`` returns the
first observation of the next episode, with reward 0, and ignores its action).

Reproducibility contract: a vector env of ``N`` envs draws its tasks and noise from the same two
generators, in the same order, as ``N`` consecutive episodes of the single env. Under the same
seed, sub-env ``i``'s ``k``-th episode is the single env's episode ``k * N + i``.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space
from numpy.typing import ArrayLike

from bayes_meta_envs.envs._common import (
    DEFAULT_HORIZON,
    TaskPrior,
    TaskStreams,
    check_bool,
    check_horizon,
    check_num_envs,
    check_options,
)
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.envs.prediction import categorical_alpha
from bayes_meta_envs.errors import InvalidActionError, invalid
from bayes_meta_envs.families import (
    BetaBernoulli,
    BetaBernoulliArms,
    ConjugateFamily,
    DirichletCategorical,
    GammaExponential,
    NormalNormal,
)

__all__ = [
    "MetaBanditVectorEnv",
    "MetaPredictBernoulliVectorEnv",
    "MetaPredictCategoricalVectorEnv",
    "MetaPredictExponentialVectorEnv",
    "MetaPredictGaussianVectorEnv",
    "MetaPredictVectorEnv",
]


class _MetaVectorEnv(VectorEnv):
    """Shared machinery: seeding, synchronous episodes, next-step autoreset."""

    metadata = {"autoreset_mode": AutoresetMode.NEXT_STEP}  # noqa: RUF012
    kind: str
    layout: ObsLayout
    _prior: TaskPrior

    def __init__(self, num_envs: int, horizon: int, include_time: bool, task_dim: int) -> None:
        self.num_envs = check_num_envs(num_envs)
        self.horizon = check_horizon(horizon)
        self.include_time = check_bool("include_time", include_time)
        self._rows = np.arange(self.num_envs)
        self._streams = TaskStreams()
        self._task = np.zeros((self.num_envs, task_dim))
        self._t = 0
        self._needs_reset = True

    @property
    def task(self) -> np.ndarray:
        """The current tasks, ``(num_envs, task_dim)`` (a copy)."""
        return self._task.copy()

    def make_vector(self, num_envs: int) -> _MetaVectorEnv:
        """A native vector env with this env's configuration and ``num_envs`` sub-envs."""
        raise NotImplementedError

    def _draw_noise(self, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _start_episodes(
        self, seed: int | None, options: dict[str, Any]
    ) -> tuple[np.ndarray, dict[str, Any]]:
        self._task, noise_rng = self._streams.begin(seed, options, self._prior, self.num_envs)
        self._draw_noise(noise_rng)
        self._t = 0
        self._needs_reset = False
        obs = np.zeros((self.num_envs, self.layout.size), dtype=np.float32)
        return obs, {"task": self._task.copy(), "t": np.zeros(self.num_envs, dtype=np.int64)}

    def reset(
        self,
        *,
        seed: int | list[int | None] | None = None,
        options: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        opts = check_options(options)
        mask = opts.get("reset_mask")
        if mask is not None and not np.all(mask):
            raise invalid(
                "options['reset_mask']",
                mask,
                "all True: the sub-envs share one horizon and reset together",
            )
        if isinstance(seed, (list, tuple)):
            raise invalid(
                "seed",
                seed,
                "an int or None: a native vector env derives all sub-env streams from one seed",
            )
        return self._start_episodes(seed, opts)

    def _transition(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def step(
        self, actions: Any
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if not self._streams.started:
            raise gym.error.ResetNeeded("call reset() before step()")
        done = np.zeros(self.num_envs, dtype=np.bool_)
        if self._needs_reset:
            obs, info = self._start_episodes(None, {})
            return obs, np.zeros(self.num_envs), done, done.copy(), info
        obs, reward = self._transition(actions)
        self._t += 1
        if self.include_time:
            obs[:, self.layout.time] = self._t / self.horizon
        terminated = np.full(self.num_envs, self._t >= self.horizon)
        self._needs_reset = bool(terminated[0])
        info = {"task": self._task.copy(), "t": np.full(self.num_envs, self._t, dtype=np.int64)}
        return obs, reward, terminated, done, info


class MetaBanditVectorEnv(_MetaVectorEnv):
    """``num_envs`` MetaBandit-v0 envs batched in numpy; see :class:`MetaBanditEnv` for the task.

    Actions: an integer array of shape ``(num_envs,)``. Observations ``(num_envs, K + 1 [+ 1])``.
    """

    kind = "bandit"

    def __init__(
        self,
        num_envs: int = 1,
        n_arms: int = 2,
        horizon: int = DEFAULT_HORIZON,
        prior: ArrayLike = (1.0, 1.0),
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.arms = self._prior = BetaBernoulliArms(n_arms, prior)
        self.n_arms = self.arms.n_arms
        self.prior = self.arms.prior
        super().__init__(num_envs, horizon, include_time, self.n_arms)
        if render_mode is not None:
            raise invalid("render_mode", render_mode, "None for the vector env")
        self.render_mode = None
        self.layout = ObsLayout.build(0, self.n_arms, self.include_time)
        self.single_action_space = spaces.Discrete(self.n_arms)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(0.0, 1.0, (self.layout.size,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._rewards = np.zeros((self.num_envs, self.horizon, self.n_arms))

    def make_vector(self, num_envs: int) -> MetaBanditVectorEnv:
        return MetaBanditVectorEnv(
            num_envs, self.n_arms, self.horizon, self.prior, self.include_time
        )

    def _draw_noise(self, rng: np.random.Generator) -> None:
        u = self.arms.sample_noise(rng, self.num_envs, self.horizon)
        self._rewards = (u < self._task[:, None, :]).astype(np.float64)

    def _transition(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        a = np.asarray(actions)
        if a.shape != (self.num_envs,) or a.dtype.kind not in "iu":
            raise InvalidActionError(
                f"actions must be an int array of shape ({self.num_envs},), got {actions!r}"
            )
        if a.min() < 0 or a.max() >= self.n_arms:
            raise InvalidActionError(f"actions must be ints in [0, {self.n_arms}), got {actions!r}")
        reward = self._rewards[self._rows, self._t, a]
        obs = np.zeros((self.num_envs, self.layout.size), dtype=np.float32)
        obs[self._rows, a] = 1.0
        obs[:, self.n_arms] = reward
        return obs, reward


class MetaPredictVectorEnv(_MetaVectorEnv):
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
        self.family = self._prior = family
        super().__init__(num_envs, horizon, include_time, family.task_dim)
        if render_mode is not None:
            raise invalid("render_mode", render_mode, "None for the vector env")
        self.render_mode = None
        self.layout = ObsLayout.build(family.feature_dim, family.action_dim, self.include_time)
        self.single_action_space = spaces.Box(
            family.action_low.astype(np.float32),
            family.action_high.astype(np.float32),
            (family.action_dim,),
            np.float32,
        )
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.single_observation_space = spaces.Box(-np.inf, np.inf, (self.layout.size,), np.float32)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self._xs = np.zeros((self.num_envs, self.horizon))

    def make_vector(self, num_envs: int) -> MetaPredictVectorEnv:
        return MetaPredictVectorEnv(self.family, num_envs, self.horizon, self.include_time)

    def _draw_noise(self, rng: np.random.Generator) -> None:
        self._xs = self.family.sample_observations(rng, self._task, self.horizon)

    @property
    def samples(self) -> np.ndarray:
        """The samples of the current episodes, ``(num_envs, horizon)`` (a copy)."""
        return self._xs.copy()

    def _transition(self, actions: Any) -> tuple[np.ndarray, np.ndarray]:
        a = self.family.validate_action(actions, batch=self.num_envs)
        x = self._xs[:, self._t]
        reward = self.family.log_likelihood(a, x)
        lay = self.layout
        obs = np.empty((self.num_envs, lay.size), dtype=np.float32)
        obs[:, lay.features] = self.family.features(x)
        obs[:, lay.prev_action] = a
        obs[:, lay.prev_reward] = reward
        return obs, reward


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
