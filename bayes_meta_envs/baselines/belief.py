"""The base of the bandit baselines: an agent whose state is the Beta posterior of every arm."""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike

from bayes_meta_envs._validate import check_bool, check_int
from bayes_meta_envs.envs import ObsLayout
from bayes_meta_envs.families import BetaBernoulliArms
from bayes_meta_envs.protocol import AgentKind, BaseAgent
from bayes_meta_envs.task import task_of

__all__ = ["BanditBeliefAgent"]

_A = TypeVar("_A", bound="BanditBeliefAgent")


class BanditBeliefAgent(BaseAgent):
    """Base of bandit agents whose state is the Beta posterior of every arm and the time step.

    State layout ``(B, 2K + 1)``: ``[alpha_1..alpha_K | beta_1..beta_K | t]`` where ``t`` counts
    the pulls consumed so far. ``update`` reads the previous action (one-hot) and reward from the
    observation; the reset observation (all zeros) leaves the state unchanged.
    """

    kind: AgentKind = "bandit"

    def __init__(
        self,
        n_arms: int = 2,
        horizon: int = 20,
        prior: ArrayLike = (1.0, 1.0),
        *,
        include_time: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        self.arms = BetaBernoulliArms(n_arms, prior)
        self.n_arms = self.arms.n_arms
        self.horizon = check_int("horizon", horizon, 1)
        self.prior = self.arms.prior
        self.include_time = check_bool("include_time", include_time)
        self.layout = ObsLayout.build(0, self.n_arms, self.include_time)

    @classmethod
    def for_env(cls: type[_A], env: Any, **kwargs: Any) -> _A:
        """Build the agent for a bandit env (instance, wrapped env, registered id or
        :class:`~bayes_meta_envs.task.MetaTask`); ``kwargs`` go to the constructor."""
        task = task_of(env)
        task.require("bandit", env)
        return cls(
            n_arms=task.n_arms,
            horizon=task.horizon,
            prior=task.arms.prior,
            include_time=task.include_time,
            **kwargs,
        )

    def initial_state(self, batch_size: int) -> np.ndarray:
        s = np.concatenate([self.arms.prior_stats(), [0.0]])
        return np.tile(s, (int(batch_size), 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> np.ndarray:
        k = self.n_arms
        onehot = obs[:, self.layout.prev_action]
        pulled = onehot.sum(axis=1) > 0.5
        r = obs[:, self.layout.prev_reward]
        out = np.array(state, dtype=np.float64, copy=True)
        out[:, :k] += onehot * r[:, None]
        out[:, k : 2 * k] += onehot * (1.0 - r[:, None])
        out[:, 2 * k] += pulled
        return out

    def counts(self, state: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(alphas (B, K), betas (B, K), t (B,))`` read from a state."""
        k = self.n_arms
        return state[:, :k], state[:, k : 2 * k], state[:, 2 * k]

    def __repr__(self) -> str:
        return f"{self.name}(n_arms={self.n_arms}, horizon={self.horizon})"
