"""Exact Bayes-optimal agents: the bandit's (from the dynamic programme of
:mod:`bayes_meta_envs.baselines.bandit_dp`) and the posterior-predictive predictors.

Prediction
----------
For a conjugate family the Bayes-optimal prediction is the posterior predictive
(Bernardo & Smith, *Bayesian Theory*, 1994, appendix A); :class:`BayesPredictorAgent` tracks the
posterior statistics with :meth:`ConjugateFamily.update` and outputs
:meth:`ConjugateFamily.predictive`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._validate import check_bool, check_int, check_number, check_real_array
from bayes_meta_envs.baselines.bandit_dp import BanditSolution, bayes_optimal_value, solve_bandit
from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.envs import ObsLayout
from bayes_meta_envs.errors import invalid, wrong_type
from bayes_meta_envs.families import ConjugateFamily
from bayes_meta_envs.protocol import AgentKind, BaseAgent, tie_split
from bayes_meta_envs.task import MetaTask, task_of

__all__ = [
    "BanditSolution",
    "BayesOptimalAgent",
    "BayesPredictorAgent",
    "bayes_agent",
    "bayes_optimal_value",
    "solve_bandit",
]

FloatArray = NDArray[np.float64]
_P = TypeVar("_P", bound="BayesPredictorAgent")


def bayes_agent(task: MetaTask, *, seed: int | None = None) -> BaseAgent:
    """The Bayes-optimal agent of a task: :class:`BayesOptimalAgent` for a bandit,
    :class:`BayesPredictorAgent` for a prediction task."""
    if not isinstance(task, MetaTask):
        raise wrong_type("task", task, "a MetaTask (bayes_meta_envs.task_of(env))")
    return _BAYES_AGENTS[task.kind](task, seed)


class BayesOptimalAgent(BanditBeliefAgent):
    """The exact Bayes-optimal agent of the finite-horizon K-armed Bernoulli bandit.

    State ``[alphas | betas | t]`` (see :class:`BanditBeliefAgent`); ``output`` splits the
    probability uniformly over the arms whose Q-value (from :func:`solve_bandit`) is maximal,
    within ``atol``. Exchangeable arms with equal counts get exactly equal Q-values.

    ``BayesOptimalAgent.for_env(env)`` also accepts prediction environments and then returns a
    :class:`BayesPredictorAgent`.

    Example::

        agent = BayesOptimalAgent(n_arms=2, horizon=20)
        probs = agent.output(agent.initial_state(4))   # (4, 2): [0.5, 0.5] at the prior
    """

    def __init__(
        self,
        n_arms: int = 2,
        horizon: int = 20,
        prior: ArrayLike = (1.0, 1.0),
        *,
        include_time: bool = False,
        atol: float = 1e-9,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_arms, horizon, prior, include_time=include_time, seed=seed)
        self.atol = check_number("atol", atol, 0.0, expected="a finite number >= 0")
        self.solution = solve_bandit(self.n_arms, self.horizon, self.prior)
        self._prior_stats = self.arms.prior_stats()

    @classmethod
    def for_env(  # type: ignore[override]
        cls, env: Any, *, seed: int | None = None, **env_kwargs: Any
    ) -> BaseAgent:
        """The Bayes-optimal agent of a meta-task env: instance, wrapped env, or registered id
        (with ``env_kwargs``). Bandits give a :class:`BayesOptimalAgent`, prediction tasks a
        :class:`BayesPredictorAgent`."""
        return bayes_agent(task_of(env, **env_kwargs), seed=seed)

    def q_values(self, state: np.ndarray) -> FloatArray:
        """Q-values ``(B, K)`` of the belief states ``[alphas | betas | t]``."""
        st = check_real_array("state", state, "a real array of belief states")
        if st.ndim != 2 or st.shape[1] != 2 * self.n_arms + 1:
            raise invalid("state", st.shape, f"an array of shape (B, {2 * self.n_arms + 1})")
        if not np.all(np.isfinite(st)):
            raise invalid("state", st, "finite belief states (no NaN or inf)")
        k = self.n_arms
        counts = st[:, : 2 * k] - self._prior_stats
        ci = np.rint(counts)
        t = ci.sum(axis=1)
        if (
            np.abs(counts - ci).max() > 1e-6
            or ci.min() < 0
            or t.max() > self.horizon
            or np.abs(t - st[:, 2 * k]).max() > 1e-6
        ):
            raise invalid(
                "state",
                st,
                f"belief states [alphas | betas | t] reached from the prior by at most "
                f"horizon={self.horizon} pulls, t counting them",
            )
        c = ci.astype(np.int64)
        return self.solution._lookup(c[:, :k], c[:, k:], t.astype(np.int64))

    def output(self, state: np.ndarray) -> FloatArray:
        return tie_split(self.q_values(state), atol=self.atol)

    @property
    def value(self) -> float:
        """Expected total reward of this agent from the prior (:func:`bayes_optimal_value`)."""
        return self.solution.value


class BayesPredictorAgent(BaseAgent):
    """The Bayes-optimal predictor of a conjugate sequence-prediction task.

    State ``[posterior stats | t]`` where ``t`` counts the ``update`` calls of the episode. The
    first update receives the reset observation and only advances ``t``; every later one decodes
    the previous sample ``x = family.decode(obs[:, layout.features])`` and applies
    ``family.update``. ``output`` is the exact posterior predictive ``family.predictive(stats)``,
    expressed as the environment's action.
    """

    kind: AgentKind = "prediction"

    def __init__(
        self,
        family: ConjugateFamily,
        horizon: int = 20,
        *,
        include_time: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if not isinstance(family, ConjugateFamily):
            raise wrong_type("family", family, "a ConjugateFamily")
        self.family = family
        self.horizon = check_int("horizon", horizon, 1)
        self.include_time = check_bool("include_time", include_time)
        self.layout = ObsLayout.build(family.feature_dim, family.action_dim, self.include_time)

    @classmethod
    def for_env(cls: type[_P], env: Any, *, seed: int | None = None, **env_kwargs: Any) -> _P:
        """The predictor of a prediction env (instance, wrapped env or registered id)."""
        task = task_of(env, **env_kwargs)
        task.require("prediction", env)
        return cls(task.family, task.horizon, include_time=task.include_time, seed=seed)

    def initial_state(self, batch_size: int) -> FloatArray:
        s = np.concatenate([self.family.prior_stats(), [0.0]])
        return np.tile(s, (int(batch_size), 1))

    def update(self, state: np.ndarray, obs: np.ndarray) -> FloatArray:
        st = check_real_array("state", state, "a real array of belief states")
        ob = check_real_array("obs", obs, "a real array of observations")
        d = self.family.stats_dim
        if st.ndim != 2 or st.shape[1] != d + 1:
            raise invalid("state", st.shape, f"an array of shape (B, {d + 1})")
        if ob.ndim != 2 or ob.shape != (st.shape[0], self.layout.size):
            raise invalid("obs", ob.shape, f"an array of shape ({st.shape[0]}, {self.layout.size})")
        stats = st[:, :d]
        seen = st[:, d] > 0.5  # rows past the reset observation: obs carries a sample
        out = st.copy()
        if np.any(seen):
            x = self.family.decode(ob[seen][:, self.layout.features])
            out[seen, :d] = self.family.update(stats[seen], x)
        out[:, d] += 1.0
        return out

    def posterior(self, state: np.ndarray) -> FloatArray:
        """The posterior statistics ``(B, stats_dim)`` held in ``state``."""
        return np.asarray(state, dtype=np.float64)[:, : self.family.stats_dim]

    def output(self, state: np.ndarray) -> FloatArray:
        return self.family.predictive(self.posterior(state))

    def __repr__(self) -> str:
        return f"{self.name}(family={self.family!r}, horizon={self.horizon})"


def _bandit_bayes(task: MetaTask, seed: int | None) -> BaseAgent:
    arms = task.arms
    return BayesOptimalAgent(
        arms.n_arms, task.horizon, arms.prior, include_time=task.include_time, seed=seed
    )


def _predictor_bayes(task: MetaTask, seed: int | None) -> BaseAgent:
    return BayesPredictorAgent(task.family, task.horizon, include_time=task.include_time, seed=seed)


#: The Bayes-optimal agent of each kind of task (what :func:`bayes_agent` builds).
_BAYES_AGENTS: dict[str, Callable[[MetaTask, int | None], BaseAgent]] = {
    "bandit": _bandit_bayes,
    "prediction": _predictor_bayes,
}
