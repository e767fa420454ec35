"""Benchmark: time to compute the full Gittins table up to a + b = 100.

Compares, in one run, the vectorised calibration of :mod:`bayes_meta_envs.baselines.gittins`
(Newton on all states at once, coarse-to-fine depth, retired rows skipped, roots grouped by
index, certified error), alone and split over two worker processes (every other state each: the
2-core figure), with two references: the 0.3 calibration (:func:`old_indices`: the same
Newton method without skipping retired rows, chunks in table order, depths 1/4 and 1/2 before the
full depth; timed on the whole table, and its largest difference from the new table printed) and
a naive per-state bisection on the retirement reward, one plain backward induction (numpy over
each diagonal) per bisection step, at the same truncation depth, timed on a small subset of
states and extrapolated to the whole table. Wall-clock and CPU seconds of the process are both
printed (on a shared machine the CPU seconds compare the methods fairly; the speed-up is their
ratio). Peak memory is measured with tracemalloc, in a separate untimed run.

    python benchmarks/gittins_table.py                 # gamma 0.9 and 0.99, a + b <= 100
    python benchmarks/gittins_table.py --gamma 0.9 --max-n 50 --naive-states 5
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from scipy import special

from bayes_meta_envs.baselines.gittins import (
    compute_gittins_indices,
    default_depth,
    table_states,
)


def _old_pass(
    a0: np.ndarray, b0: np.ndarray, lam: np.ndarray, gamma: float, depth: int, upper: bool
) -> tuple[np.ndarray, np.ndarray]:
    """0.3's calibration pass: every row of the tree below every root, at every depth."""
    inv = 1.0 / (1.0 - gamma)
    n0, stop = a0 + b0, lam * inv
    a_i = np.arange(depth + 1, dtype=np.float64)[:, None] + a0
    p = a_i / (n0 + depth)
    if upper:
        below = special.betainc(a_i, n0 + depth - a_i, lam)
        below1 = special.betainc(a_i + 1.0, n0 + depth - a_i, lam)
        v, dv = (lam * below + p * (1.0 - below1)) * inv, below * inv
    else:
        v, dv = np.maximum(lam, p) * inv, np.where(lam >= p, inv, 0.0)
    for d in range(depth - 1, -1, -1):
        pd = a_i[: d + 1] / (n0 + d)
        c = gamma * (v[:-1] + pd * (v[1:] - v[:-1])) + pd
        e = gamma * (dv[:-1] + pd * (dv[1:] - dv[:-1]))
        if d == 0:
            return c[0] - stop, inv - e[0]
        v, dv = np.maximum(c, stop), np.where(c <= stop, inv, e)
    raise AssertionError("unreachable")


def old_indices(a: np.ndarray, b: np.ndarray, gamma: float, tol: float = 1e-7) -> np.ndarray:
    """0.3's :func:`compute_gittins_indices` (chunks of 64 roots in the given order)."""
    lam, err = a / (a + b), np.full(a.shape, np.inf)
    depth, todo = default_depth(gamma), np.arange(a.size)
    while todo.size:
        for s in range(0, todo.size, 64):
            idx = todo[s : s + 64]
            ai, bi, li = a[idx], b[idx], lam[idx]
            for level in [d for d in (depth // 4, depth // 2) if d >= 8] + [depth]:
                for _ in range(60 if level < depth else 1):
                    g, w = _old_pass(ai, bi, li, gamma, level, upper=False)
                    step = g / w
                    li = np.clip(li + step, 0.0, 1.0)
                    if np.all(np.abs(step) <= tol):
                        break
            lam[idx] = li
            err[idx] = np.maximum(_old_pass(ai, bi, li, gamma, depth, upper=True)[0], 0.0)
        todo = todo[err[todo] > tol]
        depth = (3 * depth) // 2
    return lam


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


def _half(args: tuple[np.ndarray, np.ndarray, float]) -> np.ndarray:
    return compute_gittins_indices(args[0], args[1], args[2]).indices


def two_processes(a: np.ndarray, b: np.ndarray, gamma: float) -> np.ndarray:
    """The library's calibration on two worker processes, each on every other state."""
    out = np.empty(a.shape)
    with ProcessPoolExecutor(max_workers=2) as pool:
        parts = list(pool.map(_half, [(a[k::2], b[k::2], gamma) for k in (0, 1)]))
    out[0::2], out[1::2] = parts
    return out


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
        t0, c0 = time.perf_counter(), time.process_time()
        res = compute_gittins_indices(a.astype(float), b.astype(float), gamma)
        t_vec, c_vec = time.perf_counter() - t0, time.process_time() - c0
        # memory in a second, untimed run: tracemalloc slows numpy's allocations (by 1.5 times
        # here), which once inflated the timing above
        tracemalloc.start()
        compute_gittins_indices(a.astype(float), b.astype(float), gamma)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        t0 = time.perf_counter()
        two = two_processes(a.astype(float), b.astype(float), gamma)
        t_two = time.perf_counter() - t0
        assert np.max(np.abs(two - res.indices)) <= 1e-12
        t0, c0 = time.perf_counter(), time.process_time()
        old = old_indices(a.astype(float), b.astype(float), gamma)
        t_old, c_old = time.perf_counter() - t0, time.process_time() - c0
        rng = np.random.default_rng(0)
        pick = rng.choice(a.size, size=min(args.naive_states, a.size), replace=False)
        depth = int(res.depth[pick].max())
        t0 = time.perf_counter()
        naive = [naive_index(float(a[k]), float(b[k]), gamma, depth) for k in pick]
        t_naive = (time.perf_counter() - t0) / len(pick) * a.size
        diff = float(np.max(np.abs(np.array(naive) - res.indices[pick])))
        rows.append(
            (gamma, a.size, int(default_depth(gamma)), t_vec, t_two, t_old, c_vec, c_old, t_naive, peak,
             float(np.max(np.abs(old - res.indices))), diff, float(res.error_bound.max()))
        )  # fmt: skip
    print(
        f"{'gamma':>6} {'states':>7} {'depth':>6} {'new s':>7} {'new 2 proc. s':>14} {'0.3 s':>7}"
        f" {'new CPU s':>10}"
        f" {'0.3 CPU s':>10} {'speed-up':>9}"
        f" {'naive s (extrap.)':>18} {'peak MiB':>9} {'|new - 0.3|':>12} {'|new - naive|':>14}"
        f" {'cert. error':>12}"
    )
    for g, n, d, tv, t2, to, cv, co, tn, pk, dold, df, err in rows:
        print(
            f"{g:>6g} {n:>7d} {d:>6d} {tv:>7.2f} {t2:>14.2f} {to:>7.2f} {cv:>10.2f} {co:>10.2f}"
            f" {co / cv:>9.2f} {tn:>18.1f}"
            f" {pk / 2**20:>9.1f} {dold:>12.1e} {df:>14.1e} {err:>12.1e}"
        )


if __name__ == "__main__":
    main()
