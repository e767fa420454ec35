"""The finite-horizon Gittins index of a Bernoulli arm, and the agent that plays it.

Problem. An arm pays 1 with unknown probability ``theta ~ Beta(a, b)``; ``m`` pulls remain in the
episode (the current one included) and rewards are discounted by ``gamma`` per pull (``gamma = 1``,
the default, is MetaBandit's undiscounted return). The finite-horizon Gittins index ``nu_m(a, b)``
is the per-pull retirement reward ``lambda`` that makes retiring now as good as pulling the arm at
least once more and retiring optimally afterwards, with the remaining horizon part of the arm's
state (Gittins, Glazebrook & Weber, *Multi-armed Bandit Allocation Indices*, 2nd ed. 2011, section
6.1; Nino-Mora, "Computing a classic index for finite-horizon bandits", INFORMS J. Computing 23,
2011, whose index this is)::

    S_m          = 1 + gamma + ... + gamma^(m - 1)           (value of retiring with m pulls left)
    V_0(a, b)    = 0
    C_m(a, b)    = p + gamma (p V_{m-1}(a + 1, b) + (1 - p) V_{m-1}(a, b + 1)),   p = a / (a + b)
    V_m(a, b)    = max(lambda S_m, C_m(a, b))
    nu_m(a, b)   = the root of g(lambda) = C_m(a, b; lambda) - lambda S_m

``g`` is convex, piecewise linear and decreasing in ``lambda`` with slope ``-W``, ``W >= 1`` the
expected discounted number of pulls before the optimal retirement. ``nu_1 = p``; ``nu_m`` grows
with ``m``; as ``m -> infinity`` with ``gamma < 1`` it tends to the infinite-horizon index of
:mod:`bayes_meta_envs.baselines.gittins`. Playing the arm of largest ``nu_{H - t}`` is not
Bayes-optimal for several arms, but it is close (the exact gaps are in the docs page "Bandits
at scale"), and it is computable at any K and H.

Two algorithms, independent of each other:

* :func:`finite_gittins_index`: one root at a time, Newton's method on its own tree of depth
  ``m`` (each iterate is the reward rate of a feasible retirement rule, a lower bound of the root;
  a piecewise linear convex function is solved exactly in finitely many steps).
* :func:`finite_gittins_table`: every state ``(s, f, m)`` with ``s + f + m <= H`` at once. For a
  fixed ``lambda`` one backward pass over ``m = 1..H`` gives ``g`` and ``W`` at every state, and
  the pass runs for a grid of ``G`` values of ``lambda`` side by side. At every state the root
  lies between consecutive grid points ``l0 < l1`` with ``g(l0) > 0 >= g(l1)``; the tangents at
  both ends (lines below the convex ``g``) give a lower bound and the chord (above it) an upper
  bound. The table stores their midpoint and the certified half-width (``max_error``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._validate import check_int, check_number, check_real_array
from bayes_meta_envs.baselines.belief import BanditBeliefAgent
from bayes_meta_envs.errors import ProblemTooLargeError, invalid
from bayes_meta_envs.families import BetaBernoulliArms
from bayes_meta_envs.protocol import tie_split

__all__ = [
    "FiniteGittinsAgent",
    "FiniteGittinsTable",
    "finite_gittins_index",
    "finite_gittins_table",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

#: Largest table (states ``(s, f, m)``) built on demand: 3e7 states, 240 MB of float64.
MAX_TABLE_STATES = 30_000_000
_WORK_BUDGET = 4e7  # states x grid points of one table (about a second)
_LAYER_BUDGET = 8_000_000  # (H + 1)^2 x grid points held per layer (64 MB per array)


def _check_gamma(gamma: Any) -> float:
    return check_number(
        "gamma", gamma, 0.0, 1.0, low_open=True, expected="a float in (0, 1] (1: undiscounted)"
    )


def _pair_tables(n_max: int) -> tuple[IntArray, IntArray]:
    """Successes and failures of every pair rank ``n (n + 1) / 2 + s`` with ``n <= n_max``."""
    n = np.concatenate([np.full(k + 1, k, dtype=np.int64) for k in range(n_max + 1)])
    s = np.concatenate([np.arange(k + 1, dtype=np.int64) for k in range(n_max + 1)])
    return s, n - s


def _n_pairs(n_max: int) -> int:
    return (n_max + 1) * (n_max + 2) // 2


# ----------------------------------------------------------------------------------------------
# one root at a time (the reference algorithm)
# ----------------------------------------------------------------------------------------------


def _root_pass(a: float, b: float, m: int, lam: float, gamma: float) -> tuple[float, float]:
    """``(g, W)`` at the root ``(a, b)`` with ``m`` pulls left, for the retirement reward ``lam``."""
    v = np.zeros(m + 1)  # V_0 at depth m: i successes, i = 0..m
    dv = np.zeros(m + 1)
    i = np.arange(m + 1, dtype=np.float64)
    c, dc, stop_scale = 0.0, 0.0, 0.0
    for d in range(m - 1, -1, -1):  # depth d below the root: m - d pulls left
        left = m - d
        stop_scale = (1.0 - gamma**left) / (1.0 - gamma) if gamma < 1.0 else float(left)
        p = (a + i[: d + 1]) / (a + b + d)
        cc = p + gamma * (p * v[1 : d + 2] + (1.0 - p) * v[: d + 1])
        dcc = gamma * (p * dv[1 : d + 2] + (1.0 - p) * dv[: d + 1])
        if d == 0:
            c, dc = float(cc[0]), float(dcc[0])
            break
        stop = lam * stop_scale
        retire = cc <= stop
        v = np.where(retire, stop, cc)
        dv = np.where(retire, stop_scale, dcc)
    return c - lam * stop_scale, stop_scale - dc


def finite_gittins_index(a: float, b: float, remaining: int, *, gamma: float = 1.0) -> float:
    """The finite-horizon Gittins index ``nu_m(a, b)`` of one arm, by Newton's method on its tree.

    Args:
        a, b: the arm's Beta posterior (> 0).
        remaining: pulls left in the episode, the current one included (``m >= 1``).
        gamma: discount per pull in (0, 1]; 1 (default) is the undiscounted finite horizon.

    Each Newton iterate from ``lambda = p`` is the reward rate of a feasible retirement rule, so
    the iterates increase to the root and stop on it exactly (``g`` is piecewise linear); the cost
    is ``O(m^2)`` per iterate. Use :func:`finite_gittins_table` for many states.
    """
    a = check_number("a", a, 0.0, low_open=True, expected="a finite number > 0")
    b = check_number("b", b, 0.0, low_open=True, expected="a finite number > 0")
    m = check_int("remaining", remaining, 1, 100_000)
    g = _check_gamma(gamma)
    lam = a / (a + b)
    for _ in range(200):
        val, w = _root_pass(a, b, m, lam, g)
        step = val / w
        lam += step
        if abs(step) <= 1e-15:
            break
    return float(lam)


# ----------------------------------------------------------------------------------------------
# every state at once
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class FiniteGittinsTable:
    """The finite-horizon Gittins index of every state ``(s, f, m)`` with ``s + f + m <= H``.

    ``index(s, f, m)`` looks indices up (vectorised); ``max_error`` is the largest certified
    half-width of the bracket around any stored index (see the module docstring).

    Attributes:
        horizon: H. prior: the arm's Beta prior ``(alpha, beta)``. gamma: the discount.
        grid: number of retirement rewards of the grid. max_error: the certified error bound.
    """

    horizon: int
    prior: tuple[float, float]
    gamma: float
    grid: int
    max_error: float
    _values: FloatArray = field(repr=False)  # layer m = 1..H laid end to end
    _offset: IntArray = field(repr=False)  # layer m starts at _offset[m]

    def index(self, successes: ArrayLike, failures: ArrayLike, remaining: ArrayLike) -> FloatArray:
        """Indices of the posteriors after ``successes``/``failures`` with ``remaining`` pulls
        left (broadcast together; integers with ``s + f + m <= H``, ``m >= 1``)."""
        s, f, m = (
            check_real_array(name, x, "integer counts")
            for name, x in (
                ("successes", successes),
                ("failures", failures),
                ("remaining", remaining),
            )
        )
        try:
            s, f, m = np.broadcast_arrays(s, f, m)
        except ValueError:
            raise invalid(
                "successes, failures, remaining", (s.shape, f.shape, m.shape), "broadcastable"
            ) from None
        si, fi, mi = (np.rint(x).astype(np.int64) for x in (s, f, m))
        bad = (
            (np.abs(s - si) > 1e-6)
            | (np.abs(f - fi) > 1e-6)
            | (np.abs(m - mi) > 1e-6)
            | (si < 0)
            | (fi < 0)
            | (mi < 1)
            | (si + fi + mi > self.horizon)
        )
        if np.any(bad):
            j = np.flatnonzero(bad.ravel())[0]
            raise invalid(
                "successes, failures, remaining",
                (s.ravel()[j], f.ravel()[j], m.ravel()[j]),
                f"integer counts >= 0 and remaining >= 1 with s + f + m <= horizon={self.horizon}",
            )
        n = si + fi
        return self._values[self._offset[mi] + ((n * (n + 1)) >> 1) + si]


def _grid_size(horizon: int, grid: int | None) -> int:
    if grid is not None:
        return check_int("grid", grid, 2, 1 << 16)
    states = _n_pairs(horizon) * horizon / 3
    g = int(min(_WORK_BUDGET / max(states, 1.0), _LAYER_BUDGET / (horizon + 1) ** 2, 1024))
    return max(32, g)


def _build(alpha: float, beta: float, horizon: int, gamma: float, grid: int) -> FiniteGittinsTable:
    """One backward pass over ``m = 1..H`` for the whole grid of ``lambda`` (module docstring).

    A layer is held as a square ``(s, f, lambda)`` array, so the successors ``(s + 1, f)`` and
    ``(s, f + 1)`` are shifted slices of the previous layer (no gathers)."""
    h = horizon
    s_of, f_of = _pair_tables(h)
    side = np.arange(h + 1, dtype=np.float64)
    p_sq = (alpha + side[:, None]) / (alpha + beta + side[:, None] + side[None, :])
    lam = np.linspace(0.0, 1.0, grid)
    sizes = [_n_pairs(h - m) for m in range(1, h + 1)]
    offset = np.zeros(h + 2, dtype=np.int64)
    offset[2:] = np.cumsum(sizes)
    values = np.empty(int(offset[-1]))
    max_err = 0.0
    v = np.zeros((h + 1, h + 1, grid))
    dv = np.zeros((h + 1, h + 1, grid))
    stop_scale = 0.0
    for m in range(1, h + 1):
        n = h - m  # this layer: s + f <= n
        p = p_sq[: n + 1, : n + 1, None]
        vs, vf = v[1 : n + 2, : n + 1], v[: n + 1, 1 : n + 2]
        c = vs - vf
        c *= p
        c += vf
        c *= gamma
        c += p
        dc = dv[1 : n + 2, : n + 1] - dv[: n + 1, 1 : n + 2]
        dc *= p
        dc += dv[: n + 1, 1 : n + 2]
        dc *= gamma
        stop_scale = 1.0 + gamma * stop_scale
        stop = lam * stop_scale
        g = c - stop  # on the square; only its triangle s + f <= n is kept
        w = stop_scale - dc
        # root between grid points j and j + 1: g > 0 at j (always at lambda 0), <= 0 at j + 1
        j = np.minimum(np.count_nonzero(g > 0, axis=2) - 1, grid - 2)[:, :, None]
        g0, g1 = np.take_along_axis(g, j, 2)[..., 0], np.take_along_axis(g, j + 1, 2)[..., 0]
        w0, w1 = np.take_along_axis(w, j, 2)[..., 0], np.take_along_axis(w, j + 1, 2)[..., 0]
        l0, l1 = lam[j[..., 0]], lam[j[..., 0] + 1]
        lo = np.maximum(np.maximum(l0 + g0 / w0, l1 + g1 / w1), l0)
        hi = np.minimum(l0 + g0 * (l1 - l0) / np.maximum(g0 - g1, 1e-300), l1)
        hi = np.maximum(hi, lo)
        tri = (s_of[: sizes[m - 1]], f_of[: sizes[m - 1]])
        values[offset[m] : offset[m] + sizes[m - 1]] = 0.5 * (lo + hi)[tri]
        max_err = max(max_err, float(np.max((hi - lo)[tri])) / 2)
        retire = c <= stop
        np.putmask(dc, retire, stop_scale)
        np.maximum(c, stop, out=c)
        v[: n + 1, : n + 1] = c
        dv[: n + 1, : n + 1] = dc
    return FiniteGittinsTable(h, (alpha, beta), gamma, grid, max_err, values, offset)


def _pair_rank(s: IntArray, f: IntArray) -> IntArray:
    n = s + f
    return ((n * (n + 1)) >> 1) + s


@functools.lru_cache(maxsize=8)
def _cached(alpha: float, beta: float, horizon: int, gamma: float, grid: int) -> FiniteGittinsTable:
    return _build(alpha, beta, horizon, gamma, grid)


def finite_gittins_table(
    horizon: int, prior: ArrayLike = (1.0, 1.0), *, gamma: float = 1.0, grid: int | None = None
) -> FiniteGittinsTable:
    """The finite-horizon Gittins indices of every state of one arm over ``horizon`` pulls.

    Args:
        horizon: H >= 1; the table covers ``s + f + m <= H``.
        prior: the arm's Beta prior ``(alpha, beta)``.
        gamma: discount per pull in (0, 1] (1: undiscounted).
        grid: retirement rewards in the grid (default: as many as about 4e7 state-evaluations
            allow, between 32 and 1024); more points give a smaller certified error
            (``max_error``: about 2e-5 at H = 30, 1e-3 at H = 100, 3e-3 at H = 500).

    Cost: ``H^3 / 6`` states times the grid; H = 100 takes about a second, H = 500 about half a
    minute and 0.5 GB. Tables are cached in-process.

    Raises:
        ProblemTooLargeError: more than :data:`MAX_TABLE_STATES` states, before allocating.
    """
    h = check_int("horizon", horizon, 1)
    pr = BetaBernoulliArms.validate_prior(prior, 1)[0]
    g = _check_gamma(gamma)
    states = sum(_n_pairs(h - m) for m in range(1, min(h, 100_000) + 1)) if h < 100_000 else h**3
    if states > MAX_TABLE_STATES:
        raise ProblemTooLargeError(
            f"a finite-horizon Gittins table for horizon={h} has {states} states, above the "
            f"limit of {MAX_TABLE_STATES}"
        )
    return _cached(float(pr[0]), float(pr[1]), h, g, _grid_size(h, grid))


# ----------------------------------------------------------------------------------------------
# the agent
# ----------------------------------------------------------------------------------------------


class FiniteGittinsAgent(BanditBeliefAgent):
    """Plays the arm of largest finite-horizon Gittins index ``nu_{H - t}`` (ties split).

    The near-optimal reference policy at any K and H (module docstring): one table per distinct
    arm prior, built on first use. ``gamma`` (default 1) discounts the index's own calibration.

    Args:
        n_arms, horizon, prior, include_time, seed: as :class:`BanditBeliefAgent`.
        gamma: discount of the index in (0, 1].
    """

    def __init__(
        self,
        n_arms: int = 2,
        horizon: int = 20,
        prior: ArrayLike = (1.0, 1.0),
        *,
        gamma: float = 1.0,
        include_time: bool = False,
        seed: int | None = None,
    ) -> None:
        super().__init__(n_arms, horizon, prior, include_time=include_time, seed=seed)
        self.gamma = _check_gamma(gamma)
        rows, self._which = np.unique(self.prior, axis=0, return_inverse=True)
        self._which = np.asarray(self._which).reshape(-1)
        self._tables = [finite_gittins_table(self.horizon, r, gamma=self.gamma) for r in rows]

    def indices(self, state: np.ndarray) -> FloatArray:
        """The index of every arm ``(B, K)`` at belief states ``[alphas | betas | t]``."""
        alphas, betas, t = self.counts(np.asarray(state, dtype=np.float64))
        s = alphas - self.prior[:, 0]
        f = betas - self.prior[:, 1]
        m = np.broadcast_to((self.horizon - t)[:, None], s.shape)
        out = alphas / (alphas + betas)  # the index with one pull left (or none)
        live = m >= 2
        for i, table in enumerate(self._tables):
            cols = self._which == i
            sel = live & cols[None, :]
            if sel.any():
                out[sel] = table.index(s[sel], f[sel], m[sel])
        return out

    #: ties within this tolerance are split (the rollout's name for it, as the Bayes agent's)
    atol = 1e-12

    def q_values(self, state: np.ndarray) -> FloatArray:
        """The indices, under the name the paired rollout reads for its reference agent."""
        return self.indices(state)

    def output(self, state: np.ndarray) -> np.ndarray:
        return tie_split(self.indices(state), atol=self.atol)

    def __repr__(self) -> str:
        return (
            f"FiniteGittinsAgent(gamma={self.gamma}, n_arms={self.n_arms}, horizon={self.horizon})"
        )
