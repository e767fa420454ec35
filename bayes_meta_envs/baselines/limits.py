"""Size limits of the exact solvers, checked before anything is allocated.

The exact bandit DP and the Gittins-index calibration grow fast with their arguments (the DP's
belief states with the horizon and the number of arms, the calibration's tree with
``1 / (1 - gamma)``). Each estimates its size first and raises
:class:`~bayes_meta_envs.errors.ProblemTooLargeError` stating the estimate and the limit when the
limit is exceeded, instead of running for hours or dying with a ``MemoryError``.

The limits are module-level settings, changed with :func:`set_limits` (which returns the previous
values, so a caller can restore them). ``dp_max_bytes`` defaults to the package's memory budget
(:func:`bayes_meta_envs.set_memory_budget`, which the envs, scoring and the trainers consult too)
until it is set here; the size estimates use logarithms, so that a huge ``n_arms`` or ``horizon``
is refused at once::

    from bayes_meta_envs.baselines import limits
    old = limits.set_limits(dp_max_bytes=16 * 2**30)   # allow a 16 GiB DP
    ...
    limits.set_limits(**old)
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bayes_meta_envs._limits import (
    human_bytes,
    log_comb,
    memory_budget,
)
from bayes_meta_envs._validate import check_int
from bayes_meta_envs.errors import ProblemTooLargeError, invalid

__all__ = [
    "check_dp_size",
    "check_gittins_depth",
    "check_table_size",
    "dp_bytes_estimate",
    "dp_state_count",
    "get_limits",
    "set_limits",
]

# estimated peak memory of one exact bandit DP (bytes); None: the package's memory budget
_DP_MAX_BYTES: dict[str, int | None] = {"value": None}
_LIMITS: dict[str, int] = {
    # truncation depth of the Gittins calibration tree (~ 11.5 / (1 - gamma) pulls): 65536 allows
    # gamma up to about 0.9998
    "gittins_max_depth": 1 << 16,
    # entries of a Gittins table (max_n + 1)^2 / 2 computed on demand
    "gittins_max_table_states": 500_000,
}


def get_limits() -> dict[str, int]:
    """The current limits: ``dp_max_bytes``, ``gittins_max_depth``, ``gittins_max_table_states``."""
    return {"dp_max_bytes": _dp_max_bytes(), **_LIMITS}


def _dp_max_bytes() -> int:
    value = _DP_MAX_BYTES["value"]
    return memory_budget() if value is None else value


def set_limits(**limits: Any) -> dict[str, int | None]:
    """Change some limits (keywords as in :func:`get_limits`); return the previous values, so
    that ``set_limits(**old)`` restores them. ``dp_max_bytes=None`` makes the DP's limit follow
    the package's memory budget again (the default; the returned ``old`` holds ``None`` then)."""
    old: dict[str, int | None] = {"dp_max_bytes": _DP_MAX_BYTES["value"], **_LIMITS}
    for name, value in limits.items():
        if name not in old:
            raise invalid("limit name", name, f"one of {list(old)}")
        if name == "dp_max_bytes":
            _DP_MAX_BYTES["value"] = None if value is None else check_int(name, value, 1)
        else:
            _LIMITS[name] = check_int(name, value, 1)
    return old


def dp_bytes_estimate(n_arms: int, horizon: int, group_sizes: list[int]) -> float:
    """Estimated peak bytes of the bandit DP: its number of canonical belief states (counted
    exactly by :func:`dp_state_count`) at ``12 K^2 + 16 K + 40`` bytes each (fitted on measured
    peaks for K = 2..6; measured peaks are 0.5 to 0.8 of the estimate up to K = 10).

    Instant for any size: three lower bounds on the state count, in logarithms, come first
    (``C(H + 2K, 2K) / prod(g!)``; one arm's ``C(H + 2, 2)`` count pairs with the others unpulled;
    two arms' ``C(H + 4, 4) / 2``), and the exact count runs only when they stay under
    ``2**62`` bytes; ``inf`` past ``1e300`` bytes."""
    k = n_arms
    per_state = 12.0 * k * k + 16.0 * k + 40.0
    log_lower = max(
        log_comb(horizon + 2 * k, 2 * k) - sum(math.lgamma(g + 1.0) for g in group_sizes),
        log_comb(horizon + 2, 2),
        log_comb(horizon + 4, 4) - math.log(2.0) if k >= 2 else -math.inf,
    )
    log_bytes = log_lower + math.log(per_state)
    if log_bytes > 62 * math.log(2.0):
        return math.inf if log_bytes > 690.0 else math.exp(log_bytes)  # exp(690) ~ 1e300
    return dp_state_count(horizon, group_sizes) * per_state


def dp_state_count(horizon: int, group_sizes: list[int]) -> float:
    """The number of canonical belief states of the DP over all layers ``t = 0..horizon``.

    A state is, per group of ``g`` exchangeable arms, a multiset of ``g`` count pairs ``(s, f)``,
    with ``sum (s + f) <= horizon`` over all arms. Per group the counts by pulls are the
    coefficients of ``y^g`` in ``prod_n (1 - y x^n)^-(n + 1)`` (``n + 1`` pairs have ``n`` pulls);
    the groups' polynomials multiply. Dividing the ordered count by ``g!`` (the estimate of 0.2)
    undercounts badly when many arms share a state: 3e-6 states for K = 50, H = 100 against
    1.3e19. Call it through :func:`dp_bytes_estimate`, which refuses huge sizes first."""
    total = np.zeros(horizon + 1)
    total[0] = 1.0
    for g in group_sizes:
        total = np.convolve(total, _multisets_by_pulls(g, horizon))[: horizon + 1]
    return float(total.sum())


def _multisets_by_pulls(g: int, horizon: int) -> np.ndarray:
    """``out[w]``: multisets of ``g`` count pairs whose pulls add up to ``w`` (``w <= horizon``);
    each factor of the generating function expands as ``sum_m C(m + n, n) y^m x^(n m)``."""
    a = np.zeros((g + 1, horizon + 1))
    a[:, 0] = 1.0  # pulls 0: only the pair (0, 0), any number of times
    for n in range(1, horizon + 1):
        new = a.copy()
        for m in range(1, min(g, horizon // n) + 1):
            new[m:, n * m :] += math.comb(m + n, n) * a[: g + 1 - m, : horizon + 1 - n * m]
        a = new
    return a[g]


def check_dp_size(n_arms: int, horizon: int, group_sizes: list[int]) -> None:
    """Raise :class:`ProblemTooLargeError` if the DP's estimated memory exceeds the limit."""
    need = dp_bytes_estimate(n_arms, horizon, group_sizes)
    limit = _dp_max_bytes()
    if need > limit:
        raise ProblemTooLargeError(
            f"the exact bandit DP for n_arms={n_arms}, horizon={horizon} needs about "
            f"{_human(need)} (estimated), above the limit of {_human(limit)}; raise it with "
            "bayes_meta_envs.set_memory_budget(BYTES) (every allocation's budget) or "
            "bayes_meta_envs.baselines.limits.set_limits(dp_max_bytes=...) (the DP's alone)"
        )


def check_gittins_depth(gamma: float, depth: int) -> None:
    """Raise :class:`ProblemTooLargeError` if a calibration tree of ``depth`` is over the limit."""
    limit = _LIMITS["gittins_max_depth"]
    if depth > limit:
        raise ProblemTooLargeError(
            f"the Gittins index for gamma={gamma!r} needs a calibration tree {depth} pulls deep "
            f"(about {_human(8.0 * 10 * 64 * (depth + 1))} of memory and {depth}^2 operations "
            f"per pass), above the limit of {limit}; raise it with "
            "bayes_meta_envs.baselines.limits.set_limits(gittins_max_depth=...)"
        )


def check_table_size(max_n: int) -> None:
    """Raise :class:`ProblemTooLargeError` if a Gittins table up to ``max_n`` is over the limit."""
    states = (max_n + 1) * (max_n + 2) // 2
    limit = _LIMITS["gittins_max_table_states"]
    if states > limit:
        raise ProblemTooLargeError(
            f"a Gittins table with max_n={max_n} has {states} states, above the limit of "
            f"{limit}; raise it with "
            "bayes_meta_envs.baselines.limits.set_limits(gittins_max_table_states=...)"
        )


_human = human_bytes
