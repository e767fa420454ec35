"""An information-relaxation upper bound on the Bayes-optimal value of the Bernoulli bandit.

Weak duality for information relaxations (Brown, Smith & Sun, "Information relaxations and
duality in stochastic dynamic programs", Oper. Res. 58, 2010, Lemma 2.1): if a penalty ``z``
has ``E[z] <= 0`` under every non-anticipative policy, then for every such policy ``pi``
``V^pi = E[sum_t r_t] <= E[sum_t r_t - z] <= E[max_{a_0..a_{H-1}} (sum_t r_t - z)]``, the
inner maximum taken with all future information revealed. For Bayesian bandits this is the
"information relaxation sampling" of Min, Maglaras & Moallemi (NeurIPS 2019).

Relaxation. The decision maker sees the whole table of outcomes ``X[k, j]`` (the ``j``-th pull
of arm ``k`` pays ``X[k, j]``; given ``p_k ~ Beta(alpha_k, beta_k)`` the ``X[k, j]`` are
independent Bernoulli(``p_k``): the same law as the bandit's).

Penalty. For the ``j``-th pull of arm ``k``, with ``m[k, j] = (alpha_k + s) / (alpha_k + beta_k
+ j)`` the posterior mean after the arm's first ``j`` outcomes (``s`` successes among them),
``z = c_j (X[k, j] - m[k, j])`` for fixed numbers ``c_j``. Under a non-anticipative policy the
next outcome of the pulled arm has conditional mean ``m`` given the history, so every term has
mean zero and ``E[z] = 0`` (``c_j = 1 + h(s + 1) - h(s)`` for a function ``h`` of the arm's
counts: the classic ``E[h(next) | now] - h(next)`` penalty). ``c = 0`` is the outcome-table
relaxation without penalty, ``c = 1`` replaces every reward by its posterior mean.

Inner problem. The penalised reward of the ``j``-th pull of arm ``k``, ``X - c_j (X - m)``,
depends only on ``(k, j)``, so a sequence of pulls is worth ``sum_k R_k(n_k)`` where ``n_k`` is
the number of pulls of arm ``k`` and ``R_k(n)`` the sum of the arm's first ``n`` penalised
rewards; the maximum over ``n_1 + ... + n_K = H`` is solved exactly per sample by a DP over the
arms (a (max, +) convolution, ``O(K H^2)``).

Estimate. The expectation is taken by Monte Carlo over sampled tasks and tables, with the
perfect-information value ``H max_k p_k`` as a control variate (its mean, ``H E[max_k p_k]``, is
known by quadrature): ``bound = H E[max_k p_k] + mean(inner - H max_k p_k)``. The reported
``upper`` is the estimate plus 1.96 standard errors: a one-sided 97.5% confidence bound on a
provable bound. The ``c_j`` (a line ``c_j = c_end + (c_start - c_end)(1 - j / H)``, the best of
a few candidates) are chosen on a separate pilot sample, so they do not depend on the evaluation
sample, and any choice keeps the bound valid.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from bayes_meta_envs._validate import check_int, check_real_array, check_seed
from bayes_meta_envs.errors import ProblemTooLargeError, invalid
from bayes_meta_envs.families import BetaBernoulliArms

__all__ = ["InformationRelaxationBound", "expected_max_mean", "information_relaxation_bound"]

FloatArray = NDArray[np.float64]

Z95 = 1.959963984540054
#: Most ``episodes * n_arms * horizon**2`` the bound works through (about 20 s of numpy).
MAX_WORK = 1e10
_BATCH_CELLS = 2_000_000  # samples * arms * horizon per batch (a few arrays of 16 MB)
_PILOT = 200
#: Lines ``(c_start, c_end)`` tried on the pilot sample (``(2, 1)`` is best on most sizes).
_CANDIDATES = ((2.0, 1.0), (2.0, 0.5), (1.5, 1.0), (2.5, 1.0), (1.5, 0.5))


class InformationRelaxationBound(NamedTuple):
    """The information-relaxation bound (module docstring).

    Attributes:
        upper: ``value + ci95``: a 97.5% one-sided confidence bound on a provable upper bound.
        value: the Monte Carlo estimate of the bound; ci95: its 95% half-width.
        penalty: the ``c_j`` used, shape ``(H,)``.
        perfect_information: ``H E[max_k p_k]``.
        episodes, seed: the evaluation sample.
    """

    upper: float
    value: float
    ci95: float
    penalty: FloatArray
    perfect_information: float
    episodes: int
    seed: int


def expected_max_mean(prior: ArrayLike, n_arms: int | None = None) -> float:
    """``E[max_k p_k]`` for independent ``p_k ~ Beta(alpha_k, beta_k)`` (``prior``: one pair for
    ``n_arms`` arms, default 1, or a ``(K, 2)`` array):
    ``int_0^1 (1 - prod_k F_k(x)) dx``, by composite Gauss-Legendre quadrature (about 1e-12)."""
    if n_arms is None:
        arr = check_real_array("prior", prior, "an (alpha, beta) pair or a (K, 2) array")
        n_arms = arr.shape[0] if arr.ndim == 2 else 1
    pr = BetaBernoulliArms(n_arms, prior).prior
    x, w = np.polynomial.legendre.leggauss(32)
    edges = np.linspace(0.0, 1.0, 257)
    half = np.diff(edges)[:, None] / 2
    xs = (edges[:-1, None] + half * (x + 1)).ravel()
    ws = (half * w).ravel()
    cdf = special.betainc(pr[:, :1], pr[:, 1:], xs[None, :]).prod(axis=0)
    return float(np.sum(ws * (1.0 - cdf)))


def _inner(
    arms: BetaBernoulliArms, h: int, c: FloatArray, n: int, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray]:
    """Inner values of ``n`` sampled tables and their ``H max_k p_k``."""
    prior = arms.prior
    k = prior.shape[0]
    p = rng.beta(prior[:, 0], prior[:, 1], size=(n, k))
    x = (rng.random((n, k, h)) < p[:, :, None]).astype(np.float64)
    before = np.cumsum(x, axis=2) - x  # successes before pull j
    m = (prior[:, 0, None] + before) / (prior[:, 0, None] + prior[:, 1, None] + np.arange(h))
    r = x - c * (x - m)
    big = np.zeros((n, k, h + 1))
    np.cumsum(r, axis=2, out=big[:, :, 1:])  # big[:, k, n] = R_k(n)
    f = big[:, 0, :]
    for arm in range(1, k):
        rk = big[:, arm, :]
        if arm == k - 1:  # the last arm: only the full horizon is needed
            f = np.max(f[:, ::-1] + rk, axis=1, keepdims=True)
            break
        g = f.copy()  # n = 0 pulls of this arm
        for pulls in range(1, h + 1):
            np.maximum(g[:, pulls:], f[:, : h + 1 - pulls] + rk[:, pulls, None], out=g[:, pulls:])
        f = g
    return f[:, -1], h * p.max(axis=1)


def _estimate(
    arms: BetaBernoulliArms, h: int, c: FloatArray, episodes: int, seed: int, pi: float
) -> tuple[float, float]:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    diffs = np.empty(episodes)
    batch = max(1, _BATCH_CELLS // (arms.n_arms * h))
    for lo in range(0, episodes, batch):
        size = min(batch, episodes - lo)
        inner, perfect = _inner(arms, h, c, size, rng)
        diffs[lo : lo + size] = inner - perfect
    sd = float(np.std(diffs, ddof=1)) if episodes > 1 else math.inf
    return pi + float(diffs.mean()), Z95 * sd / math.sqrt(episodes)


def _line(h: int, start: float, end: float) -> FloatArray:
    return end + (start - end) * (1.0 - np.arange(h) / h)


def information_relaxation_bound(
    n_arms: int,
    horizon: int,
    prior: ArrayLike = (1.0, 1.0),
    *,
    episodes: int = 2000,
    seed: int = 0,
    penalty: ArrayLike | None = None,
) -> InformationRelaxationBound:
    """An upper bound on ``V*`` by an information relaxation with a penalty (module docstring).

    Args:
        n_arms: K >= 1. horizon: H >= 1. prior: one ``(alpha, beta)`` pair or a ``(K, 2)`` array.
        episodes, seed: the evaluation sample (the pilot sample that fits the penalty uses a
            seed derived from ``seed``, independent of it).
        penalty: the ``c_j`` (a number or ``H`` numbers); ``None`` picks a line on the pilot.

    Raises:
        ProblemTooLargeError: ``episodes * n_arms * horizon**2`` above :data:`MAX_WORK`, before
            allocating.
    """
    arms = BetaBernoulliArms(n_arms, prior)
    h = check_int("horizon", horizon, 1)
    n_ep = check_int("episodes", episodes, 2)
    seed = int(check_seed("seed", seed) or 0)
    work = float(n_ep) * arms.n_arms * h * h
    if work > MAX_WORK:
        raise ProblemTooLargeError(
            f"the information-relaxation bound for n_arms={arms.n_arms}, horizon={h}, "
            f"episodes={n_ep} needs about {work:.1e} operations, above the limit {MAX_WORK:.0e}"
        )
    pi = h * expected_max_mean(arms.prior)
    if penalty is None:
        pilot_seed = int(np.random.SeedSequence([seed, 1]).generate_state(1)[0])
        pilot = max(2, min(_PILOT, n_ep // 4))
        c = min(
            (_line(h, start, end) for start, end in _CANDIDATES),
            key=lambda cj: _estimate(arms, h, cj, pilot, pilot_seed, pi)[0],
        )
    else:
        c = check_real_array("penalty", penalty, "a number or one number per pull")
        c = np.broadcast_to(c, (h,)).astype(np.float64) if c.ndim == 0 else c
        if c.shape != (h,):
            raise invalid("penalty", penalty, f"a number or {h} numbers (one per pull)")
    value, ci = _estimate(arms, h, c, n_ep, seed, pi)
    return InformationRelaxationBound(value + ci, value, ci, c.copy(), pi, n_ep, seed)
