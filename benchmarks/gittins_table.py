"""Benchmark: time to compute the full Gittins table up to a + b = 100.

Compares, in one run, the vectorised calibration of :mod:`bayes_meta_envs.baselines.gittins`
(Newton on all states at once, coarse-to-fine depth, certified error) with a naive reference:
per-state bisection on the retirement reward, one plain backward induction (numpy over each
diagonal) per bisection step, at the same truncation depth. The naive method is timed on a small
subset of states and extrapolated to the whole table. Peak memory is measured with tracemalloc.

    python benchmarks/gittins_table.py                 # gamma 0.9 and 0.99, a + b <= 100
    python benchmarks/gittins_table.py --gamma 0.9 --max-n 50 --naive-states 5
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from bayes_meta_envs.baselines.gittins import (
    compute_gittins_indices,
    default_depth,
    table_states,
)


def naive_index(a0: float, b0: float, gamma: float, depth: int, iters: int = 34) -> float:
    """Bisection on lambda (error 2**-34 ~ 6e-11), one backward induction per step."""
    lo, hi = a0 / (a0 + b0), 1.0
    stop_scale = 1.0 / (1.0 - gamma)
    for _ in range(iters):
        lam = (lo + hi) / 2
        i = np.arange(depth + 1)
        v = np.maximum(lam, (a0 + i) / (a0 + b0 + depth)) * stop_scale
        c = v
        for d in range(depth - 1, -1, -1):
            p = (a0 + i[: d + 1]) / (a0 + b0 + d)
            c = p + gamma * (p * v[1:] + (1 - p) * v[:-1])
            v = np.maximum(lam * stop_scale, c)
        if c[0] > lam * stop_scale:
            lo = lam
        else:
            hi = lam
    return (lo + hi) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description="Gittins table benchmark")
    parser.add_argument("--gamma", type=float, action="append", help="default: 0.9 and 0.99")
    parser.add_argument("--max-n", type=int, default=100)
    parser.add_argument("--naive-states", type=int, default=8)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke run for CI: tiny sizes, timings meaningless (gamma 0.9, a + b <= 20)",
    )
    args = parser.parse_args()
    gammas = args.gamma or [0.9, 0.99]
    if args.quick:
        gammas, args.max_n, args.naive_states = gammas[:1], 20, 2
    rows = []
    for gamma in gammas:
        a, b = table_states(args.max_n)
        tracemalloc.start()
        t0 = time.perf_counter()
        res = compute_gittins_indices(a.astype(float), b.astype(float), gamma)
        t_vec = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        rng = np.random.default_rng(0)
        pick = rng.choice(a.size, size=min(args.naive_states, a.size), replace=False)
        depth = int(res.depth[pick].max())
        t0 = time.perf_counter()
        naive = [naive_index(float(a[k]), float(b[k]), gamma, depth) for k in pick]
        t_naive = (time.perf_counter() - t0) / len(pick) * a.size
        diff = float(np.max(np.abs(np.array(naive) - res.indices[pick])))
        rows.append(
            (gamma, a.size, int(default_depth(gamma)), t_vec, t_naive, peak, diff,
             float(res.error_bound.max()))
        )  # fmt: skip
    print(
        f"{'gamma':>6} {'states':>7} {'depth':>6} {'vectorised s':>13} {'naive s (extrap.)':>18}"
        f" {'ratio':>7} {'peak MiB':>9} {'max |diff|':>11} {'cert. error':>12}"
    )
    for g, n, d, tv, tn, pk, df, err in rows:
        print(
            f"{g:>6g} {n:>7d} {d:>6d} {tv:>13.2f} {tn:>18.1f} {tn / tv:>7.1f}"
            f" {pk / 2**20:>9.1f} {df:>11.1e} {err:>12.1e}"
        )


if __name__ == "__main__":
    main()
