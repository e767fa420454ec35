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


def set_limits(**limits: Any) -> dict[str, int]:
    """Change some limits (keywords as in :func:`get_limits`); return the previous values."""
    old = get_limits()
    for name, value in limits.items():
        if name not in old:
            raise invalid("limit name", name, f"one of {list(old)}")
        checked = check_int(name, value, 1)
        if name == "dp_max_bytes":
            _DP_MAX_BYTES["value"] = checked
        else:
            _LIMITS[name] = checked
    return old


def dp_bytes_estimate(n_arms: int, horizon: int, group_sizes: list[int]) -> float:
    """Estimated peak bytes of the bandit DP: about ``C(H + 2K, 2K) / prod(g!)`` belief states
    (``g`` the sizes of the groups of exchangeable arms) at ``12 K^2 + 16 K + 40`` bytes each
    (fitted on measured peaks for K = 2..6; an overestimate by up to ~1.7x).

    Computed with logarithms (``lgamma``), so that it is instant for any size: ``inf`` past
    ``1e300`` bytes."""
    k = n_arms
    per_state = 12.0 * k * k + 16.0 * k + 40.0
    log_all = log_comb(horizon + 2 * k, 2 * k)
    if log_all < 40.0:  # small: the exact count (integers of a few digits)
        states = math.comb(horizon + 2 * k, 2 * k)
        for g in group_sizes:
            states //= math.factorial(g)
        return float(max(states, horizon + 1)) * per_state
    log_states = log_all - sum(math.lgamma(g + 1.0) for g in group_sizes)
    # at least one state per step (dividing by g! undercounts when g is large)
    log_states = max(log_states, math.log(horizon + 1.0))
    log_bytes = log_states + math.log(per_state)
    return math.inf if log_bytes > 690.0 else math.exp(log_bytes)  # exp(690) ~ 1e300


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
