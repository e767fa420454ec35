"""Regenerate the Gittins tables shipped in ``bayes_meta_envs/baselines/data``.

Usage::

    python scripts/make_gittins_tables.py            # all shipped discount factors
    python scripts/make_gittins_tables.py --gamma 0.9

Each file ``gittins_gamma{g}.npz`` holds ``table`` (``table[a, b]``, NaN outside
``a, b >= 1, a + b <= max_n``), ``gamma``, ``max_n``, ``max_error`` (the largest certified error
bound over the table) and ``tol``. Files are written atomically (temporary file, then
``os.replace``).

Size of each table (``max_n``, the largest ``a + b``): MetaBandit's default (horizon 20, prior
Beta(1, 1)) only visits ``a + b <= 22``; 200 covers priors with ``a + b`` up to 180 at horizon
20 (or horizons up to 198 from Beta(1, 1)) and costs seconds for gamma <= 0.95. For gamma = 0.99
the truncation depth is ~10x larger (the cost grows like depth^2 per state), so that table stops
at ``a + b <= 100`` (about 2 minutes); anything beyond is computed on demand and cached. Total
size about 0.6 MB.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from bayes_meta_envs.baselines.gittins import (
    DEFAULT_TOL,
    SHIPPED_GAMMAS,
    compute_gittins_indices,
    table_states,
)

MAX_N = {0.5: 200, 0.7: 200, 0.9: 200, 0.95: 200, 0.99: 100}
DATA = Path(__file__).resolve().parents[1] / "bayes_meta_envs" / "baselines" / "data"


def make_table(gamma: float, max_n: int, folder: Path = DATA) -> Path:
    a, b = table_states(max_n)
    res = compute_gittins_indices(a.astype(float), b.astype(float), gamma, tol=DEFAULT_TOL)
    table = np.full((max_n + 1, max_n + 1), np.nan)
    table[a, b] = res.indices
    path = folder / f"gittins_gamma{gamma:g}.npz"
    fd, tmp = tempfile.mkstemp(prefix=".gittins-", suffix=".npz", dir=folder)
    os.close(fd)
    try:
        with open(tmp, "wb") as fh:
            np.savez_compressed(
                fh,
                table=table,
                gamma=np.float64(gamma),
                max_n=np.int64(max_n),
                max_error=np.float64(res.error_bound.max()),
                tol=np.float64(DEFAULT_TOL),
            )
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gamma", type=float, action="append", help="default: all shipped")
    args = parser.parse_args()
    gammas = args.gamma or list(SHIPPED_GAMMAS)
    print(f"{'gamma':>6} {'max_n':>6} {'states':>7} {'seconds':>8} {'KiB':>7}")
    for g in gammas:
        n = MAX_N.get(g, 100)
        t0 = time.perf_counter()
        path = make_table(g, n)
        dt = time.perf_counter() - t0
        states = n * (n - 1) // 2
        print(f"{g:>6g} {n:>6d} {states:>7d} {dt:>8.1f} {path.stat().st_size / 1024:>7.1f}")


if __name__ == "__main__":
    main()
