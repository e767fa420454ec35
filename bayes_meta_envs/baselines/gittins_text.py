"""Gittins-index tables as text: aligned for reading, CSV for other tools.

Used by ``bayes-meta gittins``.
"""

from __future__ import annotations

import numpy as np

from bayes_meta_envs.baselines.gittins import gittins_table, table_states

__all__ = ["gittins_table_csv", "gittins_table_text"]


def gittins_table_text(gamma: float, max_n: int) -> str:
    """The table of ``gittins_table(gamma, max_n)`` as aligned text (6 decimals).

    Rows are ``a = 1..max_n - 1``, columns ``b = 1..max_n - 1``; only states with
    ``a + b <= max_n`` are filled.
    """
    table = gittins_table(gamma, max_n)
    n = int(max_n)
    width = 8
    header = "a \\ b".ljust(6) + "".join(str(j).rjust(width + 1) for j in range(1, n))
    rows = [
        f"Gittins indices, Beta(a, b) Bernoulli arm, gamma={gamma:g}, a + b <= {n}",
        header,
    ]
    for i in range(1, n):
        cells = [
            f"{table[i, j]:.6f}".rjust(width + 1) if i + j <= n else " " * (width + 1)
            for j in range(1, n)
        ]
        rows.append(str(i).ljust(6) + "".join(cells).rstrip())
    return "\n".join(rows)


def gittins_table_csv(gamma: float, max_n: int) -> str:
    """The table of ``gittins_table(gamma, max_n)`` as CSV: columns ``a,b,index``, one row per
    state with ``a + b <= max_n`` (10 decimals)."""
    table = gittins_table(gamma, max_n)
    a, b = table_states(int(max_n))
    order = np.lexsort((b, a))
    lines = ["a,b,index"]
    lines += [f"{a[k]},{b[k]},{table[a[k], b[k]]:.10f}" for k in order]
    return "\n".join(lines) + "\n"
