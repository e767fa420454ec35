"""The bracket on the Bayes-optimal value: every upper bound beside the exact value or the lower end.

Run: ``python benchmarks/bayes_bounds.py [--quick] [--grid]``

Part 1 (where the exact DP fits, uniform Beta(1, 1) arms): ``V*`` from the DP and the slack
above it of each upper bound of :func:`~bayes_meta_envs.baselines.bayes_value_bounds` forced
past the DP (``use_dp=False``): the information relaxation with a penalty (its Monte Carlo
estimate plus 1.96 standard errors, 2,000 samples, seed 1), the Lagrangian relaxation and
perfect information; and the slack of the lower end (the reference's 97.5% lower confidence
bound, 2,000 episodes, seed 1) below ``V*``.

Part 2 (``--grid``, the RL² cells past the DP): the bracket with the same settings as
``benchmarks/rl2_grid.py`` (2,000 episodes, seed 1), every upper bound beside it and its width,
and the width perfect information alone would give.
"""

from __future__ import annotations

import argparse
import time

from _machine import describe

from bayes_meta_envs.baselines import bayes_value_bounds, solve_bandit

DP_CASES = [(2, 10), (2, 20), (2, 50), (3, 10), (3, 20), (5, 10), (5, 20), (10, 10)]
QUICK = [(2, 10), (3, 10)]
GRID = [(5, 100), (10, 100), (50, 100), (5, 500), (10, 500), (50, 500)]


def _short(name: str) -> str:
    return name.split(" (")[0].split(",")[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small DP cases only")
    parser.add_argument("--grid", action="store_true", help="also the RL² cells past the DP")
    args = parser.parse_args()
    print(f"# {describe()}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print("| K | H | V* | lower slack | IR slack | Lagrangian slack | PI slack | upper used |")
    print("|---|---|---|---|---|---|---|---|")
    for k, h in QUICK if args.quick else DP_CASES:
        exact = solve_bandit(k, h).value
        b = bayes_value_bounds(k, h, use_dp=False, episodes=2000, seed=1)
        ups = {_short(n): v - exact for n, v in b.upper_candidates}
        print(
            f"| {k} | {h} | {exact:.4f} | {exact - b.lower:.4f} "
            f"| {ups.get('information relaxation', float('nan')):.4f} "
            f"| {ups['Lagrangian relaxation']:.4f} | {ups['perfect information']:.4f} "
            f"| {_short(b.upper_method)} |",
            flush=True,
        )
    if not args.grid:
        return
    print("\n| K | H | bracket | width | IR upper | Lagrangian | PI | PI width | seconds |")
    print("|---|---|---|---|---|---|---|---|---|")
    for k, h in GRID:
        t0 = time.perf_counter()
        b = bayes_value_bounds(k, h, episodes=2000, seed=1)
        ups = {_short(n): v for n, v in b.upper_candidates}
        ir = ups.get("information relaxation")
        print(
            f"| {k} | {h} | [{b.lower:.2f}, {b.upper:.2f}] | {b.width:.2f} "
            f"| {'skipped' if ir is None else f'{ir:.2f}'} | {ups['Lagrangian relaxation']:.2f} "
            f"| {b.perfect_information:.2f} | {b.perfect_information - b.lower:.2f} "
            f"| {time.perf_counter() - t0:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
