"""The one memory budget: every allocation sized by user input asks here first.

An env's episode noise (``num_envs x horizon x n_arms``), a prior of ``n_arms`` arms or
``n_categories`` categories, a scoring run's per-episode statistics and traces, the exact bandit
DP's belief states and a network's weights all grow with numbers a user passes. Each caller
estimates its peak bytes with the helpers below and calls :func:`check_memory` *before*
allocating, which raises :class:`~bayes_meta_envs.errors.ProblemTooLargeError` naming the
arguments, their values, the estimate and the budget, instead of numpy's bare ``MemoryError``,
an out-of-memory kill or an hour of swapping.

The arithmetic cannot itself hang on huge integers: :func:`nbytes` multiplies floats (a product
over ``1e308`` is ``inf``, which is refused), and :func:`log_comb` works with ``lgamma``, never
with ``math.comb`` of a number with a million digits.

The budget is a process-wide setting (default 4 GiB), read with :func:`memory_budget` and changed
with :func:`set_memory_budget`, which returns the previous value so that it can be restored::

    import bayes_meta_envs
    old = bayes_meta_envs.set_memory_budget(32 * 2**30)   # allow 32 GiB
    ...
    bayes_meta_envs.set_memory_budget(old)
"""

from __future__ import annotations

import math

from bayes_meta_envs.errors import ProblemTooLargeError, invalid, short_repr, wrong_type

__all__ = [
    "DEFAULT_MEMORY_BUDGET",
    "check_memory",
    "human_bytes",
    "log_comb",
    "memory_budget",
    "nbytes",
    "set_memory_budget",
]

#: The default budget of one allocation sized by user input: 4 GiB.
DEFAULT_MEMORY_BUDGET = 4 * 2**30
_BUDGET = {"bytes": DEFAULT_MEMORY_BUDGET}
_HOW_TO_RAISE = "raise it with bayes_meta_envs.set_memory_budget(BYTES)"


def memory_budget() -> int:
    """The current memory budget in bytes."""
    return _BUDGET["bytes"]


def set_memory_budget(max_bytes: int) -> int:
    """Set the memory budget (an int >= 1, in bytes); return the previous one."""
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int):
        raise wrong_type("max_bytes", max_bytes, "an int >= 1 (bytes)")
    if max_bytes < 1:
        raise invalid("max_bytes", max_bytes, "an int >= 1 (bytes)")
    old = _BUDGET["bytes"]
    _BUDGET["bytes"] = max_bytes
    return old


def nbytes(*factors: float, itemsize: float = 8.0) -> float:
    """``itemsize * prod(factors)`` as a float: ``inf`` past ``1e308``, never a huge int."""
    total = float(itemsize)
    for f in factors:
        total *= float(f) if f < 1e300 else math.inf
    return total


def log_comb(n: float, k: float) -> float:
    """``log C(n, k)`` from ``lgamma`` (fast for any size; ``-inf`` when ``k`` is outside ``[0, n]``)."""
    if k < 0 or k > n:
        return -math.inf
    return math.lgamma(n + 1.0) - math.lgamma(k + 1.0) - math.lgamma(n - k + 1.0)


def human_bytes(n: float) -> str:
    """``n`` bytes in binary units (``3.2 GiB``)."""
    if not math.isfinite(n):
        return "more than 1e308 B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_memory(need: float, what: str, limit: int | None = None, /, **arguments: object) -> None:
    """Raise :class:`ProblemTooLargeError` when ``need`` bytes exceed the budget.

    ``what`` says what would be allocated (``"the episode noise"``); ``arguments`` are the
    user's arguments that size it, named in the message with their values. ``limit`` replaces
    the budget for a solver with its own setting.
    """
    budget = memory_budget() if limit is None else limit
    if need <= budget:
        return
    named = ", ".join(f"{k}={short_repr(v, 60)}" for k, v in arguments.items())
    raise ProblemTooLargeError(
        f"{named}: {what} would need about {human_bytes(need)}, above the memory budget of "
        f"{human_bytes(budget)}; {_HOW_TO_RAISE}"
    )
