"""The interface of a conjugate family, the shared helpers, and the bandit prior."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, ClassVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._limits import check_memory, nbytes
from bayes_meta_envs._validate import check_int, check_real_array
from bayes_meta_envs.errors import InvalidActionError, invalid

__all__ = ["BetaBernoulliArms", "ConjugateFamily", "FloatArray", "as_batch", "log_sigmoid"]

FloatArray = NDArray[np.float64]

# Action bounds. Logits and log-parameters live in [-30, 30]: exp(30) ~ 1e13, far beyond any
# predictive a sensible agent (or the exact posterior predictive) outputs.
LOGIT_BOUND = 30.0
LOG_BOUND = 30.0


def as_batch(x: ArrayLike, dim: int, name: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 1 and arr.shape[0] == dim:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise invalid(name, arr.shape, f"an array of shape (B, {dim})")
    return arr


def log_sigmoid(x: FloatArray) -> FloatArray:
    return -np.logaddexp(0.0, -x)


# ----------------------------------------------------------------------------------------------
# the bandit prior
# ----------------------------------------------------------------------------------------------


class BetaBernoulliArms:
    """K independent Bernoulli arms with Beta(alpha_k, beta_k) priors.

    Args:
        n_arms: number of arms K >= 1.
        prior: one ``(alpha, beta)`` pair for all arms, or a ``(K, 2)`` array-like, one per arm.

    The posterior after ``s`` successes and ``f`` failures on arm ``k`` is
    ``Beta(alpha_k + s, beta_k + f)``; its mean ``(alpha_k + s) / (alpha_k + beta_k + s + f)``
    is the posterior predictive probability of a reward.
    """

    def __init__(self, n_arms: int = 2, prior: ArrayLike = (1.0, 1.0)) -> None:
        self.n_arms = check_int("n_arms", n_arms, 1)
        check_memory(nbytes(self.n_arms, 4), "the prior of every arm", n_arms=n_arms)
        self.prior = self.validate_prior(prior, self.n_arms)

    @staticmethod
    def validate_prior(prior: ArrayLike, n_arms: int) -> FloatArray:
        """Return the prior as a ``(n_arms, 2)`` float array, or raise naming ``prior``."""
        arr = check_real_array("prior", prior, "an (alpha, beta) pair or an (n_arms, 2) array")
        if arr.shape == (2,):
            arr = np.tile(arr, (n_arms, 1))
        if arr.shape != (n_arms, 2):
            raise invalid(
                "prior", prior, f"an (alpha, beta) pair or an array of shape ({n_arms}, 2)"
            )
        if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
            raise invalid("prior", prior, "made of finite (alpha, beta) values > 0")
        return arr

    @property
    def identical_arms(self) -> bool:
        """True when every arm has the same prior (the arms are exchangeable)."""
        return bool(np.all(self.prior == self.prior[0]))

    def sample_tasks(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` tasks: success probabilities of shape ``(n, K)``."""
        return rng.beta(self.prior[:, 0], self.prior[:, 1], size=(n, self.n_arms))

    def validate_task(self, task: ArrayLike, batch: int | None = None) -> FloatArray:
        """Check a task given through ``options={"task": ...}``; return it as float64."""
        arr = check_real_array("options['task']", task, "an array of arm probabilities")
        shape = (self.n_arms,) if batch is None else (batch, self.n_arms)
        if arr.shape != shape:
            raise invalid(
                "options['task']", task, f"an array of arm probabilities of shape {shape}"
            )
        if not np.all((arr >= 0) & (arr <= 1)):
            raise invalid("options['task']", task, "arm probabilities in [0, 1]")
        return arr

    def sample_noise(self, rng: np.random.Generator, n: int, horizon: int) -> FloatArray:
        """Uniforms ``u`` of shape ``(n, horizon, K)``; pulling arm a at step t pays ``u[t, a] < p_a``."""
        return rng.random((n, horizon, self.n_arms))

    def prior_stats(self) -> FloatArray:
        """Posterior counts before any pull: ``[alpha_1..alpha_K, beta_1..beta_K]``."""
        return np.concatenate([self.prior[:, 0], self.prior[:, 1]])

    def posterior_mean(self, stats: FloatArray) -> FloatArray:
        """Posterior mean of each arm, ``(B, K)``, from stats ``[alphas | betas]``."""
        k = self.n_arms
        return stats[:, :k] / (stats[:, :k] + stats[:, k:])

    def __repr__(self) -> str:
        return f"BetaBernoulliArms(n_arms={self.n_arms}, prior={self.prior.tolist()})"


# ----------------------------------------------------------------------------------------------
# sequence-prediction families
# ----------------------------------------------------------------------------------------------


class ConjugateFamily(ABC):
    """A conjugate prior/likelihood pair, vectorised over a batch. See the module docstring."""

    name: ClassVar[str]
    task_dim: int
    stats_dim: int
    feature_dim: int
    action_dim: int
    action_names: tuple[str, ...]
    #: The domain of actions (predictive parameters) that ``validate_action`` accepts.
    action_low: FloatArray
    action_high: FloatArray

    def action_box(self, horizon: int) -> tuple[FloatArray, FloatArray]:
        """``(low, high)`` of the environment's declared action space for episodes of ``horizon``
        steps: a part of the domain ``[action_low, action_high]`` that holds every Bayes-optimal
        action with a margin and where a policy that samples it uniformly pays a bounded price.
        By default the whole domain; the Gaussian and exponential families narrow it."""
        return self.action_low.copy(), self.action_high.copy()

    # --- prior and sampling ---
    @abstractmethod
    def prior_stats(self) -> FloatArray:
        """Sufficient statistics of the prior, shape ``(stats_dim,)``."""

    @abstractmethod
    def sample_tasks(self, rng: np.random.Generator, n: int) -> FloatArray:
        """Draw ``n`` task parameters from the prior, shape ``(n, task_dim)``."""

    @abstractmethod
    def sample_observations(
        self, rng: np.random.Generator, tasks: FloatArray, n_steps: int
    ) -> FloatArray:
        """Draw ``n_steps`` i.i.d. observations per task, shape ``(n, n_steps)``."""

    @abstractmethod
    def validate_task(self, task: ArrayLike, batch: int | None = None) -> FloatArray:
        """Check an explicitly given task and return it as ``(task_dim,)`` or ``(batch, task_dim)``."""

    # --- inference ---
    @abstractmethod
    def update(self, stats: FloatArray, x: FloatArray) -> FloatArray:
        """Posterior statistics after observing ``x`` (one observation per batch row)."""

    def posterior(self, stats: FloatArray, xs: FloatArray) -> FloatArray:
        """Posterior statistics after observing the sequences ``xs`` of shape ``(B, T)``."""
        for t in range(xs.shape[1]):
            stats = self.update(stats, xs[:, t])
        return stats

    @abstractmethod
    def predictive(self, stats: FloatArray) -> FloatArray:
        """The exact posterior predictive, as actions ``(B, action_dim)``."""

    @abstractmethod
    def log_likelihood(self, action: FloatArray, x: FloatArray) -> FloatArray:
        """``log q(x)`` for the predictive distribution ``q`` given by ``action``; shape ``(B,)``."""

    @abstractmethod
    def task_log_likelihood(self, tasks: FloatArray, x: FloatArray) -> FloatArray:
        """``log p(x | task)`` under the true task parameters; shape ``(B,)``."""

    @abstractmethod
    def kl(self, p: FloatArray, q: FloatArray) -> FloatArray:
        """``KL(p || q)`` between the predictives given by actions ``p`` and ``q``; ``(B,)``."""

    # --- encoding ---
    def features(self, x: FloatArray) -> FloatArray:
        """Encode observations as observation features ``(B, feature_dim)`` (default: the value)."""
        return np.asarray(x, dtype=np.float64)[:, None]

    def decode(self, features: FloatArray) -> FloatArray:
        """Inverse of :meth:`features`: the observations ``(B,)`` encoded in ``(B, feature_dim)``."""
        return np.asarray(features, dtype=np.float64)[:, 0]

    def validate_action(self, action: Any, batch: int | None = None) -> FloatArray:
        """Check an action (type, shape, NaN, range) and return it as float64, or raise."""
        shape = (self.action_dim,) if batch is None else (batch, self.action_dim)
        if isinstance(action, (str, bytes)) or action is None:
            raise InvalidActionError(f"action must be an array of shape {shape}, got {action!r}")
        try:
            raw = np.asarray(action)
        except (TypeError, ValueError):
            raw = np.asarray(None)
        if raw.dtype.kind not in "iuf":  # bools, strings, complex numbers, objects
            raise InvalidActionError(
                f"action must be a real (float) array of shape {shape}, got {action!r}"
            )
        arr = raw.astype(np.float64)
        if arr.shape != shape:
            raise InvalidActionError(
                f"action must have shape {shape} ({', '.join(self.action_names)}), "
                f"got shape {arr.shape}: {action!r}"
            )
        if np.any(np.isnan(arr)):
            raise InvalidActionError(f"action must not contain NaN, got {action!r}")
        if np.any(arr < self.action_low) or np.any(arr > self.action_high):
            raise InvalidActionError(
                f"action must lie in [{self.action_low.tolist()}, {self.action_high.tolist()}] "
                f"({', '.join(self.action_names)}), got {action!r}"
            )
        return arr

    def extreme_stats(self, horizon: int) -> list[FloatArray]:
        """Posterior statistics at the extremes of what ``horizon`` observations can reach
        (default: the prior only); :meth:`check_horizon` checks their predictives."""
        return [self.prior_stats()]

    def check_horizon(self, horizon: int) -> None:
        """Raise :class:`~bayes_meta_envs.errors.InvalidArgumentError` when the exact posterior
        predictive of an episode of ``horizon`` steps can leave the action bounds (the
        Bayes-optimal agent would then fail its own scoring): the prior is too extreme."""
        for stats in self.extreme_stats(horizon):
            with np.errstate(all="ignore"):
                action = self.predictive(np.asarray(stats, dtype=np.float64)[None])[0]
            if not (
                np.all(np.isfinite(action))
                and np.all(action >= self.action_low)
                and np.all(action <= self.action_high)
            ):
                raise invalid(
                    "prior",
                    self.hyperparameters(),
                    f"a prior whose exact predictive stays inside the action bounds "
                    f"[{self.action_low.tolist()}, {self.action_high.tolist()}] over "
                    f"{horizon} steps; after posterior statistics {np.asarray(stats).tolist()} "
                    f"it is {action.tolist()} ({', '.join(self.action_names)})",
                )

    @abstractmethod
    def hyperparameters(self) -> dict[str, Any]:
        """The prior's hyperparameters (the environment's kwargs), JSON-serialisable."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.hyperparameters().items())
        return f"{type(self).__name__}({args})"


# Action bounds. Logits and log-parameters live in [-30, 30]: exp(30) ~ 1e13, far beyond any
