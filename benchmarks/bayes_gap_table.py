"""Exact Bayes gaps of the bandit baselines wherever the exact DP fits (no Monte Carlo).

Run: ``python benchmarks/bayes_gap_table.py [--quick]``

For every (K, H) below, uniform Beta(1, 1) priors, it prints the Bayes-optimal value ``V*`` and,
for each policy, the exact gap ``V* - V^pi`` from exact policy evaluation
(:func:`bayes_meta_envs.baselines.exact_policy_value`): the finite-horizon Gittins index (the
reference policy past the DP), Gittins at gamma = 0.9 and 0.99, Thompson sampling, UCB1,
epsilon-greedy (0.1), greedy and random. Thompson sampling's exact probabilities need a
quadrature per distinct state, so it is skipped ("-") above 300,000 states.
"""

from __future__ import annotations

import argparse
import time

from _machine import describe

from bayes_meta_envs.baselines import (
    EpsilonGreedyAgent,
    FiniteGittinsAgent,
    GittinsAgent,
    GreedyAgent,
    RandomAgent,
    ThompsonAgent,
    UCB1Agent,
    exact_policy_value,
    solve_bandit,
)

FULL = [(2, 10), (2, 20), (2, 50), (2, 100), (2, 200), (3, 10), (3, 20), (3, 30), (5, 10)]
FULL += [(5, 20), (10, 10)]
QUICK = [(2, 10), (2, 20), (3, 10), (5, 10)]
POLICIES = {
    "fin. Gittins": lambda k, h: FiniteGittinsAgent(k, h),
    "Gittins .9": lambda k, h: GittinsAgent(0.9, k, h),
    "Gittins .99": lambda k, h: GittinsAgent(0.99, k, h),
    "Thompson": lambda k, h: ThompsonAgent(k, h),
    "UCB1": lambda k, h: UCB1Agent(k, h),
    "eps-greedy": lambda k, h: EpsilonGreedyAgent(0.1, k, h),
    "greedy": lambda k, h: GreedyAgent(k, h),
    "random": lambda k, h: RandomAgent(k, h),
}
_THOMPSON_MAX_STATES = 300_000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small cases only (CI smoke run)")
    args = parser.parse_args()
    print(f"# exact Bayes gaps V* - V^pi (uniform priors), {describe()}")
    head = f"| K | H | states | V* | {' | '.join(POLICIES)} | seconds |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for k, h in QUICK if args.quick else FULL:
        t0 = time.perf_counter()
        sol = solve_bandit(k, h)
        cells = []
        for name, make in POLICIES.items():
            if name == "Thompson" and sol.n_states > _THOMPSON_MAX_STATES:
                cells.append("-")
                continue
            cells.append(f"{sol.value - exact_policy_value(make(k, h)):.4f}")
        dt = time.perf_counter() - t0
        print(f"| {k} | {h} | {sol.n_states} | {sol.value:.4f} | {' | '.join(cells)} | {dt:.1f} |")


if __name__ == "__main__":
    main()
