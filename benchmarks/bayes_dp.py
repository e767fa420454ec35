"""Speed and memory of the exact Bayes-optimal bandit solver, against a plain memoised recursion.

Run: ``python benchmarks/bayes_dp.py [--naive-timeout 60] [--repeat 3]``

For each problem (uniform Beta(1, 1) priors) it prints the number of canonical belief states, the
best-of-``repeat`` solve time of :func:`solve_bandit` (cache cleared), its peak traced memory
(tracemalloc, a separate run), then the time of a plain ``functools.cache`` recursion over the full
count tuple ``(s_1, f_1, ..., s_K, f_K)`` run in a subprocess under a time limit, the ratio of the
two times, and whether both values agree. A second table times the vectorised agent lookup on a
batch of 100,000 belief states (what scoring does at every step).

Targets: 2x20 < 50 ms; 2x100 < 1 s; 3x25 < 5 s; 5x20 < 10 s.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing as mp
import sys
import time
import tracemalloc
from functools import cache

import numpy as np

from bayes_meta_envs.baselines import BayesOptimalAgent, bandit_dp, solve_bandit

CASES = [(2, 20, 0.05), (2, 100, 1.0), (3, 25, 5.0), (5, 20, 10.0)]


def naive_value(n_arms: int, horizon: int) -> float:
    """Plain memoised recursion, uniform priors, no symmetry: the reference implementation."""
    sys.setrecursionlimit(max(10_000, 20 * horizon))

    @cache
    def v(counts: tuple[int, ...]) -> float:
        if sum(counts) == horizon:
            return 0.0
        best = 0.0
        for k in range(n_arms):
            s, f = counts[2 * k], counts[2 * k + 1]
            p = (1.0 + s) / (2.0 + s + f)
            win = (*counts[: 2 * k], s + 1, f, *counts[2 * k + 2 :])
            lose = (*counts[: 2 * k], s, f + 1, *counts[2 * k + 2 :])
            best = max(best, p * (1.0 + v(win)) + (1.0 - p) * v(lose))
        return best

    return v((0,) * (2 * n_arms))


def _naive_worker(n_arms: int, horizon: int, out: mp.Queue) -> None:
    t0 = time.perf_counter()
    value = naive_value(n_arms, horizon)
    out.put((time.perf_counter() - t0, value))


def time_naive(n_arms: int, horizon: int, limit: float) -> tuple[float, float] | None:
    """``(seconds, value)`` of the naive recursion in a subprocess, or None past ``limit``."""
    queue: mp.Queue = mp.Queue()
    proc = mp.get_context("fork").Process(target=_naive_worker, args=(n_arms, horizon, queue))
    proc.start()
    proc.join(limit)
    if proc.is_alive():
        proc.terminate()
        proc.join()
        return None
    return queue.get() if not queue.empty() else None


def time_solve(n_arms: int, horizon: int, repeat: int) -> tuple[float, float, int, float]:
    """``(best seconds, peak MiB, states, value)`` of solve_bandit with a cold cache."""
    best = math.inf
    for _ in range(repeat):
        bandit_dp._solve_cached.cache_clear()  # time the solve, not the cache
        t0 = time.perf_counter()
        sol = solve_bandit(n_arms, horizon)
        best = min(best, time.perf_counter() - t0)
    bandit_dp._solve_cached.cache_clear()
    tracemalloc.start()
    solve_bandit(n_arms, horizon)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    bandit_dp._solve_cached.cache_clear()
    return best, peak, sol.n_states, sol.value


def time_lookup(n_arms: int, horizon: int, batch: int, repeat: int) -> tuple[float, float]:
    """Best seconds of ``q_values`` and ``output`` on ``batch`` random reachable belief states."""
    agent = BayesOptimalAgent(n_arms, horizon)
    rng = np.random.default_rng(0)
    t = rng.integers(0, horizon, size=batch)
    arm_of_pull = rng.integers(0, n_arms, size=(batch, horizon))
    win = rng.random((batch, horizon)) < 0.5
    used = np.arange(horizon)[None, :] < t[:, None]
    s = np.stack([((arm_of_pull == k) & win & used).sum(1) for k in range(n_arms)], axis=1)
    f = np.stack([((arm_of_pull == k) & ~win & used).sum(1) for k in range(n_arms)], axis=1)
    state = np.concatenate([1.0 + s, 1.0 + f, t[:, None].astype(float)], axis=1)
    q_best = out_best = math.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        agent.q_values(state)
        q_best = min(q_best, time.perf_counter() - t0)
        t0 = time.perf_counter()
        agent.output(state)
        out_best = min(out_best, time.perf_counter() - t0)
    return q_best, out_best


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive-timeout", type=float, default=60.0, help="seconds per naive run")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--quick", action="store_true", help="smoke run for CI: tiny sizes, timings meaningless"
    )
    args = parser.parse_args(argv)
    cases, lookups, batch = CASES, [(2, 20), (2, 100), (5, 20)], 100_000
    if args.quick:
        cases, lookups, batch = CASES[:1], [(2, 20)], 1_000
        args.naive_timeout, args.repeat = min(args.naive_timeout, 10.0), 1

    header = (
        f"{'problem':>8} {'states':>9} {'DP time':>10} {'target':>7} {'peak MiB':>9} "
        f"{'naive states':>13} {'naive time':>11} {'speed-up':>9} {'value':>12} {'agree':>6}"
    )
    print(header)
    print("-" * len(header))
    for k, h, target in cases:
        secs, peak, n_states, value = time_solve(k, h, args.repeat)
        naive_states = math.comb(h + 2 * k, 2 * k)
        res = time_naive(k, h, args.naive_timeout)
        if res is None:
            naive_t, ratio, agree = f">{args.naive_timeout:.0f} s", "-", "-"
        else:
            naive_t = f"{res[0]:.3f} s"
            ratio = f"{res[0] / secs:.0f}x"
            agree = "yes" if abs(res[1] - value) <= 1e-9 * max(1.0, value) else "NO"
        ok = "ok" if secs < target else "MISS"
        print(
            f"{f'{k}x{h}':>8} {n_states:>9,} {secs * 1e3:>7.1f} ms {ok:>7} {peak:>9.1f} "
            f"{naive_states:>13,} {naive_t:>11} {ratio:>9} {value:>12.6f} {agree:>6}"
        )
    print("naive = functools.cache recursion over (s_1, f_1, ..., s_K, f_K), no symmetry,")
    print(f"run in a subprocess and stopped after {args.naive_timeout:.0f} s; states = its table.")

    print()
    print(f"{'lookup':>8} {'batch':>8} {'q_values':>10} {'output':>10}")
    for k, h in lookups:
        bandit_dp._solve_cached.cache_clear()
        q, out = time_lookup(k, h, batch, args.repeat)
        print(f"{f'{k}x{h}':>8} {batch:>8,} {q * 1e3:>7.1f} ms {out * 1e3:>7.1f} ms")


if __name__ == "__main__":
    main()
