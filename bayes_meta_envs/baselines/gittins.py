"""Gittins indices of Bernoulli arms with Beta posteriors (the agent: ``classic.GittinsAgent``).

Problem. An arm pays 1 with unknown probability ``theta ~ Beta(a, b)``; after a success the
posterior is ``Beta(a + 1, b)``, after a failure ``Beta(a, b + 1)``. Rewards are discounted by
``gamma`` per pull over an infinite horizon. The Gittins index ``nu(a, b)`` of the arm is the
per-step retirement reward ``lambda`` that makes retiring now as good as pulling the arm at least
once more (Gittins 1979; Gittins, Glazebrook & Weber, *Multi-armed Bandit Allocation Indices*,
2nd ed. 2011, ch. 2 and 8). Playing the arm of highest index is optimal for the discounted
infinite-horizon problem; for the finite-horizon MetaBandit it is a strong heuristic, not the
Bayes-optimal policy (that is :mod:`bayes_meta_envs.baselines.bayes_optimal`).

Calibration (the main method). For a retirement reward ``lambda`` per step, with
``p = a / (a + b)``::

    V(a, b) = max( lambda / (1 - gamma),  C(a, b) )
    C(a, b) = p + gamma * ( p * V(a + 1, b) + (1 - p) * V(a, b + 1) )

and ``nu(a, b)`` is the root of ``g(lambda) = C(a, b; lambda) - lambda / (1 - gamma)``.
``g`` is convex, piecewise linear and decreasing with slope ``-W <= -1``, where
``W = E[sum_{t < tau} gamma^t]`` is the expected discounted time the arm is played before the
optimal retirement time ``tau >= 1`` (``dV/dlambda`` is propagated by the same recursion). The
root is found by Newton's method (``lambda <- lambda + g / W``; each iterate is the reward rate
``R / W`` of a feasible stopping rule, which converges in a handful of steps on a piecewise linear
function), for many states at once: one backward induction over the tree of depth ``depth``
below every root, vectorised over blocks of roots of similar index (numpy only). Each depth of
the tree is computed only in a band: rows below it have retired (exactly); rows above it, whose
posterior is so far above the retirement reward that ``P(theta <= lambda) < 5e-18``, take a
closed-form bound (:func:`~bayes_meta_envs.baselines.gittins_calibration.calibration_pass`),
which keeps every bound below rigorous.

Truncation. The tree is cut ``depth`` pulls below the root. At the cut the arm's value is bounded
below by freezing the belief, ``max(lambda, p) / (1 - gamma)`` (a feasible policy), and above by
full information, ``E[max(lambda, theta)] / (1 - gamma)`` with ``theta ~ Beta(a', b')`` (closed
form through the regularised incomplete beta function). Errors at the cut are discounted by
``gamma**depth`` and ``|g'| >= 1``, so the a priori bound on the index error is
``gamma**depth / (1 - gamma)`` (loose). Much tighter and rigorous: every Newton iterate is a
lower bound of the root of the frozen-belief problem ``g_lo`` (a tangent of a convex function
lies below it), itself a lower bound of the true index; and with ``g <= g_hi`` (full information
at the cut) and slope ``<= -1``, the true index lies in ``[lambda, lambda + g_hi(lambda)]``. One
extra backward induction evaluates ``g_hi`` at the final ``lambda``; that certified error is
returned by
:func:`compute_gittins_indices`; a root whose error exceeds ``tol`` (default ``1e-7``) takes
another Newton step, or a 1.5 times deeper tree once Newton has converged, so every index this module returns is within ``1e-7`` of the true
infinite-horizon index (the shipped tables record their largest certified error, ``max_error``).
In practice the depth is ``log(1e-5) / log(gamma)`` (110 for gamma = 0.9, 1146 for 0.99).

A second, independent method, :func:`gittins_index_restart`, solves the restart-in-state problem
of Katehakis & Veinott (1987) by plain value iteration: ``nu(a, b) = (1 - gamma) M(a, b)`` where
``M`` is the value of the problem in which one may at any time restart from ``(a, b)``.

Shipped tables. ``bayes_meta_envs/baselines/data/gittins_gamma{g}.npz`` for
``g in {0.5, 0.7, 0.9, 0.95, 0.99}`` hold ``table[a, b]`` for integer ``a, b >= 1`` with
``a + b <= max_n`` (NaN elsewhere); regenerate with ``python scripts/make_gittins_tables.py``.
Any other state (real ``a, b``, larger counts, other ``gamma``) is computed on demand and cached.
"""

from __future__ import annotations

import functools
import math
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bayes_meta_envs._validate import check_bool, check_int, check_number
from bayes_meta_envs.baselines.gittins_calibration import calibration_pass
from bayes_meta_envs.baselines.limits import (
    check_gittins_depth,
    check_table_size,
)
from bayes_meta_envs.errors import invalid, wrong_type

__all__ = [
    "SHIPPED_GAMMAS",
    "GittinsResult",
    "check_gamma",
    "compute_gittins_indices",
    "gittins_index",
    "gittins_index_restart",
    "gittins_table",
    "shipped_max_n",
    "table_states",
]

FloatArray = NDArray[np.float64]

#: Discount factors for which a precomputed table ships with the package.
SHIPPED_GAMMAS: tuple[float, ...] = (0.5, 0.7, 0.9, 0.95, 0.99)

DEFAULT_TOL = 1e-7
_CHUNK = 256  # roots per vectorised block (keeps the working set a few MB)
_COARSE = (16, 4, 2)  # coarse depths depth // f solved first


# ----------------------------------------------------------------------------------------------
# validation
# ----------------------------------------------------------------------------------------------


def check_gamma(gamma: Any) -> float:
    """The discount factor ``gamma`` of a Gittins index: a float in (0, 1)."""
    return check_number(
        "gamma", gamma, 0.0, 1.0, low_open=True, high_open=True, expected="a float in (0, 1)"
    )


def _check_counts(name: str, value: Any) -> FloatArray:
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise wrong_type(name, value, "a positive number or array of positive numbers")
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError) as exc:  # pragma: no cover - ragged input
        raise wrong_type(name, value, "a positive number or array of positive numbers") from exc
    if arr.dtype == np.bool_ or not (
        np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)
    ):
        raise wrong_type(name, value, "a positive number or array of positive numbers")
    arr = arr.astype(np.float64)
    if not np.all(np.isfinite(arr)) or np.any(arr <= 0):
        raise invalid(name, value, "finite and > 0 (Beta pseudo-counts)")
    return arr


def _broadcast(a: Any, b: Any) -> tuple[FloatArray, FloatArray]:
    aa, bb = _check_counts("a", a), _check_counts("b", b)
    try:
        return tuple(np.broadcast_arrays(aa, bb))  # type: ignore[return-value]
    except ValueError:
        raise invalid("a, b", (aa.shape, bb.shape), "shapes that broadcast together") from None


def _check_max_n(max_n: Any) -> int:
    return check_int("max_n", max_n, 2)


def default_depth(gamma: float) -> int:
    """Initial truncation depth: ``gamma**depth <= 1e-5``, at least 30 (grown where needed)."""
    return max(30, math.ceil(math.log(1e-5) / math.log(gamma)))


# ----------------------------------------------------------------------------------------------
# calibration: vectorised backward induction over the trees below many roots
# ----------------------------------------------------------------------------------------------


class GittinsResult(NamedTuple):
    """Indices and their certified error bounds, as returned by :func:`compute_gittins_indices`."""

    indices: FloatArray
    error_bound: FloatArray
    depth: NDArray[np.int64]


def _newton_block(
    a0: FloatArray, b0: FloatArray, gamma: float, depth: int, tol: float, lam: FloatArray,
    coarse: bool,
) -> tuple[FloatArray, FloatArray, FloatArray]:  # fmt: skip
    """Newton on the calibration equation, coarse-to-fine in the depth; certified error bound.

    Every Newton iterate is a lower bound of the truncated root (a tangent of a convex function
    lies below it), which is itself a lower bound of the true index (the frozen-belief value at
    the cut is a lower bound), and the truncated root grows with the depth, so solving at depths
    ``depth // 16``, ``depth // 4`` and ``depth // 2`` first (``coarse``) gives a start from the
    left that needs one full-depth step. Roots are processed in blocks of similar index (sorted
    before every level), so that a block shares its band of live rows. The final bound: ``nu`` lies in ``[lam, lam + g_hi(lam)]`` (slope
    <= -1). Returns ``(lam, error bound, last full-depth Newton step)``.
    """
    levels = [depth // f for f in _COARSE if depth // f >= 8 and coarse] + [depth]
    lam = lam.copy()
    err, last = np.empty_like(lam), np.empty_like(lam)
    for level in [*levels, -1]:
        # roots of similar index share their retired rows: process them together (the sort
        # changes only the grouping, not any root's arithmetic)
        order = np.argsort(lam, kind="stable")
        for s in range(0, order.size, _CHUNK):
            idx = order[s : s + _CHUNK]
            ai, bi, li = a0[idx], b0[idx], lam[idx]
            if level < 0:
                g_hi, _ = calibration_pass(ai, bi, li, gamma, depth, upper=True)
                err[idx] = np.maximum(g_hi, 0.0)
                continue
            # coarse levels: iterate to convergence; full depth: one step (the certificate
            # catches a step that was not enough, and the caller then steps again or deepens)
            for _ in range(60 if level < depth else 1):
                g, w = calibration_pass(ai, bi, li, gamma, level, upper=False)
                step = g / w
                li = np.clip(li + step, 0.0, 1.0)
                if np.all(np.abs(step) <= tol):
                    break
            lam[idx] = li
            if level == depth:
                last[idx] = step
    return lam, err, last


def compute_gittins_indices(
    a: ArrayLike, b: ArrayLike, gamma: float, *, tol: float = DEFAULT_TOL, depth: int | None = None
) -> GittinsResult:
    """Compute Gittins indices of Beta(a, b) Bernoulli arms by calibration (no tables, no cache).

    ``a`` and ``b`` are broadcast together; any positive reals are accepted. Newton's method on
    the calibration equation (module docstring) runs for all states at once; the truncation depth
    starts at :func:`default_depth`. A state whose certified error exceeds ``tol`` takes another
    full-depth Newton step if its last one moved by more than ``tol``, else its depth is
    multiplied by 1.5. Returns the indices, the certified error bounds and the depth used per
    state.
    """
    g = check_gamma(gamma)
    aa, bb = _broadcast(a, b)
    shape = aa.shape
    af, bf = aa.ravel().astype(np.float64), bb.ravel().astype(np.float64)
    out = np.empty(af.shape)
    err = np.empty(af.shape)
    used = np.empty(af.shape, dtype=np.int64)
    d = default_depth(g) if depth is None else check_int("depth", depth, 1)
    check_gittins_depth(g, d)
    out[:] = af / (af + bf)  # start at the posterior mean (the index is at least the mean)
    pending = [(np.arange(af.size), d, True)]
    while pending:
        todo, d, coarse = pending.pop()
        out[todo], err[todo], step = _newton_block(af[todo], bf[todo], g, d, tol, out[todo], coarse)
        used[todo] = d
        failed = err[todo] > tol
        moving = failed & (np.abs(step) > tol)
        if np.any(failed & ~moving):
            check_gittins_depth(g, (3 * d) // 2)
            pending.append((todo[failed & ~moving], (3 * d) // 2, False))
        if np.any(moving):
            pending.append((todo[moving], d, False))
    return GittinsResult(out.reshape(shape), err.reshape(shape), used.reshape(shape))


# ----------------------------------------------------------------------------------------------
# second method: restart-in-state (Katehakis & Veinott 1987), value iteration
# ----------------------------------------------------------------------------------------------


def gittins_index_restart(
    a: float, b: float, gamma: float, *, depth: int | None = None, tol: float = 1e-12
) -> float:
    """Gittins index by the restart-in-state formulation, solved by value iteration.

    Katehakis & Veinott, "The multi-armed bandit problem: decomposition and computation",
    Math. Oper. Res. 12 (1987): in the problem where, in every state ``s`` of the arm, one may
    either pull the arm or *restart* it from the root ``s0 = (a, b)`` (and pull it there),
    ``M(s) = max(Q(s), Q(s0))`` with ``Q(s) = p(s) + gamma * E[M(s')]``, and
    ``nu(s0) = (1 - gamma) * M(s0)``. The tree below ``s0`` is cut ``depth`` pulls down (default
    twice :func:`default_depth`), where the frozen belief ``M = max(p / (1 - gamma), Q(s0))`` is
    used. Jacobi value iteration from ``M = p / (1 - gamma)`` until the sup-norm change is below
    ``tol``. Independent of the calibration code; slower (``O(depth^2 / (1 - gamma))``).
    """
    g = check_gamma(gamma)
    a0 = float(_check_counts("a", a))
    b0 = float(_check_counts("b", b))
    n = 2 * default_depth(g) if depth is None else check_int("depth", depth, 1)
    check_gittins_depth(g, n)
    # flat layout of the tree: depth d, i successes -> offset d(d+1)/2 + i
    ds = np.concatenate([np.full(d + 1, d) for d in range(n + 1)])
    iis = np.concatenate([np.arange(d + 1) for d in range(n + 1)])
    p = (a0 + iis) / (a0 + b0 + ds)
    inner = ds < n
    off = ds * (ds + 1) // 2 + iis
    up = off + (ds + 1) + 1  # child after a success: depth d + 1, i + 1
    down = off + (ds + 1)  # child after a failure: depth d + 1, i
    pi, upi, downi = p[inner], up[inner], down[inner]
    m = p / (1.0 - g)
    q = np.empty_like(m)
    for _ in range(200_000):
        q[inner] = pi + g * (pi * m[upi] + (1.0 - pi) * m[downi])
        q[~inner] = p[~inner] / (1.0 - g)
        new = np.maximum(q, q[0])
        delta = float(np.max(np.abs(new - m)))
        m = new
        if delta < tol:
            break
    return float((1.0 - g) * m[0])


# ----------------------------------------------------------------------------------------------
# shipped tables and cached look-ups
# ----------------------------------------------------------------------------------------------


def _data_name(gamma: float) -> str:
    return f"gittins_gamma{gamma:g}.npz"


@functools.cache
def _shipped(gamma: float) -> FloatArray | None:
    """The shipped table for ``gamma`` (read-only), or None when none ships."""
    if gamma not in SHIPPED_GAMMAS:
        return None
    ref = resources.files("bayes_meta_envs.baselines").joinpath("data").joinpath(_data_name(gamma))
    try:
        with ref.open("rb") as fh, np.load(fh, allow_pickle=False) as npz:
            table = np.array(npz["table"], dtype=np.float64)
    except FileNotFoundError:  # pragma: no cover - broken installation
        return None
    table.setflags(write=False)
    return table


_cache: dict[tuple[float, float, float], float] = {}


def _on_demand(a: FloatArray, b: FloatArray, gamma: float) -> FloatArray:
    """Indices for arrays of states not in a shipped table: cached, missing ones batch-computed."""
    keys = list(zip(a.tolist(), b.tolist(), strict=True))
    missing = sorted({k for k in keys if (k[0], k[1], gamma) not in _cache})
    if missing:
        ma = np.array([k[0] for k in missing])
        mb = np.array([k[1] for k in missing])
        res = compute_gittins_indices(ma, mb, gamma)
        for k, v in zip(missing, res.indices.tolist(), strict=True):
            _cache[(k[0], k[1], gamma)] = v
    return np.array([_cache[(k[0], k[1], gamma)] for k in keys], dtype=np.float64)


def _lookup(a: FloatArray, b: FloatArray, gamma: float) -> FloatArray:
    out = np.empty(a.shape)
    table = _shipped(gamma)
    hit = np.zeros(a.shape, dtype=bool)
    if table is not None:
        max_n = table.shape[0] - 1
        hit = (a == np.round(a)) & (b == np.round(b)) & (a + b <= max_n)
        out[hit] = table[a[hit].astype(np.int64), b[hit].astype(np.int64)]
    if not np.all(hit):
        out[~hit] = _on_demand(a[~hit], b[~hit], gamma)
    return out


def gittins_index(a: ArrayLike, b: ArrayLike, gamma: float) -> Any:
    """Gittins index of a Bernoulli arm with a Beta(a, b) posterior, discount ``gamma``.

    ``a`` and ``b`` are positive reals (pseudo-counts; not necessarily integers) or arrays of
    them, broadcast together; a float is returned for scalar input, an array otherwise. Integer
    states inside a shipped table are looked up; every other state is computed by calibration
    (:func:`compute_gittins_indices`, certified accurate to 1e-7) and cached for the process.

    Raises :class:`~bayes_meta_envs.errors.InvalidArgumentError` for ``gamma`` outside (0, 1) or
    non-positive counts, :class:`~bayes_meta_envs.errors.InvalidArgumentTypeError` for non-numbers.
    """
    g = check_gamma(gamma)
    aa, bb = _broadcast(a, b)
    res = _lookup(aa.ravel(), bb.ravel(), g).reshape(aa.shape)
    return float(res) if res.ndim == 0 else res


@functools.lru_cache(maxsize=16)
def _computed_table(gamma: float, max_n: int) -> FloatArray:
    table = np.full((max_n + 1, max_n + 1), np.nan)
    a, b = table_states(max_n)
    table[a, b] = compute_gittins_indices(a.astype(float), b.astype(float), gamma).indices
    table.setflags(write=False)
    return table


def table_states(max_n: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Integer states ``a, b >= 1`` with ``a + b <= max_n``."""
    a, b = np.meshgrid(np.arange(max_n + 1), np.arange(max_n + 1), indexing="ij")
    keep = (a >= 1) & (b >= 1) & (a + b <= max_n)
    return a[keep], b[keep]


def gittins_table(gamma: float, max_n: int, *, recompute: bool = False) -> FloatArray:
    """Gittins indices of every integer state with ``a + b <= max_n``.

    Layout: ``table[a, b]`` is the index of Beta(a, b), shape ``(max_n + 1, max_n + 1)``; entries
    with ``a < 1``, ``b < 1`` or ``a + b > max_n`` are NaN. The shipped table is sliced when it
    covers the request (and ``recompute`` is false); otherwise the whole table is computed by
    vectorised calibration (about 5 000 states for ``max_n = 100``) and cached. Returns a copy.
    """
    g = check_gamma(gamma)
    n = _check_max_n(max_n)
    shipped = None if check_bool("recompute", recompute) else _shipped(g)
    if shipped is not None and shipped.shape[0] - 1 >= n:
        out = np.array(shipped[: n + 1, : n + 1])
        a, b = np.meshgrid(np.arange(n + 1), np.arange(n + 1), indexing="ij")
        out[a + b > n] = np.nan
        return out
    check_table_size(n)
    return np.array(_computed_table(g, n))


def shipped_max_n(gamma: float) -> int | None:
    """Largest ``a + b`` in the shipped table for ``gamma`` (None when none ships)."""
    table = _shipped(check_gamma(gamma))
    return None if table is None else table.shape[0] - 1
