"""Discrete observations: Beta-Bernoulli and Dirichlet-categorical."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike
from scipy import special

from bayes_meta_envs._validate import check_positive, check_real_array
from bayes_meta_envs.errors import invalid
from bayes_meta_envs.families.base import (
    LOGIT_BOUND,
    ConjugateFamily,
    FloatArray,
    log_sigmoid,
)

__all__ = ["BetaBernoulli", "DirichletCategorical"]


class BetaBernoulli(ConjugateFamily):
    """theta ~ Beta(alpha, beta); x_t ~ Bernoulli(theta).

    Stats ``(a, b)``: posterior Beta(a, b), updated ``a += x, b += 1 - x``.
    Predictive: Bernoulli(a / (a + b)); action: the logit ``log a - log b``.
    """

    name = "bernoulli"

    def __init__(self, alpha: float = 1.0, beta: float = 1.0) -> None:
        self.alpha = check_positive("alpha", alpha)
        self.beta = check_positive("beta", beta)
        self.task_dim, self.stats_dim, self.feature_dim, self.action_dim = 1, 2, 1, 1
        self.action_names = ("logit of P(x=1)",)
        self.action_low = np.array([-LOGIT_BOUND])
        self.action_high = np.array([LOGIT_BOUND])

    def hyperparameters(self) -> dict[str, Any]:
        return {"alpha": self.alpha, "beta": self.beta}

    def extreme_stats(self, horizon: int) -> list[FloatArray]:
        a, b = self.alpha, self.beta
        return [np.array([a, b]), np.array([a + horizon, b]), np.array([a, b + horizon])]

    def prior_stats(self) -> FloatArray:
        return np.array([self.alpha, self.beta])

    def sample_tasks(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.beta(self.alpha, self.beta, size=(n, 1))

    def validate_task(self, task: ArrayLike, batch: int | None = None) -> FloatArray:
        arr = check_real_array("options['task']", task, "a real probability").reshape(
            (-1, 1) if batch else (-1,)
        )
        shape = (1,) if batch is None else (batch, 1)
        if arr.shape != shape or not np.all((arr >= 0) & (arr <= 1)):
            raise invalid("options['task']", task, f"a probability in [0, 1] of shape {shape}")
        return arr

    def sample_observations(
        self, rng: np.random.Generator, tasks: FloatArray, n_steps: int
    ) -> FloatArray:
        return (rng.random((tasks.shape[0], n_steps)) < tasks[:, :1]).astype(np.float64)

    def update(self, stats: FloatArray, x: FloatArray) -> FloatArray:
        return stats + np.stack([x, 1.0 - x], axis=-1)

    def predictive(self, stats: FloatArray) -> FloatArray:
        return (np.log(stats[:, 0]) - np.log(stats[:, 1]))[:, None]

    def log_likelihood(self, action: FloatArray, x: FloatArray) -> FloatArray:
        logit = action[:, 0]
        return np.where(x > 0.5, log_sigmoid(logit), log_sigmoid(-logit))

    def task_log_likelihood(self, tasks: FloatArray, x: FloatArray) -> FloatArray:
        p = tasks[:, 0]
        with np.errstate(divide="ignore"):
            return np.where(x > 0.5, np.log(p), np.log1p(-p))

    def kl(self, p: FloatArray, q: FloatArray) -> FloatArray:
        lp, lq = p[:, 0], q[:, 0]
        pp = special.expit(lp)
        return pp * (log_sigmoid(lp) - log_sigmoid(lq)) + (1 - pp) * (
            log_sigmoid(-lp) - log_sigmoid(-lq)
        )


class DirichletCategorical(ConjugateFamily):
    """theta ~ Dirichlet(alpha); x_t ~ Categorical(theta) over ``K = len(alpha)`` categories.

    Stats: the posterior Dirichlet parameters, ``alpha[x] += 1`` per observation.
    Predictive: Categorical(alpha / sum(alpha)); action: ``K`` logits ``log alpha`` (any shift of
    the logits gives the same distribution). Observation features: one-hot of ``x``.
    """

    name = "categorical"

    def __init__(self, alpha: ArrayLike = (1.0, 1.0, 1.0)) -> None:
        arr = check_real_array("alpha", alpha, "a sequence of positive numbers")
        if arr.ndim != 1 or arr.shape[0] < 2:
            raise invalid("alpha", alpha, "a sequence of at least 2 concentration parameters")
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise invalid("alpha", alpha, "made of finite numbers > 0")
        self.alpha = arr
        k = arr.shape[0]
        self.n_categories = k
        self.task_dim, self.stats_dim, self.feature_dim, self.action_dim = k, k, k, k
        self.action_names = tuple(f"logit {i}" for i in range(k))
        self.action_low = np.full(k, -LOGIT_BOUND)
        self.action_high = np.full(k, LOGIT_BOUND)

    def hyperparameters(self) -> dict[str, Any]:
        return {"alpha": self.alpha.tolist()}

    def extreme_stats(self, horizon: int) -> list[FloatArray]:
        return [self.alpha.copy()] + [
            self.alpha + horizon * np.eye(self.n_categories)[k] for k in range(self.n_categories)
        ]

    def prior_stats(self) -> FloatArray:
        return self.alpha.copy()

    def sample_tasks(self, rng: np.random.Generator, n: int) -> FloatArray:
        return rng.dirichlet(self.alpha, size=n)

    def validate_task(self, task: ArrayLike, batch: int | None = None) -> FloatArray:
        arr = check_real_array("options['task']", task, "real probability vectors")
        shape = (self.n_categories,) if batch is None else (batch, self.n_categories)
        if (
            arr.shape != shape
            or not np.all(arr >= 0)
            or not np.allclose(arr.sum(axis=-1), 1.0, atol=1e-8)
        ):
            raise invalid("options['task']", task, f"probability vectors of shape {shape}")
        return arr

    def sample_observations(
        self, rng: np.random.Generator, tasks: FloatArray, n_steps: int
    ) -> FloatArray:
        u = rng.random((tasks.shape[0], n_steps))
        cdf = np.cumsum(tasks, axis=1)
        x = (u[:, :, None] >= cdf[:, None, :-1]).sum(axis=-1)
        return x.astype(np.float64)

    def update(self, stats: FloatArray, x: FloatArray) -> FloatArray:
        out = stats.copy()
        out[np.arange(stats.shape[0]), x.astype(np.intp)] += 1.0
        return out

    def predictive(self, stats: FloatArray) -> FloatArray:
        return np.log(stats)

    def log_likelihood(self, action: FloatArray, x: FloatArray) -> FloatArray:
        logp = action - special.logsumexp(action, axis=1, keepdims=True)
        return logp[np.arange(action.shape[0]), x.astype(np.intp)]

    def task_log_likelihood(self, tasks: FloatArray, x: FloatArray) -> FloatArray:
        with np.errstate(divide="ignore"):
            return np.log(tasks[np.arange(tasks.shape[0]), x.astype(np.intp)])

    def kl(self, p: FloatArray, q: FloatArray) -> FloatArray:
        logp = p - special.logsumexp(p, axis=1, keepdims=True)
        logq = q - special.logsumexp(q, axis=1, keepdims=True)
        return np.sum(np.exp(logp) * (logp - logq), axis=1)

    def features(self, x: FloatArray) -> FloatArray:
        out = np.zeros((x.shape[0], self.n_categories))
        out[np.arange(x.shape[0]), x.astype(np.intp)] = 1.0
        return out

    def decode(self, features: FloatArray) -> FloatArray:
        return np.argmax(features, axis=1).astype(np.float64)
