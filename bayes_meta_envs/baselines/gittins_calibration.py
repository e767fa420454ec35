"""The calibration pass behind :mod:`bayes_meta_envs.baselines.gittins`: one backward induction
over the trees below many roots at once, computed only in a band of each depth."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import special

__all__ = ["calibration_pass"]

FloatArray = NDArray[np.float64]


def calibration_pass(
    a0: FloatArray, b0: FloatArray, lam: FloatArray, gamma: float, depth: int, upper: bool
) -> tuple[FloatArray, FloatArray]:
    """``(g, W)`` at the roots ``(a0, b0)`` for retirement rewards ``lam`` (all shape ``(R,)``).

    ``g = C - lam / (1 - gamma)`` and ``W = -dg/dlam``; ``upper`` selects the full-information
    value at the cut instead of the frozen-belief value (see the module docstring), and then
    ``W`` is not computed (NaN): the certificate needs ``g`` only.

    Only a band of each depth is computed. Below it, retired rows are skipped exactly: a state
    both of whose children retire retires too (a retired child has ``C <= lam / (1 - gamma)``,
    so its posterior mean is at most ``lam``, and the parent's mean is below the success
    child's), so if rows ``i < lo`` retire at depth ``d + 1``, rows ``i < lo - 1`` retire at depth
    ``d`` and keep ``lam / (1 - gamma)``. Above it, where the posterior mean ``p`` exceeds
    ``lam`` so far that ``P(theta <= lam) < 5e-18`` (:data:`_BAND_LOG`), the value is replaced
    by a bound in closed form: never
    retiring, ``p / (1 - gamma)`` (a feasible policy: a lower bound) in the lower pass, full
    information ``E[max(lam, theta)] / (1 - gamma)`` in the upper pass. Both differ from the
    truncated values by at most ``E[(lam - theta)^+] / (1 - gamma)`` (negligible there), and
    the lower pass stays a lower bound and the upper pass an upper bound of the true value, so
    the certificate stays rigorous. Values are updated in place, one row range per depth.
    """
    inv = 1.0 / (1.0 - gamma)
    n0 = a0 + b0
    stop = lam * inv
    # layout (depth + 1, R): row i = i successes below the root, one column per root
    a_i = np.arange(depth + 1, dtype=np.float64)[:, None] + a0
    n_cut = n0 + depth
    if upper:
        v, dv, lo = _top_value(a_i, n_cut, lam, inv, True), None, 0
    else:
        p = a_i / n_cut
        v = np.maximum(lam, p) * inv
        dv = np.where(lam >= p, inv, 0.0)
        lo = _first_live_row(lam >= p)
    top = _band_tops(a0, n0, lam, depth)
    c_buf, e_buf, p_buf = np.empty_like(v), np.empty_like(v), np.empty_like(v)
    m_buf = np.empty(v.shape, dtype=bool)
    for d in range(depth - 1, -1, -1):
        lo = min(max(lo - 1, 0), d)  # at depth d the rows are 0..d; row 0 is always computed
        hi = max(top[d], lo + 1)
        if hi + 1 > top[d + 1]:  # children above the band of depth d + 1: closed form
            kids = slice(top[d + 1], hi + 1)
            v[kids] = _top_value(a_i[kids], n0 + d + 1, lam, inv, upper)
            if dv is not None:
                dv[kids] = 0.0
        w = hi - lo
        rows, kids = slice(lo, hi), slice(lo + 1, hi + 1)
        pd, c, e, mask = p_buf[:w], c_buf[:w], e_buf[:w], m_buf[:w]
        np.multiply(a_i[rows], 1.0 / (n0 + d), out=pd)
        # c = p + gamma * (V_fail + p * (V_success - V_fail)); e the same for dV/dlam, less p
        np.subtract(v[kids], v[rows], out=c)
        c *= pd
        c += v[rows]
        c *= gamma
        c += pd
        if dv is not None:
            np.subtract(dv[kids], dv[rows], out=e)
            e *= pd
            e += dv[rows]
            e *= gamma
        if d == 0:
            return c[0] - stop, (inv - e[0]) if dv is not None else np.full_like(lam, np.nan)
        top[d] = hi
        np.less_equal(c, stop, out=mask)
        np.maximum(c, stop, out=v[rows])
        if dv is not None:
            np.putmask(e, mask, inv)
            dv[rows] = e
        lo += _first_live_row(mask)
    raise AssertionError("unreachable")  # pragma: no cover


#: Rows above the band have ``n KL(p || lam) >= _BAND_LOG`` (``n = a + b`` at the row, ``p`` its
#: posterior mean), so ``P(theta <= lam) <= exp(-n KL(p || lam)) < 5e-18`` there (the Chernoff
#: bound for ``theta ~ Beta(a, b)`` as a ratio of Gamma variables, any real ``a, b > 0``).
_BAND_LOG = 40.0


def _band_tops(a0: FloatArray, n0: FloatArray, lam: FloatArray, depth: int) -> list[int]:
    """Per depth, a row (over all roots) from which every row has ``n KL(p || lam) >= 40``:
    Newton's method on the convex ``n KL(p || lam) - 40`` from the normal approximation,
    checked at the end (where the check fails, nothing is above the band)."""
    n = n0 + np.arange(depth + 1, dtype=np.float64)[:, None]
    lc = np.clip(lam, 1e-300, 1.0 - 1e-16)
    k = 2.0 * _BAND_LOG / (n + 1.0)
    half = 2.0 * lc + k
    x = (half + np.sqrt(np.maximum(half * half - 4.0 * (1.0 + k) * lc * lc, 0.0))) / (
        2.0 * (1.0 + k)
    )
    hi_x = 1.0 - 1e-15
    with np.errstate(divide="ignore", invalid="ignore"):
        for _ in range(4):
            x = np.clip(x, np.minimum(lc * (1.0 + 1e-9) + 1e-300, hi_x), hi_x)
            f = n * _kl(x, lc) - _BAND_LOG
            x = x - f / (n * np.log(x * (1.0 - lc) / (lc * (1.0 - x))))
        # Newton on a convex function ends at the root from above, but rounding can leave the
        # last iterate an ulp below it, where the check fails: step a hair to the right
        x = np.clip(np.nan_to_num(x, nan=1.0) + 1e-9, 0.0, hi_x)
        ok = (x > lc) & (n * _kl(x, lc) >= _BAND_LOG)
    x = np.where(ok, x, np.inf)
    rows = np.ceil(np.max(x * n - a0, axis=1))
    return (
        np.clip(np.nan_to_num(rows, posinf=depth + 1.0), 1, np.arange(depth + 1) + 1)
        .astype(np.int64)
        .tolist()
    )


def _kl(x: FloatArray, lam: FloatArray) -> FloatArray:
    """Bernoulli KL divergence ``KL(x || lam)``."""
    return x * np.log(x / lam) + (1.0 - x) * np.log((1.0 - x) / (1.0 - lam))


def _top_value(
    a_i: FloatArray, n: FloatArray | float, lam: FloatArray, inv: float, upper: bool
) -> FloatArray:
    """Closed-form bound at rows ``a_i`` of depth total ``n``: full information (``upper``) or
    never retiring."""
    p = a_i / n
    if not upper:
        return p * inv
    b_i = n - a_i
    below = special.betainc(a_i, b_i, lam)  # P(theta <= lam)
    below1 = special.betainc(a_i + 1.0, b_i, lam)
    return (lam * below + p * (1.0 - below1)) * inv  # E[max(lam, theta)] / (1 - gamma)


def _first_live_row(retired: NDArray[np.bool_]) -> int:
    """Number of leading rows of ``retired`` (rows, roots) in which every root retires."""
    live = ~retired.all(axis=1)
    return int(np.argmax(live)) if live.any() else retired.shape[0]
