"""A certified bracket on the Bayes-optimal value of the Bernoulli bandit at any size.

:func:`bayes_value_bounds` returns ``ValueBounds(lower, upper, exact)`` with
``lower <= V* <= upper`` for the K-armed Bernoulli bandit with Beta priors over H pulls:

* where the exact DP fits (:func:`~bayes_meta_envs.baselines.solve_bandit` under its memory
  limit), ``lower == upper == V*`` and ``exact`` is true;
* otherwise ``lower`` is the value of the reference policy, the finite-horizon Gittins index
  (:class:`~bayes_meta_envs.baselines.FiniteGittinsAgent`), estimated by Monte Carlo: ``lower``
  is the estimate minus the half-width of its 95% interval (a one-sided 97.5% confidence bound,
  the only part of the bracket that is not certain), the estimate itself is ``reference_value``.
  The estimate uses the regret as a control variate: ``V_ref = H E[max_k p_k] - E[regret]`` with
  ``E[max_k p_k]`` computed by quadrature, so its interval only carries the regret's spread;
* ``upper`` is the least of three upper bounds (all in ``upper_candidates``): the
  perfect-information bound ``H E[max_k p_k]`` (the trivial one), the information relaxation
  with a penalty of :mod:`~bayes_meta_envs.baselines.info_relaxation` (a Monte Carlo estimate
  plus 1.96 standard errors, so a 97.5% one-sided confidence bound; tight where few arms meet a
  long horizon), and the Lagrangian (Whittle-type) relaxation of the one-pull-per-period constraint
  (Whittle 1988; Hawkins 2003; Brown & Smith, "Optimal sequential exploration: bandits,
  clairvoyants, and wildcats", Oper. Res. 61, 2013, section 4; Adelman & Mersereau 2008 for
  per-period prices). With a price ``lambda_t >= 0`` per period the arms decouple, and weak
  duality gives, for every ``lambda``::

      V* <= sum_t lambda_t + sum_k W_k(lambda)
      W_k:  W_H = 0,
            W_t(s, f) = max( W_{t+1}(s, f),                                  (arm k idles)
                             p - lambda_t + p W_{t+1}(s + 1, f) + (1 - p) W_{t+1}(s, f + 1) )

  a single-arm DP over ``(t, s, f)``, ``p = (alpha_k + s) / (alpha_k + beta_k + s + f)``. The
  bound is convex in ``lambda``; it is minimised by L-BFGS-B on a smoothed bound (the maximum
  replaced by ``tau log(e^(x/tau) + e^(y/tau)) >= max``, so every smoothed value is itself an
  upper bound), with ``tau`` decreasing, and the certified value is the plain bound at the final
  prices. Past 100 pulls (where one pass of the single-arm DP takes seconds) the prices start
  from those of the same problem over 100 pulls, stretched in time, and get 8 iterations of the
  plain bound: still a valid bound, less tight. Arms with identical priors share one DP. It is
  tight where the arms outnumber what the horizon explores.

Cost: the single-arm DP has ``H^3 / 6`` states; K = 10, H = 100 takes about 15 seconds, H = 500
a few minutes per distinct prior (each pass several seconds).
"""

from __future__ import annotations

import functools
import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import optimize, special

from bayes_meta_envs._validate import check_int, check_seed
from bayes_meta_envs.baselines.bandit_dp import solve_bandit
from bayes_meta_envs.baselines.finite_gittins import FiniteGittinsAgent
from bayes_meta_envs.baselines.info_relaxation import (
    MAX_WORK,
    expected_max_mean,
    information_relaxation_bound,
)
from bayes_meta_envs.baselines.limits import check_dp_size
from bayes_meta_envs.errors import ProblemTooLargeError, invalid
from bayes_meta_envs.families import BetaBernoulliArms
from bayes_meta_envs.protocol import tie_split
from bayes_meta_envs.task import MetaTask

__all__ = [
    "ValueBounds",
    "bayes_value_bounds",
    "dp_fits",
    "expected_max_mean",
    "lagrangian_bound",
]

FloatArray = NDArray[np.float64]

#: Largest horizon of the Lagrangian bound (its single-arm DP keeps H^3 / 3 floats: 576 MB at 600).
MAX_BOUND_HORIZON = 600
_TAUS = (0.05, 0.01, 0.002)
_COARSE_HORIZON = 100  # above it, prices start from this horizon's and are refined briefly
_LONG_ITERATIONS = 8


class ValueBounds(NamedTuple):
    """A bracket ``lower <= V* <= upper`` on the Bayes-optimal value (module docstring).

    Attributes:
        lower: the exact value (``exact``), else the reference policy's Monte Carlo estimate
            minus its 95% half-width (a 97.5% one-sided confidence bound).
        upper: a provable upper bound (the exact value, or the Lagrangian bound).
        exact: whether both are the exact DP value.
        reference_value, reference_ci95: the reference policy's value and its 95% half-width
            (0 when exact).
        perfect_information: ``H E[max_k p_k]``, the trivial upper bound.
        lower_method, upper_method: how each side was obtained.
        upper_candidates: every upper bound computed, ``(name, value)``; ``upper`` is the least
            (empty when exact).
    """

    lower: float
    upper: float
    exact: bool
    reference_value: float
    reference_ci95: float
    perfect_information: float
    lower_method: str
    upper_method: str
    upper_candidates: tuple[tuple[str, float], ...] = ()

    @property
    def width(self) -> float:
        """``upper - lower``."""
        return self.upper - self.lower


# ----------------------------------------------------------------------------------------------
# the Lagrangian bound
# ----------------------------------------------------------------------------------------------


def _arm_pass(alpha: float, beta: float, lam: FloatArray, tau: float) -> tuple[float, FloatArray]:
    """``(W_0, d W_0 / d lambda)`` of one arm; ``tau > 0`` smooths the maximum (soft idling)."""
    h = lam.shape[0]
    side = np.arange(h + 1, dtype=np.float64)
    p_sq = (alpha + side[:, None]) / (alpha + beta + side[:, None] + side[None, :])
    w = np.zeros((h + 1, h + 1))
    pulls: list[FloatArray] = []
    for t in range(h - 1, -1, -1):  # layer t: s, f in [0, t] (s + f <= t)
        p = p_sq[: t + 1, : t + 1]
        ws, wf, idle = w[1 : t + 2, : t + 1], w[: t + 1, 1 : t + 2], w[: t + 1, : t + 1]
        pull = p - lam[t] + wf + p * (ws - wf)
        if tau > 0:
            z = (pull - idle) / tau
            prob = special.expit(z)
            new = idle + tau * np.logaddexp(0.0, z)
        else:
            prob = (pull > idle).astype(np.float64)
            new = np.maximum(pull, idle)
        pulls.append(prob)
        w[: t + 1, : t + 1] = new
    pulls.reverse()
    # forward: the probability of pulling at every t under the (soft) optimal rule
    grad = np.empty(h)
    mu = np.zeros((h + 1, h + 1))
    mu[0, 0] = 1.0
    for t in range(h):
        m, prob, p = mu[: t + 1, : t + 1], pulls[t], p_sq[: t + 1, : t + 1]
        moved = m * prob
        grad[t] = -float(moved.sum())
        nxt = np.zeros((t + 2, t + 2))
        nxt[: t + 1, : t + 1] += m - moved
        nxt[1 : t + 2, : t + 1] += moved * p
        nxt[: t + 1, 1 : t + 2] += moved * (1.0 - p)
        mu[: t + 2, : t + 2] = nxt
    return float(w[0, 0]), grad


def _dual(
    lam: FloatArray, groups: list[tuple[float, float, int]], tau: float
) -> tuple[float, FloatArray]:
    val, grad = float(lam.sum()), np.ones_like(lam)
    for alpha, beta, count in groups:
        w0, g = _arm_pass(alpha, beta, lam, tau)
        val += count * w0
        grad += count * g
    return val, grad


def lagrangian_bound(
    n_arms: int, horizon: int, prior: ArrayLike = (1.0, 1.0), *, max_iter: int = 200
) -> tuple[float, FloatArray]:
    """The Lagrangian upper bound on ``V*`` and its per-period prices ``lambda_t`` (module
    docstring): ``min_lambda sum_t lambda_t + sum_k W_k(lambda)``, minimised approximately;
    any ``lambda`` gives a valid bound, and the one returned is evaluated exactly.

    Raises:
        ProblemTooLargeError: ``horizon`` above :data:`MAX_BOUND_HORIZON`, before allocating.
    """
    arms = BetaBernoulliArms(n_arms, prior)
    h = check_int("horizon", horizon, 1)
    iters = check_int("max_iter", max_iter, 1)
    if h > MAX_BOUND_HORIZON:
        raise ProblemTooLargeError(
            f"the Lagrangian bound for horizon={h} needs a single-arm DP of about "
            f"{h**3 // 6} states, above the limit horizon of {MAX_BOUND_HORIZON}"
        )
    rows, counts = np.unique(arms.prior, axis=0, return_counts=True)
    groups = tuple((float(r[0]), float(r[1]), int(c)) for r, c in zip(rows, counts, strict=True))
    value, lam = _minimise(groups, h, iters)
    return value, lam.copy()


@functools.lru_cache(maxsize=16)
def _minimise(
    groups: tuple[tuple[float, float, int], ...], h: int, iters: int
) -> tuple[float, FloatArray]:
    """The bound and its prices for arms grouped as ``(alpha, beta, count)`` (cached)."""
    if h > _COARSE_HORIZON:
        # long horizons: start from the prices of the same problem over _COARSE_HORIZON pulls,
        # stretched in time, and refine for a few iterations of the plain (unsmoothed) bound
        _, coarse = _minimise(groups, _COARSE_HORIZON, iters)
        lam = coarse[(np.arange(h) * _COARSE_HORIZON) // h]
        levels: tuple[tuple[float, int], ...] = ((0.0, _LONG_ITERATIONS),)
    else:
        # start: every period priced at the best prior mean
        lam = np.full(h, max(a / (a + b) for a, b, _ in groups))
        levels = tuple((tau, iters) for tau in _TAUS)
    for tau, n_iter in levels:
        res = optimize.minimize(
            _dual,
            lam,
            args=(list(groups), tau),
            jac=True,
            method="L-BFGS-B",
            bounds=[(0.0, 1.0)] * h,
            options={"maxiter": n_iter},
        )
        lam = np.asarray(res.x, dtype=np.float64)
    value, _ = _dual(lam, list(groups), 0.0)
    return value, lam


# ----------------------------------------------------------------------------------------------
# the reference policy's value by Monte Carlo
# ----------------------------------------------------------------------------------------------


def _reference_regret(
    agent: FiniteGittinsAgent, episodes: int, seed: int, batch: int = 5000
) -> tuple[float, float]:
    """Mean pseudo-regret of the reference agent and its 95% half-width, by simulation."""
    k, h = agent.n_arms, agent.horizon
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    regrets = np.empty(episodes)
    for lo in range(0, episodes, batch):
        n = min(batch, episodes - lo)
        p = agent.arms.sample_tasks(rng, n)
        state = agent.initial_state(n)
        rows = np.arange(n)
        reg = np.zeros(n)
        pmax = p.max(axis=1)
        for _ in range(h):
            probs = tie_split(agent.indices(state), atol=1e-12)
            c = np.cumsum(probs, axis=1)
            a = np.argmax(c > (rng.random(n) * c[:, -1])[:, None], axis=1)
            r = (rng.random(n) < p[rows, a]).astype(np.float64)
            reg += pmax - p[rows, a]
            state[rows, a] += r
            state[rows, k + a] += 1.0 - r
            state[:, 2 * k] += 1.0
        regrets[lo : lo + n] = reg
    sd = float(np.std(regrets, ddof=1)) if episodes > 1 else math.inf
    return float(regrets.mean()), 1.959963984540054 * sd / math.sqrt(episodes)


#: The DP is chosen automatically only where its time is also known to be practical (its memory
#: is checked by ``limits.dp_bytes_estimate``, an exact count of its states since K = 50, H = 100
#: passed 0.2's estimate and needed over 20 GB).
_AUTO_DP_MAX_ARMS = 10
_AUTO_DP_SMALL_HORIZON = 12


def dp_fits(n_arms: int, horizon: int, prior: ArrayLike = (1.0, 1.0)) -> bool:
    """Whether the exact DP is used automatically: under its memory limit, and with at most
    10 arms or at most 12 pulls (where its time is known to be practical)."""
    arms = BetaBernoulliArms(n_arms, prior)
    h = check_int("horizon", horizon, 1)
    if arms.n_arms > _AUTO_DP_MAX_ARMS and h > _AUTO_DP_SMALL_HORIZON:
        return False
    _, counts = np.unique(arms.prior, axis=0, return_counts=True)
    try:
        check_dp_size(arms.n_arms, h, [int(c) for c in counts])
    except ProblemTooLargeError:
        return False
    return True


def reference_agent(task: MetaTask) -> FiniteGittinsAgent | None:
    """The policy that stands for the Bayes-optimal one where a bandit's exact DP is not used
    (:func:`dp_fits` false): the finite-horizon Gittins index. ``None`` for every other task."""
    if not task.is_bandit or dp_fits(task.n_arms, task.horizon, task.arms.prior):
        return None
    return FiniteGittinsAgent(
        task.n_arms, task.horizon, task.arms.prior, include_time=task.include_time
    )


def bayes_value_bounds(
    n_arms: int,
    horizon: int,
    prior: ArrayLike = (1.0, 1.0),
    *,
    episodes: int = 20_000,
    seed: int = 0,
    use_dp: bool | None = None,
    max_iter: int = 200,
    relaxation_episodes: int = 2000,
) -> ValueBounds:
    """A bracket ``lower <= V* <= upper`` on the Bayes-optimal value (see the module docstring).

    Args:
        n_arms: K >= 1. horizon: H >= 1. prior: one ``(alpha, beta)`` pair or a ``(K, 2)`` array.
        episodes, seed: the Monte Carlo run of the reference policy (when the DP is not used).
        use_dp: solve exactly (``True``), never (``False``), or when :func:`dp_fits`
            (``None``, the default).
        max_iter: L-BFGS-B iterations per smoothing level of the Lagrangian bound.
        relaxation_episodes: samples of the information-relaxation bound
            (:func:`~bayes_meta_envs.baselines.info_relaxation.information_relaxation_bound`,
            seed ``seed``); it is skipped where its work exceeds
            :data:`~bayes_meta_envs.baselines.info_relaxation.MAX_WORK` (many arms and a long
            horizon, where the Lagrangian bound is the tight one).

    Raises:
        ProblemTooLargeError: ``use_dp=True`` and the DP does not fit, or a horizon beyond the
            bound's single-arm DP (:data:`MAX_BOUND_HORIZON`), before allocating.
    """
    arms = BetaBernoulliArms(n_arms, prior)
    h = check_int("horizon", horizon, 1)
    n_ep = check_int("episodes", episodes, 2)
    seed = int(check_seed("seed", seed) or 0)
    if use_dp is not None and not isinstance(use_dp, bool):
        raise invalid("use_dp", use_dp, "True, False or None")
    pi = h * expected_max_mean(arms.prior)
    if use_dp is None:
        use_dp = dp_fits(arms.n_arms, h, arms.prior)
    if use_dp:
        v = solve_bandit(arms.n_arms, h, arms.prior).value
        return ValueBounds(v, v, True, v, 0.0, pi, "exact DP", "exact DP")
    n_relax = check_int("relaxation_episodes", relaxation_episodes, 2)
    lagrangian, _ = lagrangian_bound(arms.n_arms, h, arms.prior, max_iter=max_iter)
    candidates = [
        ("Lagrangian relaxation (per-period prices)", lagrangian),
        ("perfect information", pi),
    ]
    if float(n_relax) * arms.n_arms * h * h <= MAX_WORK:
        ir = information_relaxation_bound(arms.n_arms, h, arms.prior, episodes=n_relax, seed=seed)
        name = f"information relaxation, 97.5% confidence ({n_relax} samples, seed {seed})"
        candidates.insert(1, (name, ir.upper))
    agent = FiniteGittinsAgent(arms.n_arms, h, arms.prior)
    regret, ci = _reference_regret(agent, n_ep, seed)
    ref = pi - regret
    method, upper = min(candidates, key=lambda item: item[1])
    return ValueBounds(
        lower=ref - ci,
        upper=upper,
        exact=False,
        reference_value=ref,
        reference_ci95=ci,
        perfect_information=pi,
        lower_method=f"finite-horizon Gittins, Monte Carlo ({n_ep} episodes, seed {seed})",
        upper_method=method,
        upper_candidates=tuple(candidates),
    )
