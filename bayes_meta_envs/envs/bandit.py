"""MetaBandit: the K-armed Bernoulli meta-bandit of Mikulik et al. (2020), single and vector."""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.vector.utils import batch_space
from numpy.typing import ArrayLike

from bayes_meta_envs._validate import StrictArguments, check_bool, check_int
from bayes_meta_envs.envs._base import (
    DEFAULT_HORIZON,
    MetaVectorEnv,
    TaskStreams,
    check_episode_memory,
    check_options,
    check_render_mode,
)
from bayes_meta_envs.envs._render import bandit_frame
from bayes_meta_envs.envs.layout import ObsLayout
from bayes_meta_envs.errors import InvalidActionError, invalid
from bayes_meta_envs.families import BetaBernoulliArms

__all__ = ["MetaBanditEnv", "MetaBanditVectorEnv", "check_discrete_action"]


def check_discrete_action(action: Any, n: int) -> int:
    """Return ``action`` as an int in ``[0, n)``, or raise :class:`InvalidActionError`."""
    if isinstance(action, np.ndarray) and action.shape == ():
        action = action[()]
    if isinstance(action, (bool, np.bool_)) or not isinstance(action, (int, np.integer)):
        raise InvalidActionError(
            f"action must be an int in [0, {n}), got {action!r} of type {type(action).__name__}"
        )
    if not 0 <= action < n:
        raise InvalidActionError(f"action must be an int in [0, {n}), got {action!r}")
    return int(action)


class MetaBanditEnv(StrictArguments, gym.Env[np.ndarray, np.int64]):
    """
    ## Description

    A K-armed Bernoulli bandit whose arm probabilities are resampled from a Beta prior at every
    episode, as in Mikulik et al., "Meta-trained agents implement Bayes-optimal agents" (NeurIPS
    2020). An agent that sees its previous action and reward can learn, across episodes, to
    explore and exploit within one; the best it can do is the Bayes-optimal policy.

    ## Task Distribution

    At each reset, ``p_k ~ Beta(alpha_k, beta_k)`` independently for every arm ``k`` (default
    ``Beta(1, 1)``, uniform). The task is fixed for the whole episode and reported in
    ``info["task"]``.

    ## Action Space

    ``Discrete(n_arms)``: the arm to pull. Anything else (a float, an out-of-range int, an array)
    raises :class:`~bayes_meta_envs.errors.InvalidActionError`.

    ## Observation Space

    ``Box(0, 1, (n_arms + 1 [+ 1],), float32)`` laid out as
    ``[one-hot previous action | previous reward | (t / horizon)]``; zeros at reset. See
    :class:`~bayes_meta_envs.envs.layout.ObsLayout` (``env.unwrapped.layout``).

    ## Rewards

    Pulling arm ``a`` at step ``t`` pays ``1`` if ``u[t, a] < p_a`` else ``0``, where the uniforms
    ``u`` of shape ``(horizon, n_arms)`` are drawn at reset (common random numbers: two agents on
    the same seed face the same task and the same luck).

    ## Starting State

    A new task and new noise; the observation is all zeros.

    ## Episode End

    ``terminated=True`` after ``horizon`` steps (the horizon is part of the problem). There is no
    truncation. Stepping a finished episode raises ``gymnasium.error.ResetNeeded``.

    ## Arguments

    * ``n_arms`` (int, default 2): number of arms, >= 1.
    * ``horizon`` (int, default 20): steps per episode, >= 1.
    * ``prior``: one ``(alpha, beta)`` pair for all arms or a ``(n_arms, 2)`` array, all > 0.
    * ``include_time`` (bool, default False): append ``t / horizon`` to the observation.
    * ``render_mode``: ``None``, ``"ansi"`` (one line of text) or ``"rgb_array"`` (a small
      ``uint8`` frame: per arm, its pulls this episode with successes in green and failures in
      red, its true ``p_k`` as an orange tick, the last pulled arm framed in the colour of its
      reward, and the episode's progress along the top).

    ``reset(seed=s)`` derives independent task and noise generators with
    ``numpy.random.SeedSequence(s).spawn(2)``; ``reset(options={"task": p})`` sets the arm
    probabilities explicitly.

    ## Bayes-Optimal Reference

    The exact finite-horizon Bayes-optimal policy, by dynamic programming over posterior counts:
    :class:`bayes_meta_envs.baselines.BayesOptimalAgent` and
    :func:`bayes_meta_envs.baselines.bayes_optimal_value` (12.431 for the defaults: the
    Bayes-optimal regret is 0.902 against an oracle that knows ``p``, whose value is 40/3).

    ## Example

    >>> import gymnasium as gym
    >>> import bayes_meta_envs
    >>> env = gym.make("MetaBandit-v0", n_arms=2)
    >>> obs, info = env.reset(seed=0)
    >>> obs
    array([0., 0., 0.], dtype=float32)
    >>> obs, reward, terminated, truncated, info = env.step(1)
    >>> obs[:2].tolist(), reward in (0.0, 1.0), terminated
    ([0.0, 1.0], True, False)

    ## Version History

    * v0: initial version.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}  # noqa: RUF012
    kind = "bandit"

    def __init__(
        self,
        n_arms: int = 2,
        horizon: int = DEFAULT_HORIZON,
        prior: ArrayLike = (1.0, 1.0),
        include_time: bool = False,
        render_mode: str | None = None,
    ) -> None:
        self.arms = BetaBernoulliArms(n_arms, prior)
        self.n_arms = self.arms.n_arms
        self.prior = self.arms.prior
        self.horizon = check_int("horizon", horizon, 1)
        check_episode_memory(1, self.horizon, self.n_arms, n_arms=n_arms, horizon=horizon)
        self.include_time = check_bool("include_time", include_time)
        self.render_mode = check_render_mode(render_mode)
        self.layout = ObsLayout.build(0, self.n_arms, self.include_time)
        self.action_space = spaces.Discrete(self.n_arms)
        self.observation_space = spaces.Box(0.0, 1.0, (self.layout.size,), np.float32)
        self._streams = TaskStreams()
        self._p = np.zeros(self.n_arms)
        self._rewards = np.zeros((self.horizon, self.n_arms))
        self._t = self.horizon
        self._last: tuple[int, float] | None = None
        self._pulls = np.zeros(self.n_arms)
        self._successes = np.zeros(self.n_arms)

    @property
    def task(self) -> np.ndarray:
        """The current arm probabilities ``p`` (a copy)."""
        return self._p.copy()

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        opts = check_options(options)
        self._p, noise_rng = self._streams.begin(seed, opts, self.arms)  # validates seed first
        super().reset(seed=seed)
        u = self.arms.sample_noise(noise_rng, 1, self.horizon)[0]
        self._rewards = (u < self._p).astype(np.float64)
        self._t = 0
        self._last = None
        self._pulls = np.zeros(self.n_arms)
        self._successes = np.zeros(self.n_arms)
        return np.zeros(self.layout.size, dtype=np.float32), {"task": self._p.copy(), "t": 0}

    def step(self, action: Any) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        a = check_discrete_action(action, self.n_arms)
        if self._t >= self.horizon:
            raise gym.error.ResetNeeded("the episode is over: call reset() before step()")
        reward = float(self._rewards[self._t, a])
        self._t += 1
        obs = np.zeros(self.layout.size, dtype=np.float32)
        obs[a] = 1.0
        obs[self.n_arms] = reward
        if self.include_time:
            obs[-1] = self._t / self.horizon
        self._last = (a, reward)
        if self.render_mode == "rgb_array":  # what the frame shows (kept off the fast path)
            self._pulls[a] += 1
            self._successes[a] += reward
        info = {"task": self._p.copy(), "t": self._t, "expected_reward": float(self._p[a])}
        return obs, reward, self._t >= self.horizon, False, info

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "rgb_array":
            return bandit_frame(
                self._pulls, self._successes, self._p, self._last, self._t, self.horizon
            )
        if self.render_mode != "ansi":
            return None
        probs = ", ".join(f"{p:.2f}" for p in self._p)
        last = "-" if self._last is None else f"arm {self._last[0]} -> {self._last[1]:.0f}"
        return f"t={self._t}/{self.horizon} p=[{probs}] last: {last}"


class MetaBanditVectorEnv(MetaVectorEnv):
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
